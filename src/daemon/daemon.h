/* daemon: start-up and shutdown of yund (control plane plus, on one machine, the host role). */
#ifndef YUN_DAEMON_H
#define YUN_DAEMON_H

#include "core/core.h"
#include "store/store.h"

/* Opens the data directory: master key, store, migrations, action registry. */
int daemon_open_data(const struct config *cfg, struct store **out, char *err, size_t errlen);
/* Every service's action table (also used by the CLI for schemas). */
void daemon_register_services(void);
/* Runs in the foreground until SIGTERM/SIGINT; returns the exit status. */
int daemon_run(struct config *cfg);
/* peers.c: keeps rate_share() at the number of yund processes on the store (PostgreSQL only). */
int peers_start(struct store *s);
void peers_stop(void);

#endif
