/*
 * lease: "run this loop only while I hold lease NAME" between the yund processes of one store,
 * with no coordination service beyond the store itself. See lease.c.
 */
#ifndef YUN_LEASE_H
#define YUN_LEASE_H

struct store;
struct lease;

/*
 * A lease of this process on NAME (the billing controller's is "billing"), on the store of
 * store_set_path(). `sole` says whether this process is its machine's only yund on a SQLite store
 * (the host role, holding DATA/yund.lock): on SQLite the lease is held exactly when it is.
 */
struct lease *lease_open(const char *name, int sole);
/* 1 while the lease is held, 0 when another process holds it (or the store is unreachable): takes
 * it when free, checks that the session holding it is alive when held. Blocks for at most a
 * connection attempt (3 s). Call it before each unit of work and at least every few seconds. */
int lease_hold(struct lease *l);
void lease_close(struct lease *l); /* releases it (NULL is fine) */

/* 1 if a process holds NAME on this store, 0 if none, -1 on error (PostgreSQL only; on SQLite -1). */
int lease_probe(struct store *s, const char *name);

/* How many other yund processes use this store (each keeps a lease session, leader or not):
 * 0 or more on PostgreSQL, -1 on SQLite or on error. */
int lease_peers(struct store *s);

#endif
