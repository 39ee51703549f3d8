/*
 * config: the daemon configuration. A JSON file (all keys optional) over built-in defaults that
 * give a working single-node cloud: one region, two zones, a per-account rate limit.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "./data");
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 9500;
    snprintf(c->region, sizeof c->region, "ap-local");
    c->nregions = 1;
    struct region_conf *r = &c->regions[0];
    snprintf(r->region, sizeof r->region, "ap-local");
    snprintf(r->name, sizeof r->name, "Local");
    r->nzones = 2;
    for (int i = 0; i < 2; i++) {
        snprintf(r->zones[i].zone, sizeof r->zones[i].zone, "ap-local-%d", i + 1);
        snprintf(r->zones[i].name, sizeof r->zones[i].name, "Local Zone %d", i + 1);
        snprintf(r->zones[i].zone_id, sizeof r->zones[i].zone_id, "10000%d", i + 1);
    }
    c->rate_per_second = 200;
    c->rate_burst = 400;
    c->max_body_bytes = 10 * 1000 * 1000; /* the real API: a POST body of at most 10 MB */
    c->threads = 0;
    c->per_ip_connections = 256;
    c->header_timeout = 10;
    c->body_memory_bytes = 256u << 20;
    snprintf(c->object_host, sizeof c->object_host, "127.0.0.1");
    c->object_port = 0;
    c->object_rate_per_second = 5500;
    c->object_rate_burst = 11000;
    snprintf(c->object_domain, sizeof c->object_domain, "s3.yun.local");
    snprintf(c->object_backend, sizeof c->object_backend, "file");
    c->cpu_overcommit = 8.0;
    c->instance_quota = 50;
    c->boot_concurrency = 0;
    snprintf(c->scheduler, sizeof c->scheduler, "spread");
    snprintf(c->accel, sizeof c->accel, "auto");
    snprintf(c->host_listen, sizeof c->host_listen, "127.0.0.1:9510");
    c->arrears_grace_s = 2 * 3600;       /* Tencent: 2 h for hourly-settled products */
    c->arrears_retention_s = 15 * 86400; /* then 15 days shut down before release */
}

static int copy_str(json_t *o, const char *key, char *dst, size_t len, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= len) {
        snprintf(err, errlen, "config: \"%s\" must be a non-empty string shorter than %zu", key, len);
        return -1;
    }
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int get_int(json_t *o, const char *key, int *dst, int min, int max, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        snprintf(err, errlen, "config: \"%s\" must be an integer in [%d, %d]", key, min, max);
        return -1;
    }
    *dst = (int)json_integer_value(v);
    return 0;
}

static int load_regions(struct config *c, json_t *arr, char *err, size_t errlen)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 16) {
        snprintf(err, errlen, "config: \"regions\" must be an array of 1..16 regions");
        return -1;
    }
    c->nregions = (int)json_array_size(arr);
    for (int i = 0; i < c->nregions; i++) {
        json_t *r = json_array_get(arr, (size_t)i);
        struct region_conf *rc = &c->regions[i];
        memset(rc, 0, sizeof *rc);
        if (copy_str(r, "Region", rc->region, sizeof rc->region, err, errlen) ||
            copy_str(r, "RegionName", rc->name, sizeof rc->name, err, errlen))
            return -1;
        json_t *zones = json_object_get(r, "Zones");
        if (!rc->region[0] || !json_is_array(zones) || json_array_size(zones) == 0 || json_array_size(zones) > 16) {
            snprintf(err, errlen, "config: region %d needs \"Region\" and 1..16 \"Zones\"", i);
            return -1;
        }
        rc->nzones = (int)json_array_size(zones);
        for (int j = 0; j < rc->nzones; j++) {
            json_t *z = json_array_get(zones, (size_t)j);
            struct zone_conf *zc = &rc->zones[j];
            if (copy_str(z, "Zone", zc->zone, sizeof zc->zone, err, errlen) ||
                copy_str(z, "ZoneName", zc->name, sizeof zc->name, err, errlen) ||
                copy_str(z, "ZoneId", zc->zone_id, sizeof zc->zone_id, err, errlen))
                return -1;
            if (!zc->zone[0]) {
                snprintf(err, errlen, "config: every zone needs \"Zone\"");
                return -1;
            }
        }
    }
    return 0;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        snprintf(err, errlen, "config %s: %s (line %d)", path, je.text, je.line);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "config %s: not a JSON object", path);
        goto out;
    }
    /* every key, at the top and in each section, is one yun reads: a misspelt or retired key is an
     * error, never silently ignored */
    static const struct {
        const char *section;
        const char *keys[12];
    } known[] = {
        {"",
         {"store", "region", "regions", "rate_limit", "max_body_bytes", "threads", "http", "object", "compute",
          "billing", "host_listen"}},
        {"billing", {"arrears_grace_seconds", "arrears_retention_seconds"}},
        {"rate_limit", {"per_second", "burst"}},
        {"http", {"per_ip_connections", "header_timeout", "body_memory_mib"}},
        {"object",
         {"host", "port", "domain", "kms_keys", "kms_default_key", "rate_per_second", "rate_burst", "backend"}},
        {"compute",
         {"host_zone", "cpu_overcommit_percent", "instance_quota", "boot_concurrency", "scheduler", "accel"}},
    };
    for (size_t s = 0; s < sizeof known / sizeof known[0]; s++) {
        json_t *obj = *known[s].section ? json_object_get(root, known[s].section) : root;
        if (obj && !json_is_object(obj)) {
            snprintf(err, errlen, "config %s: \"%s\" must be an object", path, known[s].section);
            goto out;
        }
        const char *key;
        json_t *v;
        json_object_foreach (obj, key, v) {
            int ok = 0;
            for (int i = 0; i < 12 && known[s].keys[i]; i++)
                ok |= strcmp(known[s].keys[i], key) == 0;
            if (!ok) {
                snprintf(err, errlen, "config %s: unknown key \"%s%s%s\"", path, known[s].section,
                         *known[s].section ? "." : "", key);
                goto out;
            }
        }
    }
    if (json_object_get(root, "regions") && load_regions(c, json_object_get(root, "regions"), err, errlen))
        goto out;
    if (copy_str(root, "region", c->region, sizeof c->region, err, errlen) ||
        copy_str(root, "store", c->store, sizeof c->store, err, errlen) ||
        copy_str(root, "host_listen", c->host_listen, sizeof c->host_listen, err, errlen))
        goto out;
    json_t *rl = json_object_get(root, "rate_limit");
    if (rl && (get_int(rl, "per_second", &c->rate_per_second, 0, 10000000, err, errlen) ||
               get_int(rl, "burst", &c->rate_burst, 0, 10000000, err, errlen)))
        goto out;
    int mb = (int)c->max_body_bytes;
    if (get_int(root, "max_body_bytes", &mb, 1024, 64 << 20, err, errlen) ||
        get_int(root, "threads", &c->threads, 0, 256, err, errlen))
        goto out;
    c->max_body_bytes = (size_t)mb;
    json_t *hp = json_object_get(root, "http");
    int bodies_mib = (int)(c->body_memory_bytes >> 20);
    if (hp && (get_int(hp, "per_ip_connections", &c->per_ip_connections, 0, 4096, err, errlen) ||
               get_int(hp, "header_timeout", &c->header_timeout, 1, 3600, err, errlen) ||
               get_int(hp, "body_memory_mib", &bodies_mib, 16, 1 << 20, err, errlen)))
        goto out;
    c->body_memory_bytes = (size_t)bodies_mib << 20;
    if (c->body_memory_bytes < c->max_body_bytes + 1) {
        snprintf(err, errlen, "config: http.body_memory_mib must hold one body of max_body_bytes");
        goto out;
    }
    json_t *ob = json_object_get(root, "object");
    if (ob && (copy_str(ob, "host", c->object_host, sizeof c->object_host, err, errlen) ||
               get_int(ob, "port", &c->object_port, -1, 65535, err, errlen) ||
               copy_str(ob, "domain", c->object_domain, sizeof c->object_domain, err, errlen) ||
               copy_str(ob, "backend", c->object_backend, sizeof c->object_backend, err, errlen) ||
               copy_str(ob, "kms_default_key", c->object_kms_default, sizeof c->object_kms_default, err, errlen) ||
               get_int(ob, "rate_per_second", &c->object_rate_per_second, 0, 10000000, err, errlen) ||
               get_int(ob, "rate_burst", &c->object_rate_burst, 0, 10000000, err, errlen)))
        goto out;
    json_t *kms = ob ? json_object_get(ob, "kms_keys") : NULL;
    if (kms && (!json_is_array(kms) || json_array_size(kms) > 16)) {
        snprintf(err, errlen, "config: \"object.kms_keys\" must be an array of at most 16 key ids");
        goto out;
    }
    for (size_t i = 0; kms && i < json_array_size(kms); i++) {
        json_t *k = json_array_get(kms, i);
        const char *id = json_string_value(k);
        size_t n = id ? strlen(id) : 0;
        bool ok = n > 0 && n < sizeof c->object_kms_keys[0];
        for (size_t j = 0; ok && j < n; j++)
            ok = isalnum((unsigned char)id[j]) || strchr("-_/:.", id[j]);
        if (!ok) {
            snprintf(err, errlen, "config: object.kms_keys: each key id is 1-63 of [A-Za-z0-9-_/:.]");
            goto out;
        }
        memcpy(c->object_kms_keys[c->object_nkms_keys++], id, n + 1);
    }
    json_t *bp = json_object_get(root, "billing");
    int grace = (int)c->arrears_grace_s, retention = (int)c->arrears_retention_s;
    if (bp && (get_int(bp, "arrears_grace_seconds", &grace, 0, 30 * 86400, err, errlen) ||
               get_int(bp, "arrears_retention_seconds", &retention, 0, 365 * 86400, err, errlen)))
        goto out;
    c->arrears_grace_s = grace;
    c->arrears_retention_s = retention;
    json_t *cp = json_object_get(root, "compute");
    if (cp) {
        int pct = (int)(c->cpu_overcommit * 100);
        if (copy_str(cp, "host_zone", c->host_zone, sizeof c->host_zone, err, errlen) ||
            get_int(cp, "cpu_overcommit_percent", &pct, 100, 10000, err, errlen) ||
            get_int(cp, "instance_quota", &c->instance_quota, 0, 100000, err, errlen) ||
            get_int(cp, "boot_concurrency", &c->boot_concurrency, 0, 256, err, errlen) ||
            copy_str(cp, "scheduler", c->scheduler, sizeof c->scheduler, err, errlen) ||
            copy_str(cp, "accel", c->accel, sizeof c->accel, err, errlen))
            goto out;
        c->cpu_overcommit = pct / 100.0;
        if (strcmp(c->scheduler, "spread") && strcmp(c->scheduler, "pack")) {
            snprintf(err, errlen, "config: compute.scheduler must be \"spread\" or \"pack\"");
            goto out;
        }
        if (strcmp(c->accel, "auto") && strcmp(c->accel, "kvm") && strcmp(c->accel, "tcg")) {
            snprintf(err, errlen, "config: compute.accel must be \"auto\", \"kvm\" or \"tcg\"");
            goto out;
        }
    }
    if (!config_find_region(c, c->region)) {
        snprintf(err, errlen, "config %s: region \"%s\" is not among \"regions\"", path, c->region);
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

const struct region_conf *config_find_region(const struct config *c, const char *region)
{
    for (int i = 0; region && i < c->nregions; i++)
        if (strcmp(c->regions[i].region, region) == 0)
            return &c->regions[i];
    return NULL;
}

void config_zone_region(const struct config *c, const char *zone, char out[64])
{
    for (int i = 0; c && zone && i < c->nregions; i++)
        for (int j = 0; j < c->regions[i].nzones; j++)
            if (strcmp(c->regions[i].zones[j].zone, zone) == 0) {
                snprintf(out, 64, "%s", c->regions[i].region);
                return;
            }
    zone_region(zone ? zone : "", out);
}

void zone_region(const char *zone, char out[64])
{
    snprintf(out, 64, "%s", zone);
    char *dash = strrchr(out, '-');
    if (dash && dash != out)
        *dash = 0;
}
