/*
 * metadata: the instance metadata service guests reach at 169.254.169.254 (EC2 layout, which
 * cloud-init reads) and 169.254.0.23 (Tencent's). /nocloud/{meta-data,user-data,vendor-data} is the
 * same data in cloud-init's NoCloud layout, which the Debian images (images/lib) seed from.
 *
 * One listener per VPC with instances on this host, its sockets opened inside the VPC's router
 * namespace (where the network plan puts both addresses on the guests' gateway interface). The
 * instance is identified by (the listener's VPC, the connection's source address), never by
 * anything the guest sends: overlapping VPC ranges stay apart, and the host's anti-spoofing rules
 * make the source address trustworthy (a tap can only send from the address it was given).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "compute/compute.h"
#include "compute/states.h"
#include "identity/sealed.h"

#define MAX_VPC_LISTENERS 256

struct listener {
    char vpc_id[24];
    struct MHD_Daemon *daemons[2];
};
static struct listener *listeners[MAX_VPC_LISTENERS]; /* heap: each daemon keeps a pointer to its own */
static int nlisteners;
static pthread_mutex_t listeners_mu = PTHREAD_MUTEX_INITIALIZER;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const void *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, const char *s) { return answer(c, 200, s, strlen(s)); }

static enum MHD_Result not_found(struct MHD_Connection *c) { return answer(c, 404, "not found\n", 10); }

static metadata_ext_fn extension;
void metadata_set_extension(metadata_ext_fn fn) { extension = fn; }
/* cloud-init's NoCloud meta-data (YAML; JSON strings are YAML scalars): what the images of
 * images/lib/base.sh seed from (seedfrom http://169.254.169.254/nocloud/). */
static enum MHD_Result nocloud_meta_data(struct MHD_Connection *c, struct store *s, const char *id,
                                         const char *hostname, json_t *keys)
{
    json_t *jid = json_string(id), *jhost = json_string(hostname);
    char *qid = json_dumps(jid, JSON_ENCODE_ANY), *qhost = json_dumps(jhost, JSON_ENCODE_ANY);
    size_t cap = 1024, used = 0;
    char *buf = malloc(cap);
    enum MHD_Result ret;
    if (!buf || !qid || !qhost) {
        ret = answer(c, 500, "out of memory\n", 14);
        goto out;
    }
    used = (size_t)snprintf(buf, cap, "instance-id: %s\nlocal-hostname: %s\npublic-keys:%s\n", qid, qhost,
                            json_array_size(keys) ? "" : " []");
    size_t i;
    json_t *k;
    json_array_foreach (keys, i, k) {
        struct store_stmt *q =
            store_query(s, "SELECT public_key FROM key_pairs WHERE key_id = ?", "s", json_string_value(k));
        if (q && store_step(q) == 1) {
            json_t *jk = json_string(store_text(q, 0));
            char *qk = jk ? json_dumps(jk, JSON_ENCODE_ANY) : NULL;
            size_t need = used + (qk ? strlen(qk) : 0) + 8;
            if (qk && need > cap) {
                char *nb = realloc(buf, need * 2);
                if (nb) {
                    buf = nb;
                    cap = need * 2;
                }
            }
            if (qk && need <= cap)
                used += (size_t)snprintf(buf + used, cap - used, "  - %s\n", qk);
            free(qk);
            json_decref(jk);
        }
        store_done(q);
    }
    ret = answer(c, 200, buf, used);
out:
    free(buf);
    free(qid);
    free(qhost);
    json_decref(jid);
    json_decref(jhost);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    const struct listener *l = cls;
    (void)version;
    (void)upload;
    int post = !strcmp(method, "POST") && !strncmp(url, "/latest/yun/", 12);
    if (post) { /* a body is read and dropped: the path is the whole message */
        if (!*con_cls) {
            *con_cls = (void *)1;
            return MHD_YES;
        }
        if (*upload_size) {
            *upload_size = 0;
            return MHD_YES;
        }
    } else if (strcmp(method, "GET") != 0)
        return answer(c, 405, "method not allowed\n", 19);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[64] = "";
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, ip, sizeof ip);
    struct store *s = store_thread();
    if (!s)
        return answer(c, 500, "store unavailable\n", 18);
    struct store_stmt *q =
        store_query(s,
                    "SELECT instance_id, hostname, private_ip, mac, uuid, zone, key_ids, user_data FROM instances"
                    " WHERE host_id = ? AND vpc_id = ? AND private_ip = ? AND " INSTANCE_HOLDS_RESOURCES("state"),
                    "sss", compute_env.host_id, l->vpc_id, ip);
    if (!q || store_step(q) != 1) {
        store_done(q);
        return answer(c, 403, "unknown instance\n", 17); /* not one of ours */
    }
    char id[32], hostname[80], local_ip[16], mac[24], uuid[40], zone[64];
    snprintf(id, sizeof id, "%s", store_text(q, 0));
    snprintf(hostname, sizeof hostname, "%s", store_text(q, 1));
    snprintf(local_ip, sizeof local_ip, "%s", store_text(q, 2));
    snprintf(mac, sizeof mac, "%s", store_text(q, 3));
    snprintf(uuid, sizeof uuid, "%s", store_text(q, 4));
    snprintf(zone, sizeof zone, "%s", store_text(q, 5));
    json_t *keys = json_loads(store_text(q, 6), 0, NULL);
    size_t ud_len;
    const void *ud = store_blob(q, 7, &ud_len);
    enum MHD_Result ret;
    const char *p = url;
    int nocloud_ud = !strcmp(p, "/nocloud/user-data");
    if (!strcmp(p, "/latest/user-data") || nocloud_ud) {
        uint8_t *plain = NULL;
        size_t plen = 0;
        if (ud_len && sealed_open(id, ud, ud_len, &plain, &plen) != 0)
            ret = answer(c, 500, "user data cannot be opened\n", 27);
        else
            ret = plen ? answer(c, 200, plain, plen) : nocloud_ud ? text(c, "") : not_found(c);
        free(plain);
        store_done(q);
        json_decref(keys);
        return ret;
    }
    store_done(q);
    if (post || !strncmp(p, "/latest/meta-data/yun/", 22)) {
        json_decref(keys);
        char *body = NULL;
        int status = extension ? extension(s, id, method, p, &body) : 404;
        ret = body            ? answer(c, (unsigned)status, body, strlen(body))
              : status == 404 ? not_found(c)
                              : answer(c, (unsigned)status, "", 0);
        free(body);
        return ret;
    }
    char buf[4096];
    if (!strcmp(p, "/") || !strcmp(p, "/latest") || !strcmp(p, "/latest/"))
        ret = text(c, "meta-data/\nuser-data\n");
    else if (!strcmp(p, "/latest/meta-data") || !strcmp(p, "/latest/meta-data/"))
        ret = text(c, "instance-id\nhostname\nlocal-hostname\nlocal-ipv4\nmac\nuuid\nplacement/\npublic-keys/\nyun/\n");
    else if (!strcmp(p, "/nocloud/") || !strcmp(p, "/nocloud"))
        ret = text(c, "meta-data\nuser-data\nvendor-data\n");
    else if (!strcmp(p, "/nocloud/vendor-data"))
        ret = text(c, ""); /* NoCloud reads all three; yun has no vendor data */
    else if (!strcmp(p, "/nocloud/meta-data"))
        ret = nocloud_meta_data(c, s, id, hostname, keys);
    else if (!strcmp(p, "/latest/meta-data/instance-id"))
        ret = text(c, id);
    else if (!strcmp(p, "/latest/meta-data/hostname") || !strcmp(p, "/latest/meta-data/local-hostname"))
        ret = text(c, hostname);
    else if (!strcmp(p, "/latest/meta-data/local-ipv4"))
        ret = text(c, local_ip);
    else if (!strcmp(p, "/latest/meta-data/mac"))
        ret = text(c, mac);
    else if (!strcmp(p, "/latest/meta-data/uuid"))
        ret = text(c, uuid);
    else if (!strcmp(p, "/latest/meta-data/placement") || !strcmp(p, "/latest/meta-data/placement/"))
        ret = text(c, "zone\nregion\n");
    else if (!strcmp(p, "/latest/meta-data/placement/zone"))
        ret = text(c, zone);
    else if (!strcmp(p, "/latest/meta-data/placement/region"))
        ret = text(c, compute_env.cfg->region);
    else if (!strcmp(p, "/latest/meta-data/public-keys") || !strcmp(p, "/latest/meta-data/public-keys/")) {
        size_t i, used = 0;
        json_t *k;
        buf[0] = 0;
        json_array_foreach (keys, i, k)
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%zu=%s\n", i, json_string_value(k));
        ret = json_array_size(keys) ? text(c, buf) : not_found(c);
    } else {
        unsigned idx;
        char rest[64] = "";
        if (sscanf(p, "/latest/meta-data/public-keys/%u%63s", &idx, rest) >= 1 && idx < json_array_size(keys)) {
            if (!rest[0] || !strcmp(rest, "/"))
                ret = text(c, "openssh-key\n");
            else if (!strcmp(rest, "/openssh-key")) {
                struct store_stmt *k = store_query(s, "SELECT public_key FROM key_pairs WHERE key_id = ?", "s",
                                                   json_string_value(json_array_get(keys, idx)));
                if (k && store_step(k) == 1) {
                    snprintf(buf, sizeof buf, "%s\n", store_text(k, 0));
                    ret = text(c, buf);
                } else {
                    ret = not_found(c);
                }
                store_done(k);
            } else {
                ret = not_found(c);
            }
        } else {
            ret = not_found(c);
        }
    }
    json_decref(keys);
    return ret;
}

/* A listening socket on addr:80 inside network namespace ns (the calling thread returns home). */
static int listen_in_namespace(const char *ns, const char *addr)
{
    char path[64];
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    int target = open(path, O_RDONLY | O_CLOEXEC), home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int fd = -1;
    if (target >= 0 && home >= 0 && setns(target, CLONE_NEWNET) == 0) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
        inet_pton(AF_INET, addr, &sa.sin_addr);
        if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
                        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 128) != 0)) {
            close(fd);
            fd = -1;
        }
        if (setns(home, CLONE_NEWNET) != 0)
            log_error("metadata: cannot return to the host network namespace");
    }
    if (target >= 0)
        close(target);
    if (home >= 0)
        close(home);
    return fd;
}

static void stop_listener(struct listener *l)
{
    for (int i = 0; i < 2; i++)
        if (l->daemons[i]) {
            MHD_stop_daemon(l->daemons[i]);
            l->daemons[i] = NULL;
        }
}

static int start_listener(struct listener *l)
{
    static const char *addrs[2] = {"169.254.169.254", "169.254.0.23"};
    size_t n = strlen(l->vpc_id);
    char ns[16];
    snprintf(ns, sizeof ns, "yv-%.8s", n > 8 ? l->vpc_id + n - 8 : l->vpc_id);
    for (int i = 0; i < 2; i++) {
        int fd = listen_in_namespace(ns, addrs[i]);
        if (fd >= 0)
            l->daemons[i] = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request,
                                             l, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                                             MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_END);
        if (!l->daemons[i]) {
            if (fd >= 0)
                close(fd);
            log_warn("metadata: cannot serve %s:80 in namespace %s", addrs[i], ns);
            stop_listener(l);
            return -1;
        }
    }
    return 0;
}

void metadata_sync(json_t *plan)
{
    json_t *vpcs = plan ? json_object_get(plan, "Vpcs") : NULL;
    pthread_mutex_lock(&listeners_mu);
    for (int i = 0; i < nlisteners;) { /* VPCs that left the host */
        int keep = 0;
        size_t k;
        json_t *v;
        json_array_foreach (vpcs, k, v)
            keep |= !strcmp(json_string_value(json_object_get(v, "VpcId")), listeners[i]->vpc_id);
        if (keep) {
            i++;
            continue;
        }
        stop_listener(listeners[i]);
        free(listeners[i]);
        listeners[i] = listeners[--nlisteners];
    }
    size_t k;
    json_t *v;
    json_array_foreach (vpcs, k, v) {
        const char *id = json_string_value(json_object_get(v, "VpcId"));
        int have = 0;
        for (int i = 0; i < nlisteners; i++)
            have |= !strcmp(listeners[i]->vpc_id, id);
        if (have || nlisteners == MAX_VPC_LISTENERS)
            continue;
        struct listener *l = calloc(1, sizeof *l);
        if (!l)
            break;
        snprintf(l->vpc_id, sizeof l->vpc_id, "%s", id);
        if (start_listener(l) == 0)
            listeners[nlisteners++] = l;
        else
            free(l);
    }
    pthread_mutex_unlock(&listeners_mu);
}
