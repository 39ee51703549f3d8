/*
 * net_apply: makes the host match a plan, in the order the kernel needs, sending only differences:
 *
 *   1. host links: read; remove stale yv-/yt- links, then stale router namespaces
 *   2. router namespaces: create the missing ones; inside each (its own thread): lo up, forwarding,
 *      no redirects, no IPv6 (for devices present and future)
 *   3. host links: create missing bridges, veth pairs (far end straight into the namespace), taps and
 *      vxlan links (a VPC's overlay, remade if its id changed);
 *      IPv6 off and ARP only for their own addresses; then masters and up
 *   4. inside each namespace: read; gw0/up0 up, gateways + metadata addresses, transit, default route;
 *      its NAT table
 *   5. host: read again; transit addresses, EIP routes, the vxlan links' FDB entries and neighbours (the
 *      plan's Remotes), the EIPs' proxy neighbours on the uplink (a gratuitous ARP for each new one); the host's
 *      tables; forwarding for the uplink
 *
 * Every step compares with what the kernel holds (rtnl_read, sysctl values, the nft generation), so a
 * second apply of the same plan reads and sends nothing: host_net_changes() is then 0. Steps 2 and 4
 * enter a namespace only when this process has not yet made it hold what its VPC's part of the plan
 * says (a hash per namespace and its inode, below): host_net_entered() counts those entered.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/net_int.h"

static unsigned last_changes, last_entered;

/* What each VPC namespace was last made to hold, by this process: the namespace (its inode under
 * /run/netns) and a hash of its wanted links, addresses, routes and rules. A VPC whose part of the plan
 * is the same over the same namespace is not entered again: an apply for one VPC's change (a boot, a
 * security group) costs that VPC, not every VPC of the host. A new process enters each once. */
static struct vpc_memo {
    char netns[NET_NAME];
    unsigned long long ino;
    uint8_t digest[32];
} * memos;
static int nmemos, cap_memos;

/* YUN_NET_TRACE=1 prints every change to stderr (what an apply did, when a test says it did too much). */
static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
    static int on = -1;
    if (on < 0)
        on = getenv("YUN_NET_TRACE") != NULL;
    if (!on)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "net: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

unsigned host_net_changes(void) { return last_changes; }
unsigned host_net_entered(void) { return last_entered; }

static unsigned long long netns_ino(const char *name)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/run/netns/%s", name);
    return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

static struct vpc_memo *memo_of(const char *netns)
{
    for (int i = 0; i < nmemos; i++)
        if (!strcmp(memos[i].netns, netns))
            return &memos[i];
    return NULL;
}

static void memo_forget(const char *netns)
{
    struct vpc_memo *m = memo_of(netns);
    if (m)
        *m = memos[--nmemos];
}

static void memo_put(const char *netns, unsigned long long ino, const uint8_t digest[32])
{
    struct vpc_memo *m = memo_of(netns);
    if (!m && nmemos == cap_memos) {
        int cap = cap_memos ? cap_memos * 2 : 16;
        struct vpc_memo *more = realloc(memos, (size_t)cap * sizeof *more);
        if (!more)
            return; /* only a cache: entered again next time */
        memos = more;
        cap_memos = cap;
    }
    if (!m)
        m = &memos[nmemos++];
    snprintf(m->netns, sizeof m->netns, "%s", netns);
    m->ino = ino;
    memcpy(m->digest, digest, 32);
}

/* The hash of what vpc_configure makes a VPC's namespace hold: 0, or -1 (out of memory: no hash). */
static int vpc_digest(const struct net_plan *p, const struct vpc_state *v, uint8_t out[32])
{
    struct ns_want w;
    if (net_want_vpc(p, v, &w) != 0 || w.oom) {
        ns_want_free(&w);
        return -1;
    }
    char *rules = net_rules_vpc(p, v), *text = NULL;
    size_t len = 0;
    FILE *f = rules ? open_memstream(&text, &len) : NULL;
    if (f) {
        fprintf(f, "%s\n%d\n%s\n", w.ns, w.prune, rules);
        for (int i = 0; i < w.nlinks; i++)
            fprintf(f, "l %s %d %s %s %s %u %u %d\n", w.links[i].name, w.links[i].kind, w.links[i].peer,
                    w.links[i].peer_ns, w.links[i].master, w.links[i].vni, w.links[i].local, w.links[i].mtu);
        for (int i = 0; i < w.naddrs; i++)
            fprintf(f, "a %s %u %d\n", w.addrs[i].dev, w.addrs[i].addr, w.addrs[i].prefix);
        for (int i = 0; i < w.nroutes; i++)
            fprintf(f, "r %s %u %d %u\n", w.routes[i].dev, w.routes[i].dst, w.routes[i].prefix, w.routes[i].gw);
        for (int i = 0; i < w.nroute_devs; i++)
            fprintf(f, "d %s\n", w.route_devs[i]);
        fclose(f);
    }
    int rc = text ? 0 : -1;
    if (text)
        sha256(text, len, out);
    free(text);
    free(rules);
    ns_want_free(&w);
    return rc;
}

/* Runs the ops of one kind (all kinds if kind < 0); counts them into *changes. */
static int run_ops(struct rtnl *r, const struct net_ops *ops, int kind, unsigned *changes, char *err, size_t errlen)
{
    if (ops->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < ops->n; i++) {
        if (kind >= 0 && ops->v[i].kind != kind)
            continue;
        if (rtnl_exec(r, &ops->v[i], err, errlen) != 0)
            return -1;
        trace("%s %s", net_op_name(ops->v[i].kind), ops->v[i].dev);
        (*changes)++;
    }
    return 0;
}

static int sysctl(const char *path, const char *value, int optional, unsigned *changes, char *err, size_t errlen)
{
    int rc = sysctl_ensure(path, value, optional);
    if (rc < 0) {
        snprintf(err, errlen, "cannot set %s", path);
        return -1;
    }
    if (rc)
        trace("sysctl %s = %s", path, value);
    *changes += (unsigned)rc;
    return 0;
}

static int dev_sysctl(const char *family, const char *dev, const char *key, const char *value, unsigned *changes,
                      char *err, size_t errlen)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/net/%s/conf/%s/%s", family, dev, key);
    return sysctl(path, value, strcmp(family, "ipv6") == 0, changes, err, errlen);
}

struct vpc_job {
    const struct net_plan *p;
    const struct vpc_state *v;
    char err[256];
    unsigned changes;
};

/* Step 2, inside the namespace: the namespace is yun's alone. */
static int vpc_prepare(void *arg)
{
    struct vpc_job *j = arg;
    static const char *const set[][2] = {
        {"/proc/sys/net/ipv4/ip_forward", "1"},
        {"/proc/sys/net/ipv4/conf/all/send_redirects", "0"},
        {"/proc/sys/net/ipv6/conf/default/disable_ipv6", "1"},
        {"/proc/sys/net/ipv6/conf/all/disable_ipv6", "1"},
    };
    for (size_t i = 0; i < sizeof set / sizeof *set; i++)
        if (sysctl(set[i][0], set[i][1], strstr(set[i][0], "ipv6") != NULL, &j->changes, j->err, sizeof j->err) != 0)
            return -1;
    return 0;
}

/* Step 4, inside the namespace. */
static int vpc_configure(void *arg)
{
    struct vpc_job *j = arg;
    struct rtnl *r = rtnl_open(j->err, sizeof j->err);
    if (!r)
        return -1;
    struct ns_want w;
    struct ns_have h = {0};
    struct net_ops ops = {0};
    int rc = net_want_vpc(j->p, j->v, &w) == 0 && rtnl_read(r, &h, j->err, sizeof j->err) == 0 ? 0 : -1;
    if (rc == 0) {
        net_diff_links(&w, &h, &ops);
        net_diff_addrs(&w, &h, &ops);
        net_diff_routes(&w, &h, &ops);
        /* link ups first: the kernel adds no route via a device that is down */
        rc = run_ops(r, &ops, OP_LINK_SET, &j->changes, j->err, sizeof j->err);
        for (int k = OP_ADDR_DEL; rc == 0 && k <= OP_ROUTE_SET; k++)
            rc = run_ops(r, &ops, k, &j->changes, j->err, sizeof j->err);
    }
    if (rc == 0)
        rc = dev_sysctl("ipv4", "gw0", "send_redirects", "0", &j->changes, j->err, sizeof j->err);
    if (rc == 0) {
        char *text = net_rules_vpc(j->p, j->v);
        int n = text ? nft_apply(j->v->netns, text, j->err, sizeof j->err) : -1;
        if (!text)
            snprintf(j->err, sizeof j->err, "out of memory");
        free(text);
        rc = n < 0 ? -1 : 0;
        if (n > 0)
            trace("nft batch in %s", j->v->netns);
        j->changes += n > 0;
    }
    if (w.oom && rc == 0) {
        snprintf(j->err, sizeof j->err, "out of memory");
        rc = -1;
    }
    net_ops_free(&ops);
    ns_have_free(&h);
    ns_want_free(&w);
    rtnl_close(r);
    return rc;
}

static int in_vpc(const struct net_plan *p, const struct vpc_state *v, int (*fn)(void *), unsigned *changes, char *err,
                  size_t errlen)
{
    struct vpc_job j = {.p = p, .v = v};
    int rc = netns_run(v->netns, fn, &j);
    *changes += j.changes;
    if (rc != 0)
        snprintf(err, errlen, "in namespace %s: %s", v->netns, *j.err ? j.err : "cannot enter");
    return rc;
}

/* What the host namespace should hold (want) and what it holds: 0, or -1 (err set, nothing held). */
static int want_and_have(struct rtnl *r, const struct net_plan *p,
                         int (*want)(const struct net_plan *, struct ns_want *), struct ns_want *w, struct ns_have *h,
                         char *err, size_t errlen)
{
    if (want(p, w) != 0) {
        ns_want_free(w);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (rtnl_read(r, h, err, errlen) != 0) {
        ns_want_free(w);
        return -1;
    }
    return 0;
}

/* Steps 1 and 3, and the namespaces in between. */
static int apply_links(struct rtnl *r, const struct net_plan *p, unsigned *changes, char *err, size_t errlen)
{
    struct ns_want w;
    struct ns_have h;
    struct net_ops ops = {0};
    if (want_and_have(r, p, net_want_host_links, &w, &h, err, errlen) != 0)
        return -1;
    net_diff_links(&w, &h, &ops);
    int rc = run_ops(r, &ops, OP_LINK_DEL, changes, err, errlen);
    char have[256][NET_NAME];
    int nhave = rc == 0 ? netns_list_ours(have, 256) : 0;
    for (int i = 0; i < nhave; i++) {
        int keep = 0;
        for (int k = 0; k < p->nv && !keep; k++)
            keep = strcmp(have[i], p->v[k].netns) == 0;
        if (!keep) {
            nft_forget(have[i]);
            memo_forget(have[i]);
            netns_del(have[i]);
            trace("netns del %s", have[i]);
            (*changes)++;
        }
    }
    for (int k = 0; rc == 0 && k < p->nv; k++) {
        if (!netns_exists(p->v[k].netns)) {
            rc = netns_add(p->v[k].netns, err, errlen);
            trace("netns add %s", p->v[k].netns);
            (*changes)++;
        }
        const struct vpc_memo *m = memo_of(p->v[k].netns);
        if (rc == 0 && !(m && m->ino == netns_ino(p->v[k].netns))) { /* prepared once per namespace */
            rc = in_vpc(p, &p->v[k], vpc_prepare, changes, err, errlen);
            last_entered++;
        }
    }
    if (rc == 0)
        rc = run_ops(r, &ops, OP_LINK_ADD, changes, err, errlen);
    /* IPv6 is not a feature yet: yun's devices in the host namespace carry no IPv6 address, so a guest
     * cannot reach the host over link-local (the bridge is the guest's layer-2 neighbour). The bridge
     * must never answer a guest's ARP with one of the host's own addresses (a host holding
     * 169.254.169.254 would steal the metadata traffic). Both before the devices go up. */
    for (int i = 0; rc == 0 && i < w.nlinks; i++) {
        rc = dev_sysctl("ipv6", w.links[i].name, "disable_ipv6", "1", changes, err, errlen);
        if (rc == 0 && w.links[i].kind == LINK_BRIDGE)
            rc = dev_sysctl("ipv4", w.links[i].name, "arp_ignore", "8", changes, err, errlen);
    }
    if (rc == 0)
        rc = run_ops(r, &ops, OP_LINK_SET, changes, err, errlen);
    net_ops_free(&ops);
    ns_have_free(&h);
    ns_want_free(&w);
    return rc;
}

/* Step 5. */
static int apply_host_l3(struct rtnl *r, const struct net_plan *p, unsigned *changes, char *err, size_t errlen)
{
    struct ns_want w;
    struct ns_have h;
    struct net_ops ops = {0};
    if (want_and_have(r, p, net_want_host_l3, &w, &h, err, errlen) != 0)
        return -1;
    net_diff_addrs(&w, &h, &ops);
    net_diff_routes(&w, &h, &ops);
    net_diff_fdb(&w, &h, &ops);
    net_diff_proxies(&w, &h, &ops);
    int rc = run_ops(r, &ops, -1, changes, err, errlen);
    net_ops_free(&ops);
    ns_have_free(&h);
    ns_want_free(&w);
    if (rc != 0)
        return -1;
    char *rules = net_rules_host(p);
    int n = rules ? nft_apply("", rules, err, errlen) : -1;
    if (!rules)
        snprintf(err, errlen, "out of memory");
    free(rules);
    if (n < 0)
        return -1;
    if (n > 0)
        trace("nft batch on the host");
    *changes += n > 0;
    /* forwarding between the transit links and the uplink */
    return *p->uplink ? sysctl("/proc/sys/net/ipv4/ip_forward", "1", 0, changes, err, errlen) : 0;
}

int host_net_apply(json_t *doc, char *err, size_t errlen)
{
    struct net_plan p;
    unsigned changes = 0;
    if (net_plan_load(doc, &p, err, errlen) != 0)
        return -1;
    last_entered = 0;
    struct rtnl *r = rtnl_open(err, errlen);
    int rc = r ? apply_links(r, &p, &changes, err, errlen) : -1;
    for (int k = 0; rc == 0 && k < p.nv; k++) {
        const struct vpc_state *v = &p.v[k];
        uint8_t digest[32];
        unsigned long long ino = netns_ino(v->netns);
        const struct vpc_memo *m = memo_of(v->netns);
        int hashed = vpc_digest(&p, v, digest) == 0;
        if (hashed && ino && m && m->ino == ino && !memcmp(m->digest, digest, sizeof digest))
            continue; /* made so by this process, unchanged since */
        rc = in_vpc(&p, v, vpc_configure, &changes, err, errlen);
        last_entered++;
        if (rc == 0 && hashed && ino)
            memo_put(v->netns, ino, digest);
        else
            memo_forget(v->netns);
    }
    if (rc == 0)
        rc = apply_host_l3(r, &p, &changes, err, errlen);
    rtnl_close(r);
    net_plan_free(&p);
    last_changes = changes;
    return rc;
}

int host_net_teardown(char *err, size_t errlen)
{
    json_t *empty = json_pack("{s:[],s:[],s:[]}", "Vpcs", "Nics", "SecurityGroups");
    int rc = host_net_apply(empty, err, errlen);
    json_decref(empty);
    return rc;
}

static char uplink_named[16]; /* `yun host join --uplink DEV`, set once before any apply */

void host_net_uplink_set(const char *dev) { snprintf(uplink_named, sizeof uplink_named, "%s", dev ? dev : ""); }

void host_net_uplink(char *out, size_t len)
{
    out[0] = 0;
    if (uplink_named[0]) {
        snprintf(out, len, "%s", uplink_named);
        return;
    }
    FILE *f = fopen("/proc/net/route", "r");
    char line[256], dev[32];
    unsigned dest, flags;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "%31s %x %*x %x", dev, &dest, &flags) == 3 && dest == 0 && (flags & 1) && strlen(dev) < len &&
            strlen(dev) < 16) {
            snprintf(out, len, "%s", dev);
            break;
        }
    if (f)
        fclose(f);
}
