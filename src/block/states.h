/*
 * states: the states of cloud disks and snapshots, by the API's names. Code and SQL use these
 * names, never the literals, so a misspelt state does not compile; which operation each disk
 * state allows is the table in rules.c.
 */
#ifndef YUN_BLOCK_STATES_H
#define YUN_BLOCK_STATES_H

#define DISK_UNATTACHED  "UNATTACHED"
#define DISK_ATTACHING   "ATTACHING"
#define DISK_ATTACHED    "ATTACHED"
#define DISK_DETACHING   "DETACHING"
#define DISK_EXPANDING   "EXPANDING"
#define DISK_TERMINATING "TERMINATING" /* being deleted: gone for the API */

#define SNAPSHOT_CREATING "CREATING"
#define SNAPSHOT_NORMAL   "NORMAL"
#define SNAPSHOT_DELETING "DELETING"

#endif
