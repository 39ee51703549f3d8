/* The hashing primitives on per-thread, re-keyed contexts give what a fresh OpenSSL one-shot gives,
 * for many keys (empty, short, longer than a block) and messages, on several threads at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core/core.h"

/* A deterministic byte pattern per (seed, i). */
static void fill(uint8_t *p, size_t n, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = (uint8_t)(x >> 24);
    }
}

/* 0 if every HMAC-SHA256, HMAC-SHA1 and SHA-256 of the round equals the one-shot's. */
static int round_matches(unsigned seed, int rounds)
{
    uint8_t key[200], msg[3000];
    for (int i = 0; i < rounds; i++) {
        size_t klen = (size_t)((seed + (unsigned)i * 7) % sizeof key); /* 0 .. 199: past SHA-256's 64-byte block */
        size_t mlen = (size_t)((seed * 31 + (unsigned)i * 131) % sizeof msg);
        fill(key, klen, seed + (unsigned)i);
        fill(msg, mlen, seed ^ (unsigned)i);
        uint8_t got[32], want[32];
        unsigned int n = 32;
        hmac_sha256(key, klen, msg, mlen, got);
        HMAC(EVP_sha256(), key, (int)klen, msg, mlen, want, &n);
        if (memcmp(got, want, 32) != 0)
            return -1;
        n = 20;
        hmac_sha1(key, klen, msg, mlen, got);
        HMAC(EVP_sha1(), key, (int)klen, msg, mlen, want, &n);
        if (memcmp(got, want, 20) != 0)
            return -1;
        sha256(msg, mlen, got);
        SHA256(msg, mlen, want);
        if (memcmp(got, want, 32) != 0)
            return -1;
    }
    return 0;
}

static void hmac_matches_one_shot(void **state)
{
    (void)state;
    assert_int_equal(round_matches(1, 2000), 0);
    /* RFC 4231 test case 2 */
    uint8_t mac[32];
    char hex[65];
    hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    hex_encode(mac, 32, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void *thread_rounds(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    return (void *)(intptr_t)round_matches(seed, 1500);
}

static void hmac_matches_on_threads(void **state)
{
    (void)state;
    enum { THREADS = 8 };
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_rounds, (void *)(uintptr_t)(100 + i)), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rc;
        assert_int_equal(pthread_join(t[i], &rc), 0);
        assert_int_equal((intptr_t)rc, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(hmac_matches_one_shot),
                                       cmocka_unit_test(hmac_matches_on_threads)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
