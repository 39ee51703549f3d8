/*
 * states: the states of instances, hosts and images, by the API's names. Code and SQL use these
 * names, never the literals, so a misspelt state does not compile; which operation each instance
 * state allows is the table in state.c.
 */
#ifndef YUN_COMPUTE_STATES_H
#define YUN_COMPUTE_STATES_H

#define INSTANCE_PENDING       "PENDING"
#define INSTANCE_LAUNCH_FAILED "LAUNCH_FAILED"
#define INSTANCE_RUNNING       "RUNNING"
#define INSTANCE_STOPPED       "STOPPED"
#define INSTANCE_STARTING      "STARTING"
#define INSTANCE_STOPPING      "STOPPING"
#define INSTANCE_REBOOTING     "REBOOTING"
#define INSTANCE_SHUTDOWN      "SHUTDOWN"
#define INSTANCE_TERMINATING   "TERMINATING"
#define INSTANCE_TERMINATED    "TERMINATED"
/* a state of host documents only: the instance as the host it is migrating to sees it (the API says RUNNING) */
#define INSTANCE_MIGRATING_IN  "MIGRATING_IN"

/* SQL: the instance holds resources (a host's vCPUs and memory, the account's quota, its
 * address): every state but the two that have given them back. col is the state column. */
#define INSTANCE_HOLDS_RESOURCES(col) col " NOT IN ('" INSTANCE_TERMINATED "', '" INSTANCE_LAUNCH_FAILED "')"

#define HOST_AVAILABLE   "AVAILABLE"
#define HOST_UNAVAILABLE "UNAVAILABLE"
/* a joined host (host_channel.h): heartbeating, or silent for longer than the window */
#define HOST_UP          "UP"
#define HOST_DOWN        "DOWN"

#define IMAGE_NORMAL "NORMAL"

#endif
