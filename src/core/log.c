/*
 * log: one line per event on stderr. Requests are logged as one JSON object per line so
 * operators can grep and parse them; other messages are plain text with a level.
 */
#include <pthread.h>
#include <stdio.h>

#include "core/core.h"

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level level) { min_level = level; }

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level < min_level)
        return;
    char ts[32];
    time_iso8601(time_now(), ts);
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "%s %s ", ts, names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&log_lock);
    va_end(ap);
}

void log_json(json_t *record)
{
    char *line = json_dumps(record, JSON_COMPACT);
    json_decref(record);
    if (!line)
        return;
    pthread_mutex_lock(&log_lock);
    fputs(line, stderr);
    fputc('\n', stderr);
    pthread_mutex_unlock(&log_lock);
    free(line);
}
