/*
 * nft: a namespace's yun tables as one atomic batch, through libnftables in this process (no `nft`
 * process). The text names every table it replaces ("table X {}; delete table X; table X {...}"), and
 * libnftables sends the whole text as one netlink batch: the kernel applies all of it or nothing, so a
 * packet never sees half a ruleset.
 *
 * Nothing is sent when nothing changed, and the kernel is what says so: each table carries the hash of
 * the text that made it as its comment ("yun:<hash>"), read back with one NFT_MSG_GETTABLE per table. The
 * same text over tables stamped with its hash (or, for a text that only deletes, over absent tables) is
 * skipped, whoever applied it (another process, the previous yund); any other state is replaced.
 *
 * A libnftables context is kept per namespace (its netlink socket belongs to the namespace it was made
 * in): freeing one took 4-15 ms here, more than the batch itself (1-3 ms), on a boot's critical path. A
 * context is used only in the namespace it was made in (checked by the namespace's inode), and dropped
 * with its namespace (nft_forget): its socket would keep a deleted namespace alive.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "core/core.h"
#include "host/net_int.h"

/* The comment of table yun of family in the calling thread's namespace: 1 = copied to out, 0 = no such table,
 * -1 = cannot tell. */
struct table_reply {
    char *out;
    size_t len;
    int found;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
    struct table_reply *t = data;
    struct nlattr *a;
    t->found = 1;
    mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
    {
        /* NFTNL_UDATA_TABLE_COMMENT: one TLV (type 0, length, NUL-terminated text) */
        const uint8_t *u = mnl_attr_get_payload(a);
        uint16_t n = mnl_attr_get_payload_len(a);
        if (mnl_attr_get_type(a) == NFTA_TABLE_USERDATA && n > 2 && u[0] == 0 && u[1] <= n - 2)
            snprintf(t->out, t->len, "%.*s", (int)u[1], (const char *)u + 2);
    }
    return MNL_CB_OK;
}

static int table_comment(int family, char *out, size_t len)
{
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!nl)
        return -1;
    char buf[16384];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = 1;
    struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
    g->nfgen_family = (uint8_t)family;
    g->version = NFNETLINK_V0;
    mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "yun");
    struct table_reply t = {.out = out, .len = len};
    *out = 0;
    int rc = -1;
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0 && mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0) {
        unsigned portid = mnl_socket_get_portid(nl);
        ssize_t n;
        while ((n = mnl_socket_recvfrom(nl, buf, sizeof buf)) > 0) {
            int r = mnl_cb_run(buf, (size_t)n, 1, portid, table_cb, &t);
            if (r == MNL_CB_STOP) {
                rc = t.found;
                break;
            }
            if (r < 0) {
                rc = errno == ENOENT ? 0 : -1;
                break;
            }
        }
    }
    mnl_socket_close(nl);
    return rc;
}

static const struct {
    const char *name;
    int family;
} families[] = {{"ip", NFPROTO_IPV4}, {"inet", NFPROTO_INET}, {"bridge", NFPROTO_BRIDGE}};

/* Does the namespace hold exactly what text (stamped stamp) makes of each table it names? */
static int tables_match(const char *text, const char *stamp)
{
    for (size_t i = 0; i < sizeof families / sizeof *families; i++) {
        char def[48], comment[128];
        snprintf(def, sizeof def, "table %s yun {", families[i].name);
        if (!strstr(text, def))
            continue; /* not this text's table */
        snprintf(def, sizeof def, "table %s yun {\n", families[i].name);
        int defined = strstr(text, def) != NULL, have = table_comment(families[i].family, comment, sizeof comment);
        if (have < 0 || have != defined || (defined && strcmp(comment, stamp) != 0))
            return 0;
    }
    return 1;
}

/* The text with `comment "stamp"` opening every table it defines. */
static char *stamped(const char *text, const char *stamp)
{
    size_t n = strlen(text), extra = 0;
    for (const char *p = text; (p = strstr(p, " yun {\n")); p++)
        extra += strlen(stamp) + 16;
    char *out = malloc(n + extra + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = text;;) {
        const char *q = strstr(p, " yun {\n");
        if (!q) {
            strcpy(o, p);
            break;
        }
        q += 7;
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        o += sprintf(o, "\tcomment \"%s\"\n", stamp);
        p = q;
    }
    return out;
}

static pthread_mutex_t ctx_mu = PTHREAD_MUTEX_INITIALIZER;
static struct kept {
    char key[NET_NAME];
    ino_t ns;
    struct nft_ctx *ctx;
} kept[64]; /* under ctx_mu */
static size_t nkept;

static void kept_drop(size_t i)
{
    nft_ctx_free(kept[i].ctx);
    kept[i] = kept[--nkept];
}

/* The context of key made in the calling thread's namespace (made now if there is none or it is another
 * namespace's of the same name); under ctx_mu. */
static struct nft_ctx *ctx_of(const char *key)
{
    struct stat st;
    if (stat("/proc/thread-self/ns/net", &st) != 0)
        return NULL;
    for (size_t i = 0; i < nkept; i++)
        if (!strcmp(kept[i].key, key)) {
            if (kept[i].ns == st.st_ino)
                return kept[i].ctx;
            kept_drop(i);
            break;
        }
    if (nkept == sizeof kept / sizeof kept[0] || strlen(key) >= sizeof kept[0].key)
        return NULL;
    struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!ctx)
        return NULL;
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    snprintf(kept[nkept].key, sizeof kept[0].key, "%s", key);
    kept[nkept].ns = st.st_ino;
    kept[nkept].ctx = ctx;
    nkept++;
    return ctx;
}

void nft_forget(const char *key)
{
    pthread_mutex_lock(&ctx_mu);
    for (size_t i = 0; i < nkept; i++)
        if (!key || !strcmp(kept[i].key, key))
            kept_drop(i--);
    pthread_mutex_unlock(&ctx_mu);
}

int nft_apply(const char *key, const char *text, char *err, size_t errlen)
{
    uint8_t h[32];
    sha256(text, strlen(text), h);
    char stamp[24];
    snprintf(stamp, sizeof stamp, "yun:%02x%02x%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3], h[4], h[5], h[6],
             h[7]);
    if (tables_match(text, stamp))
        return 0;
    char *full = stamped(text, stamp);
    pthread_mutex_lock(&ctx_mu);
    struct nft_ctx *ctx = full ? ctx_of(key) : NULL;
    if (!ctx) {
        pthread_mutex_unlock(&ctx_mu);
        free(full);
        snprintf(err, errlen, "nftables: out of memory");
        return -1;
    }
    int rc = nft_run_cmd_from_buffer(ctx, full);
    if (rc != 0) {
        const char *e = nft_ctx_get_error_buffer(ctx);
        snprintf(err, errlen, "nftables%s%s: %.300s", *key ? " in " : "", key, e && *e ? e : "error");
        err[strcspn(err, "\n")] = 0;
    }
    nft_ctx_get_output_buffer(ctx); /* read: the buffers start over */
    nft_ctx_get_error_buffer(ctx);
    pthread_mutex_unlock(&ctx_mu);
    free(full);
    return rc != 0 ? -1 : 1;
}
