/*
 * net_diff: the changes that turn what a namespace holds (struct ns_have, read by rtnl.c) into what
 * the plan wants there (struct ns_want, net_plan.c). Pure: no kernel, so tests/unit/test_net_plan.c
 * checks it case by case. What is already right produces nothing, which is how an apply of an
 * unchanged plan sends nothing.
 *
 * Ownership: in a pruned namespace (the host's) yun owns every yv- link and the yt- links enslaved to
 * a yv- bridge (a yt- tap of someone else stays); it owns the whole address set of every device its
 * want names, and the gateway routes of the devices named in route_devs (connected routes are the
 * kernel's), and the whole FDB (entries with a remote) and permanent neighbours of the devices named in
 * fdb_devs (the vxlan links). A vxlan link whose id or local address differs from the plan's is made anew.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net/if.h>

#include "host/net_int.h"

const struct have_link *ns_have_link(const struct ns_have *h, const char *name)
{
    for (int i = 0; i < h->nlinks; i++)
        if (strcmp(h->links[i].name, name) == 0)
            return &h->links[i];
    return NULL;
}

const struct have_link *ns_have_index(const struct ns_have *h, int ifindex)
{
    for (int i = 0; i < h->nlinks; i++)
        if (h->links[i].ifindex == ifindex)
            return &h->links[i];
    return NULL;
}

void ns_have_free(struct ns_have *h)
{
    free(h->links);
    free(h->addrs);
    free(h->routes);
    free(h->fdb);
    free(h->neigh);
    free(h->proxies);
    memset(h, 0, sizeof *h);
}

void net_ops_free(struct net_ops *ops)
{
    free(ops->v);
    memset(ops, 0, sizeof *ops);
}

const char *net_op_name(int kind)
{
    static const char *const names[] = {"link del",  "link add",  "link set", "address del", "address add",
                                        "route del", "route set", "fdb del",  "fdb add",     "neigh del",
                                        "neigh set", "proxy del", "proxy add"};
    return kind >= 0 && kind < (int)(sizeof names / sizeof *names) ? names[kind] : "?";
}

static struct net_op *push(struct net_ops *ops, int kind, const char *dev)
{
    if (ops->n == ops->cap) {
        int cap = ops->cap ? ops->cap * 2 : 16;
        struct net_op *v = realloc(ops->v, (size_t)cap * sizeof *v);
        if (!v) {
            ops->oom = 1;
            return NULL;
        }
        ops->v = v;
        ops->cap = cap;
    }
    struct net_op *o = &ops->v[ops->n++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    snprintf(o->dev, sizeof o->dev, "%s", dev);
    return o;
}

static const struct want_link *wanted_link(const struct ns_want *w, const char *name)
{
    for (int i = 0; i < w->nlinks; i++)
        if (strcmp(w->links[i].name, name) == 0)
            return &w->links[i];
    return NULL;
}

/* Stale links first (a name may be reused), then missing links, then masters and up flags. */
/* A link present under a wanted name that must be made anew: a vxlan link with another id or local address. */
static int remake(const struct want_link *l, const struct have_link *have)
{
    return have && l->kind == LINK_VXLAN && (have->vni != l->vni || have->local != l->local);
}

void net_diff_links(const struct ns_want *w, const struct ns_have *h, struct net_ops *ops)
{
    for (int i = 0; w->prune && i < h->nlinks; i++) {
        const struct have_link *l = &h->links[i];
        const struct have_link *m = l->master ? ns_have_index(h, l->master) : NULL;
        int ours = strncmp(l->name, "yv-", 3) == 0 ||
                   (strncmp(l->name, "yt-", 3) == 0 && m && strncmp(m->name, "yv-", 3) == 0);
        const struct want_link *want = wanted_link(w, l->name);
        if ((ours && !want) || (want && remake(want, l)))
            push(ops, OP_LINK_DEL, l->name);
    }
    for (int i = 0; i < w->nlinks; i++) {
        const struct want_link *l = &w->links[i];
        const struct have_link *have = ns_have_link(h, l->name);
        if (l->kind == LINK_ANY || (have && !remake(l, have)))
            continue;
        struct net_op *o = push(ops, OP_LINK_ADD, l->name);
        if (o) {
            o->link_kind = l->kind;
            snprintf(o->peer, sizeof o->peer, "%s", l->peer);
            snprintf(o->peer_ns, sizeof o->peer_ns, "%s", l->peer_ns);
            o->vni = l->vni;
            o->local = l->local;
            o->mtu = l->mtu;
        }
    }
    for (int i = 0; i < w->nlinks; i++) {
        const struct want_link *l = &w->links[i];
        const struct have_link *have = ns_have_link(h, l->name);
        if (!have && l->kind == LINK_ANY)
            continue; /* not ours to create */
        if (remake(l, have))
            have = NULL;
        const struct have_link *master = *l->master ? ns_have_link(h, l->master) : NULL;
        int right_master = !*l->master || (have && master && have->master == master->ifindex);
        int right_mtu = !l->mtu || (have && have->mtu == l->mtu);
        if (have && right_master && right_mtu && (have->flags & IFF_UP))
            continue;
        struct net_op *o = push(ops, OP_LINK_SET, l->name);
        if (o) {
            snprintf(o->master, sizeof o->master, "%s", l->master);
            o->mtu = l->mtu;
        }
    }
}

static int managed_dev(const struct ns_want *w, const char *dev)
{
    for (int i = 0; i < w->naddrs; i++)
        if (strcmp(w->addrs[i].dev, dev) == 0)
            return 1;
    return 0;
}

void net_diff_addrs(const struct ns_want *w, const struct ns_have *h, struct net_ops *ops)
{
    for (int i = 0; i < h->naddrs; i++) {
        const struct have_addr *a = &h->addrs[i];
        const struct have_link *l = ns_have_index(h, a->ifindex);
        if (!l || !managed_dev(w, l->name))
            continue;
        int keep = 0;
        for (int k = 0; k < w->naddrs && !keep; k++)
            keep =
                strcmp(w->addrs[k].dev, l->name) == 0 && w->addrs[k].addr == a->addr && w->addrs[k].prefix == a->prefix;
        if (!keep) {
            struct net_op *o = push(ops, OP_ADDR_DEL, l->name);
            if (o) {
                o->addr = a->addr;
                o->prefix = a->prefix;
            }
        }
    }
    for (int k = 0; k < w->naddrs; k++) {
        const struct want_addr *a = &w->addrs[k];
        const struct have_link *l = ns_have_link(h, a->dev);
        int found = 0;
        for (int i = 0; l && i < h->naddrs && !found; i++)
            found = h->addrs[i].ifindex == l->ifindex && h->addrs[i].addr == a->addr && h->addrs[i].prefix == a->prefix;
        if (!found) {
            struct net_op *o = push(ops, OP_ADDR_ADD, a->dev);
            if (o) {
                o->addr = a->addr;
                o->prefix = a->prefix;
            }
        }
    }
}

void net_diff_routes(const struct ns_want *w, const struct ns_have *h, struct net_ops *ops)
{
    for (int i = 0; i < h->nroutes; i++) {
        const struct have_route *r = &h->routes[i];
        const struct have_link *l = ns_have_index(h, r->oif);
        int managed = 0;
        for (int k = 0; l && k < w->nroute_devs && !managed; k++)
            managed = strcmp(w->route_devs[k], l->name) == 0;
        if (!managed || !r->gw)
            continue;
        int keep = 0;
        for (int k = 0; k < w->nroutes && !keep; k++)
            keep = strcmp(w->routes[k].dev, l->name) == 0 && w->routes[k].dst == r->dst &&
                   w->routes[k].prefix == r->prefix && w->routes[k].gw == r->gw;
        if (!keep) {
            struct net_op *o = push(ops, OP_ROUTE_DEL, l->name);
            if (o) {
                o->addr = r->dst;
                o->prefix = r->prefix;
                o->gw = r->gw;
            }
        }
    }
    for (int k = 0; k < w->nroutes; k++) {
        const struct want_route *r = &w->routes[k];
        const struct have_link *l = ns_have_link(h, r->dev);
        int found = 0;
        for (int i = 0; l && i < h->nroutes && !found; i++)
            found = h->routes[i].oif == l->ifindex && h->routes[i].dst == r->dst && h->routes[i].prefix == r->prefix &&
                    h->routes[i].gw == r->gw;
        if (!found) {
            struct net_op *o = push(ops, OP_ROUTE_SET, r->dev);
            if (o) {
                o->addr = r->dst;
                o->prefix = r->prefix;
                o->gw = r->gw;
            }
        }
    }
}

static int fdb_dev(const struct ns_want *w, const char *dev)
{
    for (int k = 0; k < w->nfdb_devs; k++)
        if (strcmp(w->fdb_devs[k], dev) == 0)
            return 1;
    return 0;
}

/* Stale entries first (a neighbour whose MAC changed is replaced in place), then missing ones. */
void net_diff_fdb(const struct ns_want *w, const struct ns_have *h, struct net_ops *ops)
{
    for (int i = 0; i < h->nfdb; i++) {
        const struct have_fdb *f = &h->fdb[i];
        const struct have_link *l = ns_have_index(h, f->ifindex);
        if (!l || !fdb_dev(w, l->name))
            continue;
        int keep = 0;
        for (int k = 0; k < w->nfdb && !keep; k++)
            keep = strcmp(w->fdb[k].dev, l->name) == 0 && w->fdb[k].dst == f->dst && !memcmp(w->fdb[k].mac, f->mac, 6);
        struct net_op *o = keep ? NULL : push(ops, OP_FDB_DEL, l->name);
        if (o) {
            memcpy(o->mac, f->mac, 6);
            o->gw = f->dst;
        }
    }
    for (int i = 0; i < h->nneigh; i++) {
        const struct have_neigh *n = &h->neigh[i];
        const struct have_link *l = ns_have_index(h, n->ifindex);
        if (!l || !fdb_dev(w, l->name))
            continue;
        int wanted = 0;
        for (int k = 0; k < w->nneigh && !wanted; k++)
            wanted = strcmp(w->neigh[k].dev, l->name) == 0 && w->neigh[k].ip == n->ip;
        struct net_op *o = wanted ? NULL : push(ops, OP_NEIGH_DEL, l->name);
        if (o)
            o->addr = n->ip;
    }
    for (int k = 0; k < w->nfdb; k++) {
        const struct want_fdb *f = &w->fdb[k];
        const struct have_link *l = ns_have_link(h, f->dev);
        int found = 0;
        for (int i = 0; l && i < h->nfdb && !found; i++)
            found = h->fdb[i].ifindex == l->ifindex && h->fdb[i].dst == f->dst && !memcmp(h->fdb[i].mac, f->mac, 6);
        struct net_op *o = found ? NULL : push(ops, OP_FDB_ADD, f->dev);
        if (o) {
            memcpy(o->mac, f->mac, 6);
            o->gw = f->dst;
        }
    }
    for (int k = 0; k < w->nneigh; k++) {
        const struct want_neigh *n = &w->neigh[k];
        const struct have_link *l = ns_have_link(h, n->dev);
        int found = 0;
        for (int i = 0; l && i < h->nneigh && !found; i++)
            found = h->neigh[i].ifindex == l->ifindex && h->neigh[i].ip == n->ip && !memcmp(h->neigh[i].mac, n->mac, 6);
        struct net_op *o = found ? NULL : push(ops, OP_NEIGH_SET, n->dev);
        if (o) {
            o->addr = n->ip;
            memcpy(o->mac, n->mac, 6);
        }
    }
}

/* An EIP is published on the uplink by a proxy neighbour; the set is yun's own (NEIGH_PROTO_YUN): an operator's proxy
 * entries are never touched, and one of yun's on a device no longer the uplink goes too. */
void net_diff_proxies(const struct ns_want *w, const struct ns_have *h, struct net_ops *ops)
{
    for (int i = 0; i < h->nproxies; i++) {
        const struct have_proxy *p = &h->proxies[i];
        const struct have_link *l = ns_have_index(h, p->ifindex);
        if (!p->ours || !l)
            continue;
        int wanted = 0;
        for (int k = 0; k < w->nproxies && !wanted; k++)
            wanted = w->proxies[k].ip == p->ip && strcmp(w->proxies[k].dev, l->name) == 0;
        struct net_op *o = wanted ? NULL : push(ops, OP_PROXY_DEL, l->name);
        if (o)
            o->addr = p->ip;
    }
    for (int k = 0; k < w->nproxies; k++) {
        const struct want_proxy *p = &w->proxies[k];
        const struct have_link *l = ns_have_link(h, p->dev);
        if (!l)
            continue; /* no such device (yet): nothing to publish on */
        int found = 0;
        for (int i = 0; i < h->nproxies && !found; i++)
            found = h->proxies[i].ifindex == l->ifindex && h->proxies[i].ip == p->ip;
        struct net_op *o = found ? NULL : push(ops, OP_PROXY_ADD, p->dev);
        if (o)
            o->addr = p->ip;
    }
}
