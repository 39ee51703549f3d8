/*
 * metadata_listen: the metadata listeners of this host (metadata_listen.h). The sockets are opened
 * inside each VPC's router namespace (where the network plan puts both addresses on the guests'
 * gateway interface) by a thread that enters it and returns; libmicrohttpd serves them. A POST (under
 * /latest/yun/: a guest reporting readiness) has its body read and dropped: the path is the message.
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

#include "core/core.h"
#include "host/metadata_listen.h"

#define MAX_VPC_LISTENERS 256

struct listener {
    char vpc_id[24];
    struct MHD_Daemon *daemons[2];
};
static struct listener *listeners[MAX_VPC_LISTENERS]; /* heap: each daemon keeps a pointer to its own */
static int nlisteners;
static pthread_mutex_t listeners_mu = PTHREAD_MUTEX_INITIALIZER;
static host_md_fn answer_fn; /* under listeners_mu when set; read by the daemons' threads */

static enum MHD_Result send_reply(struct MHD_Connection *c, unsigned status, const void *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    const struct listener *l = cls;
    (void)version;
    (void)upload;
    if (!strcmp(method, "POST")) { /* a body is read and dropped: the path is the whole message */
        if (!*con_cls) {
            *con_cls = (void *)1;
            return MHD_YES;
        }
        if (*upload_size) {
            *upload_size = 0;
            return MHD_YES;
        }
    }
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[64] = "";
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, ip, sizeof ip);
    struct md_reply r = {0};
    host_md_fn fn = answer_fn;
    if (fn)
        fn(l->vpc_id, ip, method, url, &r);
    enum MHD_Result ret = r.body ? send_reply(c, r.status, r.body, r.len) : send_reply(c, 500, "no answer\n", 10);
    free(r.body);
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

void host_metadata_sync(json_t *plan, host_md_fn answer)
{
    json_t *vpcs = plan ? json_object_get(plan, "Vpcs") : NULL;
    pthread_mutex_lock(&listeners_mu);
    answer_fn = answer;
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
