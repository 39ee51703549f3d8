/*
 * daemon: yund's life cycle. The first start in an empty data directory creates the admin root
 * account and writes credentials.json (0600); every start applies migrations, registers the
 * services' action tables, and serves until SIGTERM, then stops accepting, lets in-flight
 * requests finish, and exits 0. A lock on DIR/yund.lock keeps two daemons off one directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "billing/billing.h"
#include "block/block.h"
#include "compute/compute.h"
#include "compute/host_channel.h"
#include "console/console.h"
#include "daemon/daemon.h"
#include "dedicated/dedicated.h"
#include "http/http.h"
#include "identity/identity.h"
#include "lighthouse/lighthouse.h"
#include "market/market.h"
#include "meter/meter.h"
#include "network/network.h"
#include "object/gateway.h"
#include "organization/organization.h"
#include "partner/partner.h"

void daemon_register_services(void)
{
    identity_register();
    compute_register();
    block_register();
    network_register();
    billing_register();
    partner_register();
    organization_register();
    lighthouse_register();
    market_register();
    dedicated_register();
}

int daemon_open_data(const struct config *cfg, struct store **out, char *err, size_t errlen)
{
    if (mkdir_p(cfg->data_dir, 0700) != 0) {
        snprintf(err, errlen, "cannot create data directory %s: %s", cfg->data_dir, strerror(errno));
        return -1;
    }
    if (identity_init(cfg->data_dir, err, errlen) != 0)
        return -1;
    char path[1100];
    if (cfg->store[0])
        snprintf(path, sizeof path, "%s", cfg->store);
    else
        snprintf(path, sizeof path, "%s/yun.db", cfg->data_dir);
    store_set_path(path);
    struct store *s = store_open(path, err, errlen);
    if (!s)
        return -1;
    if (identity_migrate(s, err, errlen) != 0 || compute_migrate(s, err, errlen) != 0 ||
        network_migrate(s, err, errlen) != 0 || block_migrate(s, err, errlen) != 0 ||
        object_migrate(s, err, errlen) != 0 || meter_migrate(s, err, errlen) != 0 ||
        billing_migrate(s, err, errlen) != 0 || partner_migrate(s, err, errlen) != 0 ||
        market_migrate(s, err, errlen) != 0 || console_migrate(s, err, errlen) != 0 ||
        organization_migrate(s, err, errlen) != 0 || lighthouse_migrate(s, err, errlen) != 0 ||
        dedicated_migrate(s, err, errlen) != 0) {
        store_close(s);
        return -1;
    }
    if (compute_regions_backfill(s, cfg->region) != 0) {
        snprintf(err, errlen, "cannot record the region of earlier key pairs: %s", store_errmsg(s));
        store_close(s);
        return -1;
    }
    daemon_register_services();
    *out = s;
    return 0;
}

static int write_credentials(const struct config *cfg, const char *sid, const char *skey, const char *uin)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/credentials.json", cfg->data_dir);
    char endpoint[200];
    snprintf(endpoint, sizeof endpoint, "%s:%d", cfg->listen_host, cfg->listen_port);
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "SecretId", sid, "SecretKey", skey, "Endpoint", endpoint, "Region",
                          cfg->region, "Uin", uin);
    if (cfg->object_port > 0) {
        char object[200];
        snprintf(object, sizeof object, "http://%s:%d", cfg->object_host, cfg->object_port);
        json_object_set_new(j, "ObjectEndpoint", json_string(object));
    }
    char *text = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    int rc = text ? file_write_atomic(path, text, strlen(text), 0600) : -1;
    free(text);
    return rc;
}

/* Creates the admin account on first start, or refreshes the endpoint in credentials.json. */
static int bootstrap_admin(const struct config *cfg, struct store *s, json_t **creds, char *err, size_t errlen)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/credentials.json", cfg->data_dir);
    int n = identity_account_count(s);
    if (n < 0) {
        snprintf(err, errlen, "store: %s", store_errmsg(s));
        return -1;
    }
    if (n == 0) {
        struct new_account a;
        if (identity_create_account(s, "admin", &a, err, errlen) != 0)
            return -1;
        /* the operator's own account runs the cloud, and is never shut down for arrears */
        if (identity_set_operator(s, a.uin) != 0 || billing_exempt(s, a.uin, 1) != 0) {
            snprintf(err, errlen, "store: %s", store_errmsg(s));
            return -1;
        }
        if (write_credentials(cfg, a.secret_id, a.secret_key, a.uin) != 0) {
            snprintf(err, errlen, "cannot write %.400s: %s", path, strerror(errno));
            return -1;
        }
    } else {
        json_t *old = json_load_file(path, 0, NULL);
        if (!old) {
            log_warn("%s is missing; the admin credentials were shown on the first start only", path);
            return 0;
        }
        const char *sid = json_string_value(json_object_get(old, "SecretId"));
        const char *skey = json_string_value(json_object_get(old, "SecretKey"));
        const char *uin = json_string_value(json_object_get(old, "Uin"));
        if (sid && skey && uin)
            write_credentials(cfg, sid, skey, uin);
        json_decref(old);
    }
    *creds = json_load_file(path, 0, NULL);
    return 0;
}

/*
 * The data directory holds every tenant's secrets and user data: 0700, its files 0600, whatever an
 * older version or the operator left (a warning says what was found). What lies below its
 * subdirectories is reachable only through it.
 */
static int tighten_data_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return -1;
    if ((st.st_mode & 0777) != 0700) {
        log_warn("data directory %s had mode %04o; now 0700", dir, (unsigned)(st.st_mode & 07777));
        if (chmod(dir, 0700) != 0)
            return -1;
    }
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int loose = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 077))
            continue;
        if (fchmodat(dirfd(d), e->d_name, st.st_mode & 0700, 0) == 0)
            loose++;
    }
    closedir(d);
    if (loose)
        log_warn("%d file(s) in %s were readable by others; now owner-only", loose, dir);
    return 0;
}

int daemon_run(struct config *cfg)
{
    char err[512];
    umask(077); /* the store, keys, disks and sockets yund creates are the owner's alone */
    if (mkdir_p(cfg->data_dir, 0700) != 0) {
        fprintf(stderr, "yund: cannot create %s: %s\n", cfg->data_dir, strerror(errno));
        return 1;
    }
    /* Absolute from here on: disk files, sockets and QEMU arguments below it must not depend on the cwd. */
    char abs[PATH_MAX];
    const char *why = !realpath(cfg->data_dir, abs)         ? strerror(errno)
                      : strlen(abs) >= sizeof cfg->data_dir ? "path too long"
                                                            : NULL;
    if (why) {
        fprintf(stderr, "yund: cannot resolve %s: %s\n", cfg->data_dir, why);
        return 1;
    }
    memcpy(cfg->data_dir, abs, strlen(abs) + 1);
    if (tighten_data_dir(cfg->data_dir) != 0) {
        fprintf(stderr, "yund: cannot restrict %s to its owner: %s\n", cfg->data_dir, strerror(errno));
        return 1;
    }
    /* SQLite is one process's store: the caches that trust it (the identity key cache, the object
     * store's hot rows) see only this process's writes, so a second process needs PostgreSQL */
    if (cfg->no_host && !store_is_postgres(cfg->store)) {
        fprintf(stderr, "yund: --no-host shares a region's store with other processes: it needs --store "
                        "postgres://... (the embedded SQLite store serves one process)\n");
        return 1;
    }
    if (object_backend_check(cfg, err, sizeof err) != 0) { /* refused here, not a warning at the gateway's start */
        fprintf(stderr, "yund: %s\n", err);
        return 1;
    }
    char lockpath[1100];
    snprintf(lockpath, sizeof lockpath, "%s/yund.lock", cfg->data_dir);
    /* an API-only process shares the host's data directory (its master key) and touches no file in it */
    int lockfd = cfg->no_host ? -1 : open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (!cfg->no_host && (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0)) {
        fprintf(stderr, "yund: another yund is using %s\n", cfg->data_dir);
        return 1;
    }
    struct store *s;
    if (daemon_open_data(cfg, &s, err, sizeof err) != 0) {
        fprintf(stderr, "yund: %s\n", err);
        return 1;
    }
    if (cfg->object_port == 0)
        cfg->object_port = cfg->listen_port + 1;
    json_t *creds = NULL;
    if (bootstrap_admin(cfg, s, &creds, err, sizeof err) != 0) {
        fprintf(stderr, "yund: %s\n", err);
        return 1;
    }
    rate_init(RATE_API, cfg->rate_per_second, cfg->rate_burst);
    rate_init(RATE_OBJECT, cfg->object_rate_per_second, cfg->object_rate_burst);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts, so only sigwait sees them */
    signal(SIGPIPE, SIG_IGN);

    log_start_batching();
    console_init(cfg);
    struct http_server *srv = http_start(cfg, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "yund: %s\n", err);
        return 1;
    }
    struct object_gateway *objects = NULL;
    if (cfg->object_port > 0) {
        objects = object_gateway_start(cfg, err, sizeof err);
        if (!objects) {
            log_warn("object store not started: %s", err);
            cfg->object_port = -1;
        }
    }
    if (cfg->no_host) {
        /* compute and disks are driven by the host process; billing's controller runs here when
         * this process holds its lease (store/lease.c) */
        compute_api_start(cfg);
        clock_set_test(cfg->test_clock);
        printf("  host role    : none (--no-host: API, object store, and billing while it holds the lease)\n");
    } else {
        if (compute_host_start(cfg, s, err, sizeof err) != 0)
            log_warn("host role unavailable, instances cannot run here: %s", err);
    }
    if (billing_start(cfg, cfg->test_clock, err, sizeof err) != 0) {
        fprintf(stderr, "yund: %s\n", err);
        return 1;
    }
    /* the host channel: joined hosts' listener, and the monitor under lease "hosts" */
    if (host_channel_start(cfg, s, err, sizeof err) != 0) {
        log_warn("host channel: %s", err);
        snprintf(cfg->host_listen, sizeof cfg->host_listen, "off");
    }
    if (market_start(cfg, err, sizeof err) != 0) /* deployments, under lease "market": resumes what was in flight */
        log_warn("%s", err);
    if (peers_start(s) != 0) /* the other processes of the region: each limits its share */
        log_warn("the other yund processes cannot be counted: rate limits stay per process");
    http_set_ready(srv, 1);
    const char *sid = json_string_value(json_object_get(creds, "SecretId"));
    const char *skey = json_string_value(json_object_get(creds, "SecretKey"));
    printf("yun is running (data in %s, %d actions)\n", cfg->data_dir, api_action_count());
    printf("  API endpoint : http://%s:%d  (region %s)\n", cfg->listen_host, cfg->listen_port, cfg->region);
    if (sid && skey) {
        printf("  admin account: Uin %s\n", json_string_value(json_object_get(creds, "Uin")));
        printf("  SecretId     : %s\n  SecretKey    : %s\n", sid, skey);
        printf("  credentials  : %s/credentials.json\n", cfg->data_dir);
    }
    printf("  web console  : http://%s:%d/console/  (sign in with the Uin and a password from `yun admin password "
           "--data %s --uin UIN`)\n",
           strcmp(cfg->listen_host, "0.0.0.0") ? cfg->listen_host : "127.0.0.1", cfg->listen_port, cfg->data_dir);
    if (objects)
        printf("  object store : http://%s:%d  (S3 and COS; path style, or virtual-host BUCKET.%s)\n", cfg->object_host,
               cfg->object_port, cfg->object_domain);
    if (strcmp(cfg->host_listen, "off"))
        printf("  host channel : %s  (TLS, region CA; `yun admin hosts --data %s token`, then `yun host join`)\n",
               cfg->host_listen, cfg->data_dir);
    if (cfg->test_clock)
        printf("  test clock   : on (yun admin clock --data %s --advance 2h)\n", cfg->data_dir);
    printf("Try:\n  build/yun cvm DescribeZones --data %s\n", cfg->data_dir);
    printf("  TENCENTCLOUD_SECRET_ID=%s TENCENTCLOUD_SECRET_KEY=... build/yun cam ListUsers --endpoint %s:%d\n",
           sid ? sid : "AKID...", cfg->listen_host, cfg->listen_port);
    fflush(stdout);
    json_decref(creds);
    log_info("yund ready on %s:%d", cfg->listen_host, cfg->listen_port);

    int sig = 0;
    sigwait(&set, &sig);
    log_info("yund stopping (signal %d)", sig);
    http_set_ready(srv, 0);
    http_stop(srv);
    peers_stop();
    host_channel_stop();
    market_stop();
    billing_stop();
    if (!cfg->no_host)
        compute_host_stop(s);
    object_gateway_stop(objects);
    store_close(s);
    if (lockfd >= 0)
        close(lockfd);
    log_flush();
    return 0;
}
