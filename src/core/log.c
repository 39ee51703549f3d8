/*
 * log: one line per event on stderr. Requests are logged as one JSON object per line so
 * operators can grep and parse them; other messages are plain text with a level.
 *
 * Lines are appended to a shared buffer that a logger thread writes out every few milliseconds
 * (or at once when it fills): one write(2) per batch instead of one per request, because under
 * load the per-line write to a log file (its inode lock) was the API's bottleneck. A crash can
 * lose the last few milliseconds of log lines, never audit records (those are in the store).
 */
#include <pthread.h>
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

void log_json(json_t *record)
{
    char line[2048];
    size_t n = json_dumpb(record, line, sizeof line - 1, JSON_COMPACT);
    json_decref(record);
    if (n == 0 || n > sizeof line - 1)
        return; /* a request line never gets this long: every field is bounded */
    line[n++] = '\n';
    emit(line, n);
}
