/* console_push: a joined host's instances' console tails, pushed to the control plane (console_push.c). */
#ifndef YUN_HOST_CONSOLE_PUSH_H
#define YUN_HOST_CONSOLE_PUSH_H

#include <stdint.h>

#include <openssl/ssl.h>

/* What was last pushed of one instance's serial log. */
struct console_seen {
    char id[24];
    long long size, mtime_ns; /* of the log when it was last pushed (-1: never) */
    int64_t pushed_ms;        /* when it was last tried */
    int present;
};
/* 1 when the log (size, mtime) should be pushed now: never pushed, or changed and the last try at least
 * HOST_CONSOLE_SECONDS ago (pure). */
int console_push_due(const struct console_seen *last, long long size, long long mtime_ns, int64_t now_ms);
struct console_seen *console_seen_find(struct console_seen *seen, int n, const char *id);

/* The pushing thread: the data directory's instances, on connections of the host's TLS context. */
int console_push_start(const char *data, SSL_CTX *ctx, const char *control);
void console_push_stop(void);

#endif
