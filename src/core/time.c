/* time: wall-clock and monotonic time, and the timestamp formats the APIs use (always UTC). */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

int64_t time_now(void) { return (int64_t)time(NULL); }

int64_t time_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t time_now_ms(void) { return time_now_us() / 1000; }

void time_deadline(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void fmt(int64_t t, const char *f, char *out, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, len, f, &tm);
}

void time_iso8601(int64_t t, char out[32]) { fmt(t, "%Y-%m-%dT%H:%M:%SZ", out, 32); }
void time_cam(int64_t t, char out[32]) { fmt(t, "%Y-%m-%d %H:%M:%S", out, 32); }
void time_date(int64_t t, char out[16]) { fmt(t, "%Y-%m-%d", out, 16); }

int time_parse_iso8601(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    char sep;
    if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &sep, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &n) != 7 ||
        (sep != 'T' && sep != ' '))
        return -1;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t t = (int64_t)timegm(&tm);
    const char *rest = s + n;
    if (*rest == '.') /* fractional seconds are ignored */
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            ;
    if (*rest == 'Z' || *rest == 'z') {
        rest++;
    } else if (*rest == '+' || *rest == '-') {
        int hh, mm;
        if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        int off = hh * 3600 + mm * 60;
        t += (*rest == '+') ? -off : off;
        rest += 6;
    }
    if (*rest)
        return -1;
    *out = t;
    return 0;
}
