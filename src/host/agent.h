/* agent: the host role of a joined host (`yun host join`), see agent.c. */
#ifndef YUN_HOST_AGENT_H
#define YUN_HOST_AGENT_H

#include <jansson.h>

/* Joins (when DIR holds no host certificate yet, with token) and heartbeats in the foreground; uplink (NULL: the
 * default route's device) is where the host's EIPs are published; returns only on failure, with the exit status
 * (1, or 2 for a usage error). */
int host_agent_run(const char *control, const char *token, const char *data, const char *zone, const char *uplink);

/* The join alone (the first run's, also each simulated host's): a key made here, its certificate signed for the facts
 * sent (not taken), DIR's host.key, host.crt, ca.crt and host.json written; 0 (host_id set), or -1 with err. */
int host_agent_join(const char *control, const char *token, const char *data, json_t *facts, char host_id[64],
                    char *err, size_t errlen);

#endif
