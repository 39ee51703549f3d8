/*
 * limit: what stops password guessing. Failed sign-ins are counted per account and per client
 * address in fixed tables (a flood of names cannot grow them: a full table forgets its oldest
 * slot); 5 failures of one account or 20 from one address within 15 minutes lock further tries
 * for 15 minutes on the business clock. Each try costs an argon2id verification (19 MiB), so
 * only a few run at once and the rest are told to retry.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "console/console_int.h"

#define SLOTS          512
#define WINDOW_S       900
#define ACCOUNT_LIMIT  5
#define ADDRESS_LIMIT  20
#define VERIFY_AT_ONCE 4

struct counter {
    char key[96];
    int failures;
    int64_t first; /* the window's start */
};

static struct counter accounts[SLOTS], addresses[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int verifying;

/* The slot of key: its own, else a free or expired one, else the oldest of its neighbourhood. */
static struct counter *slot(struct counter *t, const char *key, int64_t now, int create)
{
    uint32_t h = hash_fnv1a(key);
    struct counter *victim = NULL;
    for (int i = 0; i < 8; i++) {
        struct counter *c = &t[(h + (uint32_t)i) % SLOTS];
        if (c->key[0] && strcmp(c->key, key) == 0)
            return c;
        int reusable = !c->key[0] || now - c->first > WINDOW_S;
        if (!victim || reusable || (victim->key[0] && c->first < victim->first))
            if (!victim || victim->key[0])
                victim = c;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    snprintf(victim->key, sizeof victim->key, "%s", key);
    victim->first = now;
    return victim;
}

static int over(struct counter *t, const char *key, int64_t now, int limit)
{
    struct counter *c = slot(t, key, now, 0);
    if (!c)
        return 0;
    if (now - c->first > WINDOW_S) {
        c->failures = 0;
        c->first = now;
    }
    return c->failures >= limit;
}

int limit_login_allowed(const char *account, const char *ip, int64_t now)
{
    pthread_mutex_lock(&lock);
    int locked = over(accounts, account, now, ACCOUNT_LIMIT) || over(addresses, ip, now, ADDRESS_LIMIT);
    pthread_mutex_unlock(&lock);
    return !locked;
}

void limit_login_failed(const char *account, const char *ip, int64_t now)
{
    pthread_mutex_lock(&lock);
    struct counter *a = slot(accounts, account, now, 1), *b = slot(addresses, ip, now, 1);
    a->failures++;
    b->failures++;
    pthread_mutex_unlock(&lock);
}

void limit_login_succeeded(const char *account)
{
    pthread_mutex_lock(&lock);
    struct counter *a = slot(accounts, account, 0, 0);
    if (a)
        memset(a, 0, sizeof *a);
    pthread_mutex_unlock(&lock);
}

int limit_verify_enter(void)
{
    pthread_mutex_lock(&lock);
    int ok = verifying < VERIFY_AT_ONCE;
    if (ok)
        verifying++;
    pthread_mutex_unlock(&lock);
    return ok;
}

void limit_verify_leave(void)
{
    pthread_mutex_lock(&lock);
    verifying--;
    pthread_mutex_unlock(&lock);
}

void limit_reset(void)
{
    pthread_mutex_lock(&lock);
    memset(accounts, 0, sizeof accounts);
    memset(addresses, 0, sizeof addresses);
    verifying = 0;
    pthread_mutex_unlock(&lock);
}
