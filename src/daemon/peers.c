/*
 * peers: how many yund processes serve this region, counted once a second on PostgreSQL from
 * the lease sessions every process keeps (lease_peers), so that what each process limits on its
 * own adds up to the region's configuration (rate_share). On SQLite one process serves the
 * region and nothing runs.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "daemon/daemon.h"
#include "store/lease.h"

#define PEERS_INTERVAL_US 1000000

static pthread_t thread;
static _Atomic int running;

static void *peers_main(void *arg)
{
    (void)arg;
    while (running) {
        struct store *s = store_thread();
        int others = s ? lease_peers(s) : -1;
        if (others >= 0)
            rate_share(others + 1);
        for (int i = 0; i < 10 && running; i++)
            usleep(PEERS_INTERVAL_US / 10);
    }
    return NULL;
}

int peers_start(struct store *s)
{
    if (strcmp(store_backend(s), "postgres"))
        return 0;
    running = 1;
    if (pthread_create(&thread, NULL, peers_main, NULL) != 0) {
        running = 0;
        return -1;
    }
    return 0;
}

void peers_stop(void)
{
    if (!running)
        return;
    running = 0;
    pthread_join(thread, NULL);
}
