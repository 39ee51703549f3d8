/*
 * console_push: a joined host's instances' console output, sent to the control plane (compute/host_console.c),
 * which serves GetInstanceConsoleOutput from it. A thread of its own (the realiser may be busy for a 30 s soft
 * stop or a migration) looks every HOST_CONSOLE_SECONDS at DIR/instances/ins-*\/serial.log and pushes the tail
 * (at most HOST_CONSOLE_MAX - 1 bytes, what the built-in host serves) of each log whose size or time changed
 * since its last push, at most once per HOST_CONSOLE_SECONDS per instance and CONSOLE_PUSHES_PER_PASS per pass,
 * on one connection of its own (made again when lost). The control plane keeps a push only for an instance it
 * placed on this host.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compute/host_channel.h"
#include "core/tls.h"
#include "host/console_push.h"
#include "host/dial.h"
#include "host/hypervisor.h"

#define CONSOLE_PUSHES_PER_PASS 32

int console_push_due(const struct console_seen *last, long long size, long long mtime_ns, int64_t now_ms)
{
    if (!last)
        return 1;
    if (last->size == size && last->mtime_ns == mtime_ns)
        return 0; /* nothing new */
    return now_ms - last->pushed_ms >= HOST_CONSOLE_SECONDS * 1000;
}

struct console_seen *console_seen_find(struct console_seen *seen, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(seen[i].id, id))
            return &seen[i];
    return NULL;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static int running, started;
static SSL_CTX *ctx;
static char control[256], data_dir[600];
static SSL *ssl; /* the thread's own connection */

/* One push; the connection is dropped on any failure of the wire (the next push makes a new one). */
static int push(const char *id, const char *tail, size_t n)
{
    char err[256];
    if (!ssl)
        ssl = agent_connect(ctx, control, err, sizeof err);
    if (!ssl)
        return -1;
    char *text = NULL;
    json_t *req = json_pack("{s:s,s:s,s:I}", "op", "console", "InstanceId", id, "Length", (json_int_t)n);
    text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    int rc = text && tls_write_line(ssl, text) == 0 && tls_write_all(ssl, tail, n) == 0 ? 0 : -1;
    free(text);
    char line[1024];
    json_t *ans = rc == 0 && tls_read_line(ssl, line, sizeof line) >= 0 ? json_loads(line, 0, NULL) : NULL;
    if (!ans) {
        agent_close(ssl);
        ssl = NULL;
        return -1;
    }
    rc = json_is_true(json_object_get(ans, "ok")) ? 0 : -1;
    if (rc) {
        const char *why = json_string_value(json_object_get(ans, "error"));
        fprintf(stderr, "yun host: the console of %s was refused: %s\n", id, why ? why : "no reason given");
    }
    json_decref(ans);
    return rc;
}

/* One look at every instance directory; seen (n of max) is what was last pushed of each, pruned of those gone. */
static void pass(struct console_seen *seen, int *n, int max, char *buf)
{
    char root[700];
    snprintf(root, sizeof root, "%s/instances", data_dir);
    DIR *d = opendir(root);
    struct dirent *e;
    int64_t now = time_now_ms();
    int pushes = 0;
    for (int i = 0; i < *n; i++)
        seen[i].present = 0;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "ins-", 4) != 0 || strlen(e->d_name) >= sizeof seen[0].id)
            continue;
        char dir[1100], log[1200];
        snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
        snprintf(log, sizeof log, "%s/serial.log", dir);
        struct stat st;
        if (stat(log, &st) != 0)
            continue;
        long long mtime = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        struct console_seen *s = console_seen_find(seen, *n, e->d_name);
        if (!s && *n < max) {
            s = &seen[(*n)++];
            memset(s, 0, sizeof *s);
            snprintf(s->id, sizeof s->id, "%.23s", e->d_name); /* shorter: checked above */
            s->size = -1;
            s->pushed_ms = now - HOST_CONSOLE_SECONDS * 1000;
        }
        if (!s)
            continue;
        s->present = 1;
        size_t len = 0;
        if (pushes >= CONSOLE_PUSHES_PER_PASS || !console_push_due(s, (long long)st.st_size, mtime, now) ||
            hv_driver()->console(dir, buf, HOST_CONSOLE_MAX, &len) != HV_OK)
            continue;
        pushes++;
        if (push(e->d_name, buf, len) == 0) {
            s->size = (long long)st.st_size;
            s->mtime_ns = mtime;
        }
        s->pushed_ms = now; /* a refused or failed push waits its turn too */
    }
    if (d)
        closedir(d);
    for (int i = 0; i < *n;) /* instances gone from this host */
        if (!seen[i].present)
            seen[i] = seen[--*n];
        else
            i++;
}

static void *loop(void *arg)
{
    (void)arg;
    int max = HOST_DOC_MAX_INSTANCES, n = 0;
    struct console_seen *seen = calloc((size_t)max, sizeof *seen);
    char *buf = malloc(HOST_CONSOLE_MAX);
    pthread_mutex_lock(&mu);
    while (running && seen && buf) {
        pthread_mutex_unlock(&mu);
        pass(seen, &n, max, buf);
        pthread_mutex_lock(&mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += HOST_CONSOLE_SECONDS;
        if (running)
            pthread_cond_timedwait(&cv, &mu, &until);
    }
    pthread_mutex_unlock(&mu);
    agent_close(ssl);
    ssl = NULL;
    free(seen);
    free(buf);
    return NULL;
}

int console_push_start(const char *data, SSL_CTX *c, const char *control_addr)
{
    snprintf(data_dir, sizeof data_dir, "%s", data);
    snprintf(control, sizeof control, "%s", control_addr);
    ctx = c;
    running = 1;
    started = pthread_create(&thread, NULL, loop, NULL) == 0;
    return started ? 0 : -1;
}

void console_push_stop(void)
{
    pthread_mutex_lock(&mu);
    running = 0;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    if (started)
        pthread_join(thread, NULL);
    started = 0;
}
