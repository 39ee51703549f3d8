/*
 * rate: per-account token buckets for RequestLimitExceeded. A fixed-size open-addressed table
 * (accounts hash into it; a collision just shares a bucket, which errs on the strict side)
 * guarded by striped locks so worker threads rarely contend.
 */
#include <pthread.h>
#include <string.h>

#include "api/api.h"

#define BUCKETS 4096
#define STRIPES 64

struct bucket {
    double tokens;
    int64_t last_us;
};

static struct bucket buckets[BUCKETS];
static pthread_mutex_t locks[STRIPES];
static double rate, burst;
static int enabled;

void rate_init(int per_second, int burst_size)
{
    rate = per_second;
    burst = burst_size > 0 ? burst_size : per_second;
    enabled = per_second > 0;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&locks[i], NULL);
    memset(buckets, 0, sizeof buckets);
}

int rate_allow(const char *account)
{
    if (!enabled)
        return 1;
    uint32_t h = hash_fnv1a(account) % BUCKETS;
    pthread_mutex_t *l = &locks[h % STRIPES];
    int64_t now = time_now_us();
    pthread_mutex_lock(l);
    struct bucket *b = &buckets[h];
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
