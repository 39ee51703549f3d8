/*
 * log: one line per event on stderr. Requests (the API's and the object gateway's) are logged
 * as one JSON object per line by log_request(), so operators can grep and parse them; other
 * messages are plain text with a level.
 *
 * Lines are appended to a shared buffer that a logger thread writes out every few milliseconds
 * (or at once when it fills): one write(2) per batch instead of one per request, because under
 * load the per-line write to a log file (its inode lock) was the API's bottleneck. A crash can
 * lose the last few milliseconds of log lines, never audit records (those are in the store).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"

#define LOG_BUFFER (256 * 1024)
#define FLUSH_MS   5

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER; /* keeps batches in order */
static char buffer[LOG_BUFFER];
static size_t used;
static int batching; /* a logger thread runs; otherwise lines are written directly */
static pthread_t logger;

void log_set_level(enum log_level level) { min_level = level; }

static void write_all(const char *p, size_t left)
{
    while (left) {
        ssize_t n = write(2, p, left);
        if (n <= 0)
            return;
        p += n;
        left -= (size_t)n;
    }
}

/* Takes the buffered lines and writes them; the copy keeps the lock short. */
static void flush_buffer(void)
{
    static char out[LOG_BUFFER];
    pthread_mutex_lock(&write_lock);
    pthread_mutex_lock(&lock);
    size_t n = used;
    memcpy(out, buffer, n);
    used = 0;
    pthread_mutex_unlock(&lock);
    write_all(out, n);
    pthread_mutex_unlock(&write_lock);
}

static void emit(const char *line, size_t len)
{
    if (!batching) {
        pthread_mutex_lock(&write_lock);
        write_all(line, len);
        pthread_mutex_unlock(&write_lock);
        return;
    }
    for (;;) {
        pthread_mutex_lock(&lock);
        if (used + len <= sizeof buffer) {
            memcpy(buffer + used, line, len);
            used += len;
            pthread_mutex_unlock(&lock);
            return;
        }
        pthread_mutex_unlock(&lock);
        flush_buffer(); /* full: this thread writes it out */
    }
}

static void *logger_main(void *arg)
{
    (void)arg;
    struct timespec ts = {0, FLUSH_MS * 1000000L};
    for (;;) {
        nanosleep(&ts, NULL);
        flush_buffer();
    }
    return NULL;
}

void log_start_batching(void)
{
    if (batching)
        return;
    if (pthread_create(&logger, NULL, logger_main, NULL) == 0) {
        pthread_detach(logger);
        batching = 1;
    }
}

void log_flush(void) { flush_buffer(); }

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level < min_level)
        return;
    char line[2048], ts[32];
    time_iso8601(time_now(), ts);
    int n = snprintf(line, sizeof line - 1, "%s %s ", ts, names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - 1 - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    emit(line, len);
}

/* A JSON string of at most max bytes of s: quotes, backslashes and control bytes escaped, bytes
 * that are not UTF-8 as U+FFFD, so no value (an object key is any bytes) can end the line, forge
 * a field or make the line unparsable. Returns the new length of out, 0 if out is full. */
static size_t json_str(char *out, size_t at, size_t cap, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + strnlen(s, max);
    if (at + 2 > cap)
        return 0;
    out[at++] = '"';
    while (p < end) {
        unsigned c = *p;
        size_t seq = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        bool valid = seq > 0 && (size_t)(end - p) >= seq;
        for (size_t i = 1; valid && i < seq; i++)
            valid = (p[i] & 0xc0) == 0x80;
        if (valid && seq == 2 && c < 0xc2)
            valid = false; /* overlong */
        if (valid && seq == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
            valid = false; /* overlong, surrogate */
        if (valid && seq == 4 && ((c == 0xf0 && p[1] < 0x90) || c > 0xf4 || (c == 0xf4 && p[1] >= 0x90)))
            valid = false;
        if (at + 8 > cap)
            return 0;
        if (!valid) {
            memcpy(out + at, "\\ufffd", 6);
            at += 6;
            p++;
        } else if (seq > 1) {
            memcpy(out + at, p, seq);
            at += seq;
            p += seq;
        } else if (c == '"' || c == '\\') {
            out[at++] = '\\';
            out[at++] = (char)c;
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(out + at, "\\u00", 4);
            out[at + 4] = hex[c >> 4];
            out[at + 5] = hex[c & 15];
            at += 6;
            p++;
        } else {
            out[at++] = (char)c;
            p++;
        }
    }
    out[at++] = '"';
    return at;
}

void log_request(const struct request_line *l)
{
    /* the second's timestamp, formatted once per second per thread */
    static _Thread_local int64_t ts_second = -1;
    static _Thread_local char ts[32];
    int64_t now = time_now();
    if (now != ts_second) {
        time_iso8601(now, ts);
        ts_second = now;
    }
    const struct {
        const char *name, *value;
        size_t max;
    } strs[] = {
        {"time", ts, 32},           {"service", l->service, 16},
        {"rid", l->rid, 64},        {"account", l->account, 64},
        {"user", l->user, 64},      {"ip", l->ip, 64},
        {"action", l->action, 128}, {"version", l->version, 32},
        {"bucket", l->bucket, 128}, {"key", l->key, 1024},
        {"code", l->code, 128},
    };
    char line[8192];
    size_t at = 0;
    line[at++] = '{';
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (!strs[i].value)
            continue;
        size_t nl = strlen(strs[i].name);
        if (at + nl + 4 > sizeof line)
            return;
        if (at > 1)
            line[at++] = ',';
        line[at++] = '"';
        memcpy(line + at, strs[i].name, nl);
        at += nl;
        line[at++] = '"';
        line[at++] = ':';
        at = json_str(line, at, sizeof line, strs[i].value, strs[i].max);
        if (!at)
            return;
    }
    int n = l->status ? snprintf(line + at, sizeof line - at, ",\"status\":%d,\"bytes_in\":%lld,\"bytes_out\":%lld",
                                 l->status, (long long)l->bytes_in, (long long)l->bytes_out)
                      : 0;
    if (n < 0 || (size_t)n >= sizeof line - at)
        return;
    at += (size_t)n;
    n = snprintf(line + at, sizeof line - at, ",\"ms\":%.3f}\n", l->ms);
    if (n < 0 || (size_t)n >= sizeof line - at)
        return;
    emit(line, at + (size_t)n);
}
