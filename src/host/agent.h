/* agent: the host role of a joined host (`yun host join`), see agent.c. */
#ifndef YUN_HOST_AGENT_H
#define YUN_HOST_AGENT_H

/* Joins (when DIR holds no host certificate yet, with token) and heartbeats in the foreground; uplink (NULL: the
 * default route's device) is where the host's EIPs are published; returns only on failure, with the exit status
 * (1, or 2 for a usage error). */
int host_agent_run(const char *control, const char *token, const char *data, const char *zone, const char *uplink);

#endif
