/*
 * rate: token buckets for the request pipelines' rate limits, one table per door (the API's
 * RequestLimitExceeded, the object gateway's SlowDown). A key is an account ("ip:<addr>" for an
 * anonymous object request). Each table has a fixed size: keys hash into it and a collision just
 * shares a bucket, which errs on the strict side, so a flood from any number of keys or addresses
 * never grows memory. Striped locks keep worker threads from contending.
 *
 * Several yund processes serve one region on PostgreSQL, each with its own tables: each allows
 * 1/N of the configured rate and burst (N the processes, rate_share), so behind a load balancer
 * that spreads a client's requests the region allows what the configuration says, and a client
 * pinned to one process gets less, never more (the strict side, as with collisions).
 */
#include <pthread.h>
#include <string.h>

#include "core/core.h"

#define BUCKETS 4096
#define STRIPES 64

struct bucket {
    double tokens;
    int64_t last_us;
};

struct door {
    struct bucket buckets[BUCKETS];
    pthread_mutex_t locks[STRIPES];
    double rate, burst;
    int enabled;
};

static struct door doors[RATE_DOORS];
static _Atomic int share = 1;

void rate_share(int processes) { share = processes > 1 ? processes : 1; }

void rate_init(enum rate_door door, int per_second, int burst_size)
{
    struct door *d = &doors[door];
    d->rate = per_second;
    d->burst = burst_size > 0 ? burst_size : per_second;
    d->enabled = per_second > 0;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&d->locks[i], NULL);
    memset(d->buckets, 0, sizeof d->buckets);
}

int rate_allow(enum rate_door door, const char *key)
{
    struct door *d = &doors[door];
    if (!d->enabled)
        return 1;
    uint32_t h = hash_fnv1a(key) % BUCKETS;
    pthread_mutex_t *l = &d->locks[h % STRIPES];
    int64_t now = time_now_us();
    int n = share;
    double rate = d->rate / n, burst = d->burst / n;
    if (burst < 1.0)
        burst = 1.0;
    pthread_mutex_lock(l);
    struct bucket *b = &d->buckets[h];
    if (b->last_us == 0) {
        b->tokens = burst;
    } else {
        b->tokens += (double)(now - b->last_us) * rate / 1e6;
        if (b->tokens > burst)
            b->tokens = burst;
    }
    b->last_us = now;
    int ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    pthread_mutex_unlock(l);
    return ok;
}
