/*
 * metadata: what the instance metadata service answers (EC2 layout, which cloud-init reads, at
 * 169.254.169.254 and Tencent's 169.254.0.23; /nocloud/{meta-data,user-data,vendor-data} is the same
 * data in cloud-init's NoCloud layout, which the Debian images (images/lib) seed from).
 *
 * The listeners are the host's (src/host/metadata_listen.c: one per VPC with instances on the host,
 * inside the VPC's router namespace). The instance is identified by (the host, the listener's VPC,
 * the connection's source address), never by anything the guest sends: overlapping VPC ranges stay
 * apart, and the host's anti-spoofing rules make the source address trustworthy (a tap can only send
 * from the address it was given). The built-in host's listeners call metadata_answer in-process; a
 * joined host's ask over the host channel, which names the host by its certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/states.h"
#include "host/metadata_listen.h"
#include "identity/sealed.h"

static void reply(struct md_reply *r, unsigned status, const void *body, size_t len)
{
    r->status = status;
    r->body = malloc(len + 1);
    r->len = r->body ? len : 0;
    if (r->body) {
        memcpy(r->body, body, len);
        r->body[len] = 0;
    } else {
        r->status = 500;
    }
}

static void text(struct md_reply *r, const char *s) { reply(r, 200, s, strlen(s)); }

static void not_found(struct md_reply *r) { reply(r, 404, "not found\n", 10); }

static metadata_ext_fn extension;
void metadata_set_extension(metadata_ext_fn fn) { extension = fn; }
/* cloud-init's NoCloud meta-data (YAML; JSON strings are YAML scalars): what the images of
 * images/lib/base.sh seed from (seedfrom http://169.254.169.254/nocloud/). */
static void nocloud_meta_data(struct md_reply *r, struct store *s, const char *id, const char *hostname, json_t *keys)
{
    json_t *jid = json_string(id), *jhost = json_string(hostname);
    char *qid = json_dumps(jid, JSON_ENCODE_ANY), *qhost = json_dumps(jhost, JSON_ENCODE_ANY);
    size_t cap = 1024, used = 0;
    char *buf = malloc(cap);
    if (!buf || !qid || !qhost) {
        reply(r, 500, "out of memory\n", 14);
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
    reply(r, 200, buf, used);
out:
    free(buf);
    free(qid);
    free(qhost);
    json_decref(jid);
    json_decref(jhost);
}

void metadata_answer(struct store *s, const char *host_id, const char *vpc_id, const char *ip, const char *method,
                     const char *url, struct md_reply *r)
{
    memset(r, 0, sizeof *r);
    int post = !strcmp(method, "POST") && !strncmp(url, "/latest/yun/", 12);
    if (!post && strcmp(method, "GET") != 0) {
        reply(r, 405, "method not allowed\n", 19);
        return;
    }
    struct store_stmt *q =
        store_query(s,
                    "SELECT instance_id, hostname, private_ip, mac, uuid, zone, key_ids, user_data FROM instances"
                    " WHERE host_id = ? AND vpc_id = ? AND private_ip = ? AND " INSTANCE_HOLDS_RESOURCES("state"),
                    "sss", host_id, vpc_id, ip);
    if (!q || store_step(q) != 1) {
        store_done(q);
        reply(r, 403, "unknown instance\n", 17); /* not one of this host's */
        return;
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
    const char *p = url;
    int nocloud_ud = !strcmp(p, "/nocloud/user-data");
    if (!strcmp(p, "/latest/user-data") || nocloud_ud) {
        uint8_t *plain = NULL;
        size_t plen = 0;
        if (ud_len && sealed_open(id, ud, ud_len, &plain, &plen) != 0)
            reply(r, 500, "user data cannot be opened\n", 27);
        else if (plen)
            reply(r, 200, plain, plen);
        else if (nocloud_ud)
            text(r, "");
        else
            not_found(r);
        free(plain);
        store_done(q);
        json_decref(keys);
        return;
    }
    store_done(q);
    if (post || !strncmp(p, "/latest/meta-data/yun/", 22)) {
        json_decref(keys);
        char *body = NULL;
        int status = extension ? extension(s, id, method, p, &body) : 404;
        if (body)
            reply(r, (unsigned)status, body, strlen(body));
        else if (status == 404)
            not_found(r);
        else
            reply(r, (unsigned)status, "", 0);
        free(body);
        return;
    }
    char buf[4096];
    if (!strcmp(p, "/") || !strcmp(p, "/latest") || !strcmp(p, "/latest/"))
        text(r, "meta-data/\nuser-data\n");
    else if (!strcmp(p, "/latest/meta-data") || !strcmp(p, "/latest/meta-data/"))
        text(r, "instance-id\nhostname\nlocal-hostname\nlocal-ipv4\nmac\nuuid\nplacement/\npublic-keys/\nyun/\n");
    else if (!strcmp(p, "/nocloud/") || !strcmp(p, "/nocloud"))
        text(r, "meta-data\nuser-data\nvendor-data\n");
    else if (!strcmp(p, "/nocloud/vendor-data"))
        text(r, ""); /* NoCloud reads all three; yun has no vendor data */
    else if (!strcmp(p, "/nocloud/meta-data"))
        nocloud_meta_data(r, s, id, hostname, keys);
    else if (!strcmp(p, "/latest/meta-data/instance-id"))
        text(r, id);
    else if (!strcmp(p, "/latest/meta-data/hostname") || !strcmp(p, "/latest/meta-data/local-hostname"))
        text(r, hostname);
    else if (!strcmp(p, "/latest/meta-data/local-ipv4"))
        text(r, local_ip);
    else if (!strcmp(p, "/latest/meta-data/mac"))
        text(r, mac);
    else if (!strcmp(p, "/latest/meta-data/uuid"))
        text(r, uuid);
    else if (!strcmp(p, "/latest/meta-data/placement") || !strcmp(p, "/latest/meta-data/placement/"))
        text(r, "zone\nregion\n");
    else if (!strcmp(p, "/latest/meta-data/placement/zone"))
        text(r, zone);
    else if (!strcmp(p, "/latest/meta-data/placement/region"))
        text(r, compute_env.cfg->region);
    else if (!strcmp(p, "/latest/meta-data/public-keys") || !strcmp(p, "/latest/meta-data/public-keys/")) {
        size_t i, used = 0;
        json_t *k;
        buf[0] = 0;
        json_array_foreach (keys, i, k)
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%zu=%s\n", i, json_string_value(k));
        if (json_array_size(keys))
            text(r, buf);
        else
            not_found(r);
    } else {
        unsigned idx;
        char rest[64] = "";
        if (sscanf(p, "/latest/meta-data/public-keys/%u%63s", &idx, rest) >= 1 && idx < json_array_size(keys)) {
            if (!rest[0] || !strcmp(rest, "/"))
                text(r, "openssh-key\n");
            else if (!strcmp(rest, "/openssh-key")) {
                struct store_stmt *k = store_query(s, "SELECT public_key FROM key_pairs WHERE key_id = ?", "s",
                                                   json_string_value(json_array_get(keys, idx)));
                if (k && store_step(k) == 1) {
                    snprintf(buf, sizeof buf, "%s\n", store_text(k, 0));
                    text(r, buf);
                } else {
                    not_found(r);
                }
                store_done(k);
            } else {
                not_found(r);
            }
        } else {
            not_found(r);
        }
    }
    json_decref(keys);
}

static void local_answer(const char *vpc_id, const char *ip, const char *method, const char *path, struct md_reply *r)
{
    struct store *s = store_thread();
    if (!s) {
        memset(r, 0, sizeof *r);
        reply(r, 500, "store unavailable\n", 18);
        return;
    }
    metadata_answer(s, compute_env.host_id, vpc_id, ip, method, path, r);
}

void metadata_sync(json_t *plan) { host_metadata_sync(plan, local_answer); }
