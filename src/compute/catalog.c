/*
 * catalog: what can be launched. Instance types are a table in code (the operator's price list
 * comes with billing); images live in the store: the built-in public image (built from Debian
 * packages by images/build-tiny.sh, kept in DATA/images/tiny) and images operators import.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/codes.h"
#include "api/filters.h"
#include "compute/compute.h"
#include "compute/states.h"
#include "host/hypervisor.h"

const struct instance_type instance_types[] = {
    {"S5.SMALL1", "S5", 1, 1},     {"S5.SMALL2", "S5", 1, 2},   {"S5.SMALL4", "S5", 1, 4},
    {"S5.MEDIUM2", "S5", 2, 2},    {"S5.MEDIUM4", "S5", 2, 4},  {"S5.MEDIUM8", "S5", 2, 8},
    {"S5.LARGE8", "S5", 4, 8},     {"S5.LARGE16", "S5", 4, 16}, {"S5.2XLARGE16", "S5", 8, 16},
    {"S5.2XLARGE32", "S5", 8, 32}, {NULL, NULL, 0, 0},
};

int instance_type_cdh(const char *name, struct instance_type *out)
{
    int cpu = 0, gib = 0, used = 0;
    if (!name || sscanf(name, "CDH_%dC%dG%n", &cpu, &gib, &used) != 2 || name[used] != 0 || cpu < 1 || cpu > 256 ||
        gib < 1 || gib > 2048)
        return 0;
    *out = (struct instance_type){name, "CDH", cpu, gib};
    return 1;
}

const struct instance_type *instance_type_find(const char *name)
{
    for (const struct instance_type *t = instance_types; name && t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static int describe_instance_type_configs(struct api_ctx *ctx)
{
    static const char *const allowed[] = {"zone", "instance-family", "instance-type", NULL};
    if (filters_validate(ctx, allowed))
        return -1;
    const struct region_conf *r = config_find_region(ctx->config, ctx->region);
    json_t *set = json_array();
    for (int z = 0; r && z < r->nzones; z++) {
        if (!filter_match(ctx, "zone", r->zones[z].zone))
            continue;
        for (const struct instance_type *t = instance_types; t->name; t++) {
            if (!filter_match(ctx, "instance-family", t->family) || !filter_match(ctx, "instance-type", t->name))
                continue;
            json_array_append_new(set, json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:i}", "Zone", r->zones[z].zone,
                                                 "InstanceType", t->name, "InstanceFamily", t->family, "CPU", t->cpu,
                                                 "Memory", t->memory_gib, "GPU", 0, "FPGA", 0));
        }
    }
    json_object_set_new(ctx->out, "InstanceTypeConfigSet", set);
    return 0;
}

static json_t *image_json(struct store_stmt *q)
{
    /* image_id, name, image_type, os_name, platform, architecture, size_gib, state, source, created, description */
    char t[32];
    time_iso8601(store_int(q, 9), t);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:[]}", "ImageId", store_text(q, 0),
                     "ImageName", store_text(q, 1), "ImageType", store_text(q, 2), "OsName", store_text(q, 3),
                     "Platform", store_text(q, 4), "Architecture", store_text(q, 5), "ImageSize",
                     (json_int_t)store_int(q, 6), "ImageState", store_text(q, 7), "ImageSource", store_text(q, 8),
                     "CreatedTime", t, "ImageDescription", store_text(q, 10), "ImageCreator", "", "IsSupportCloudinit",
                     1, "Tags");
}

static int describe_images(struct api_ctx *ctx)
{
    static const char *const allowed[] = {"image-id", "image-type", "image-name", "platform", "image-state", NULL};
    if (filters_exclusive(ctx, "ImageIds"))
        return -1;
    if (filters_validate(ctx, allowed))
        return -1;
    json_t *ids = json_object_get(ctx->params, "ImageIds");
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 20);
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT image_id, name, image_type, os_name, platform, architecture, size_gib, state,"
                    " source, created, description FROM images WHERE owner_uin = ''"
                    " OR (owner_uin = ? AND region = ?) ORDER BY created, image_id",
                    "ss", ctx->who.owner_uin, ctx->region);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The image catalogue is unavailable.");
    struct page pg;
    page_start(&pg, offset, limit);
    int rc;
    while ((rc = store_step(q)) == 1) {
        const char *id = store_text(q, 0);
        if (ids && !values_contain(ids, id))
            continue;
        if (!filter_match(ctx, "image-id", id) || !filter_match(ctx, "image-type", store_text(q, 2)) ||
            !filter_match(ctx, "image-name", store_text(q, 1)) || !filter_match(ctx, "platform", store_text(q, 4)) ||
            !filter_match(ctx, "image-state", store_text(q, 7)))
            continue;
        if (page_take(&pg))
            json_array_append_new(pg.set, image_json(q));
    }
    store_done(q);
    page_finish(ctx, &pg, "ImageSet");
    return rc < 0 ? api_fail(ctx, E_INTERNAL_ERROR, "The image catalogue is unavailable.") : 0;
}

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= 40 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

int catalog_register_image(struct store *s, const char *name, const char *image_dir, char id[20], char *err,
                           size_t errlen)
{
    char kernel[700], initrd[700], disk[700], mpath[700];
    if (!name_ok(name)) {
        snprintf(err, errlen, "image name `%s` must be 1 to 40 of a-z, 0-9 and -", name);
        return -1;
    }
    snprintf(kernel, sizeof kernel, "%s/vmlinux", image_dir);
    snprintf(initrd, sizeof initrd, "%s/initramfs.cpio.gz", image_dir);
    snprintf(disk, sizeof disk, "%s/disk.qcow2", image_dir);
    snprintf(mpath, sizeof mpath, "%s/manifest.json", image_dir);
    struct stat st;
    int have_disk = stat(disk, &st) == 0;
    const char *state = stat(kernel, &st) == 0 && stat(initrd, &st) == 0 ? IMAGE_NORMAL : "UNAVAILABLE";
    /* the tiny image has no manifest: its fixed description */
    const char *iname = "yun-tiny", *os = "Yun Tiny Linux (Debian 12 kernel, busybox)", *platform = "Linux";
    const char *desc = "Small Linux built from Debian packages: SSH, metadata, user data", *cmdline = "";
    int64_t size = 1, min_mem = 0;
    char *mtext = NULL;
    json_error_t jerr;
    json_t *m = NULL;
    if (stat(mpath, &st) == 0) {
        m = json_load_file(mpath, 0, &jerr);
        if (!json_is_object(m)) {
            snprintf(err, errlen, "%s: %s", mpath, jerr.text);
            json_decref(m);
            return -1;
        }
        const char *mname = json_string_value(json_object_get(m, "name"));
        if (!mname || strcmp(mname, name)) {
            snprintf(err, errlen, "%s names `%s`, not `%s`", mpath, mname ? mname : "", name);
            json_decref(m);
            return -1;
        }
#define MSTR(key, var)                                                                                                 \
    if (json_is_string(json_object_get(m, key)) && *json_string_value(json_object_get(m, key)))                        \
    var = json_string_value(json_object_get(m, key))
        MSTR("display_name", iname);
        MSTR("os_name", os);
        MSTR("platform", platform);
        MSTR("description", desc);
        MSTR("kernel_cmdline", cmdline);
#undef MSTR
        if (json_integer_value(json_object_get(m, "required_disk_gib")) > 0)
            size = json_integer_value(json_object_get(m, "required_disk_gib"));
        min_mem = json_integer_value(json_object_get(m, "required_memory_mib"));
        mtext = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    }
    char new_id[20];
    random_id("img-", new_id, sizeof new_id);
    int rc = store_exec(
        s,
        "INSERT INTO images (image_id, owner_uin, name, image_type, os_name, platform, architecture, size_gib,"
        " kernel, initrd, disk, state, source, created, description, builtin, cmdline, min_memory_mib, manifest)"
        " VALUES (?, '', ?, 'PUBLIC_IMAGE', ?, ?, 'x86_64', ?, ?, ?, ?, ?, 'OFFICIAL', ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (builtin) DO UPDATE SET name = excluded.name, os_name = excluded.os_name,"
        " platform = excluded.platform, size_gib = excluded.size_gib, kernel = excluded.kernel,"
        " initrd = excluded.initrd, disk = excluded.disk, state = excluded.state,"
        " description = excluded.description, cmdline = excluded.cmdline,"
        " min_memory_mib = excluded.min_memory_mib, manifest = excluded.manifest",
        "ssssissssisssis", new_id, iname, os, platform, size, kernel, initrd, have_disk ? disk : NULL, state,
        time_now(), desc, name, cmdline, min_mem, mtext ? mtext : "");
    free(mtext);
    json_decref(m);
    if (rc < 0) {
        snprintf(err, errlen, "cannot register image %s: %s", name, store_errmsg(s));
        return -1;
    }
    if (catalog_builtin_id(s, name, id) != STORE_FOUND) {
        snprintf(err, errlen, "image %s did not register: %s", name, store_errmsg(s));
        return -1;
    }
    return 0;
}

/* Registers (or refreshes) the built-in public image; its id is made once and kept. */
int catalog_register_builtin(struct store *s, const char *image_dir)
{
    char id[20], err[300];
    if (catalog_register_image(s, "tiny", image_dir, id, err, sizeof err) != 0) {
        log_error("%s", err);
        return -1;
    }
    return 0;
}

int catalog_register_built(struct store *s, const char *data_dir)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/images", data_dir);
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char idir[900], mpath[1000], id[20], err[300];
        struct stat st;
        if (!name_ok(e->d_name) || !strcmp(e->d_name, "tiny"))
            continue;
        snprintf(idir, sizeof idir, "%s/%s", dir, e->d_name);
        snprintf(mpath, sizeof mpath, "%s/manifest.json", idir);
        if (stat(mpath, &st) != 0)
            continue;
        if (catalog_register_image(s, e->d_name, idir, id, err, sizeof err) == 0)
            n++;
        else
            log_warn("%s", err);
    }
    if (d)
        closedir(d);
    return n;
}

/* The id of the public image registered under a built-in name ("tiny", a blueprint's name):
 * STORE_FOUND with id set, STORE_NOT_FOUND, or STORE_ERROR. */
int catalog_builtin_id(struct store *s, const char *builtin, char id[20])
{
    struct store_stmt *q =
        store_query(s, "SELECT image_id FROM images WHERE owner_uin = '' AND builtin = ?", "s", builtin);
    if (!q)
        return STORE_ERROR;
    int rc = store_step(q);
    if (rc == 1)
        snprintf(id, 20, "%s", store_text(q, 0));
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc == 1 ? STORE_FOUND : STORE_NOT_FOUND;
}

int catalog_import_image(struct store *s, const char *data_dir, const char *file, const char *name, const char *os_name,
                         const char *owner_uin, const char *region, char id[20], char *err, size_t errlen)
{
    char dir[700], dest[800], tmp[820];
    random_id("img-", id, 20);
    snprintf(dir, sizeof dir, "%s/images/%s", data_dir, id);
    snprintf(dest, sizeof dest, "%s/disk", dir);
    snprintf(tmp, sizeof tmp, "%s/disk.tmp", dir);
    if (mkdir_p(dir, 0700) != 0) {
        snprintf(err, errlen, "cannot create %s", dir);
        return -1;
    }
    long long bytes = 0;
    if (hv_driver()->import_image(file, tmp, &bytes, err, errlen) != HV_OK || rename(tmp, dest) != 0) {
        unlink(tmp);
        rmdir(dir);
        return -1;
    }
    int64_t gib = (int64_t)((bytes + (1ll << 30) - 1) >> 30);
    /* the description is the tenant's to read: never the host path the image came from */
    if (store_exec(
            s,
            "INSERT INTO images (image_id, owner_uin, name, image_type, os_name, platform, architecture, size_gib,"
            " kernel, initrd, disk, state, source, created, description, region) VALUES (?, ?, ?, ?, ?, 'Linux',"
            " 'x86_64', ?, NULL, NULL, ?, '" IMAGE_NORMAL "', 'IMPORT', ?, '', ?)",
            "sssssisis", id, owner_uin, name, owner_uin[0] ? "PRIVATE_IMAGE" : "PUBLIC_IMAGE", os_name, gib ? gib : 1,
            dest, time_now(), owner_uin[0] ? region : "") != 1) {
        snprintf(err, errlen, "%s", store_errmsg(s));
        unlink(dest);
        rmdir(dir);
        return -1;
    }
    return 0;
}

static const struct param p_describe_types[] = {P_FILTERS, P_END};
static const struct param p_describe_images[] = {P_STRS("ImageIds", 0, 100, 32),   P_FILTERS,
                                                 P_INT("Offset", 0, 0, INT32_MAX), P_INT("Limit", 0, 1, 100),
                                                 P_STR("InstanceType", 0, 0, 64),  P_END};

static const struct action catalog_actions[] = {
    {"cvm", CVM, "DescribeInstanceTypeConfigs", describe_instance_type_configs, p_describe_types, A_REGIONAL, NULL},
    {"cvm", CVM, "DescribeImages", describe_images, p_describe_images, A_REGIONAL, "image/*"},
};

void catalog_register(void) { api_register(catalog_actions, sizeof catalog_actions / sizeof catalog_actions[0]); }
