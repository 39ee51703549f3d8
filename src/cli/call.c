/*
 * call: `yun <service> <Action> --Param value ...`, the tccli way. Values that parse as JSON
 * arrays or objects are taken as such, dotted names build nested parameters
 * (--Placement.Zone ap-local-1, --Filters.0.Name zone), and the action's schema (the same table
 * the daemon validates with) turns the remaining strings into numbers or booleans. The request
 * is signed with TC3-HMAC-SHA256 by the same code that verifies it in the daemon.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api/api.h"
#include "cli/cli.h"
#include "daemon/daemon.h"

struct sign_headers {
    const char *content_type;
};

static const char *sign_header(void *h, const char *name)
{
    if (strcmp(name, "content-type") == 0)
        return ((struct sign_headers *)h)->content_type;
    return NULL;
}

/* Sets value at a dotted path, creating objects (numeric segments make arrays). */
static int set_path(json_t *root, const char *path, json_t *value)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    char *seg = buf;
    for (;;) {
        char *dot = strchr(seg, '.');
        if (dot)
            *dot = 0;
        if (!*seg)
            return -1;
        json_t *next = json_object_get(cur, seg);
        if (!dot)
            return json_object_set_new(cur, seg, value);
        if (!next) {
            next = json_object();
            json_object_set_new(cur, seg, next);
        } else if (!json_is_object(next)) {
            return -1;
        }
        cur = next;
        seg = dot + 1;
    }
}

/* The declared type at a dotted path ("Placement.Zone", "Filters.0.Values"), 0 if unknown. */
static enum ptype type_at(const struct param *schema, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    enum ptype t = 0;
    const struct param *fields = schema;
    int in_array = 0;
    for (char *save = NULL, *seg = strtok_r(buf, ".", &save); seg; seg = strtok_r(NULL, ".", &save)) {
        if (in_array && seg[0] >= '0' && seg[0] <= '9') { /* an element of the array above */
            in_array = 0;
            continue;
        }
        const struct param *p = fields;
        while (p && p->name && strcmp(p->name, seg) != 0)
            p++;
        if (!p || !p->name)
            return 0;
        t = p->type;
        fields = p->fields;
        in_array = t == PT_ARRAY;
        if (in_array && p->elem != PT_OBJECT)
            t = PT_ARRAY;
    }
    return t;
}

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
    FILE *f = ud;
    return fwrite(ptr, size, n, f);
}

static int load_credentials(const char *data_dir, char *sid, char *skey, char *endpoint, char *region)
{
    const char *esid = getenv("TENCENTCLOUD_SECRET_ID"), *eskey = getenv("TENCENTCLOUD_SECRET_KEY");
    char path[1100];
    snprintf(path, sizeof path, "%s/credentials.json", data_dir);
    json_t *c = json_load_file(path, 0, NULL);
    if (esid && eskey) {
        snprintf(sid, 128, "%s", esid);
        snprintf(skey, 128, "%s", eskey);
    } else if (c) {
        snprintf(sid, 128, "%s", json_string_value(json_object_get(c, "SecretId")) ?: "");
        snprintf(skey, 128, "%s", json_string_value(json_object_get(c, "SecretKey")) ?: "");
    } else {
        json_decref(c);
        return -1;
    }
    if (!endpoint[0]) {
        const char *e = getenv("YUN_ENDPOINT");
        snprintf(endpoint, 200, "%s", e ? e : (c ? json_string_value(json_object_get(c, "Endpoint")) ?: "" : ""));
    }
    if (!region[0]) {
        const char *r = getenv("TENCENTCLOUD_REGION");
        snprintf(region, 64, "%s", r ? r : (c ? json_string_value(json_object_get(c, "Region")) ?: "" : ""));
    }
    json_decref(c);
    return 0;
}

int cli_api(const char *service, const char *version, const char *action_name, json_t *params, const char *data_dir,
            const char *endpoint_in, const char *region_in, json_t **response)
{
    char sid[128], skey[128], endpoint[200], region[64];
    snprintf(endpoint, sizeof endpoint, "%s", endpoint_in ? endpoint_in : "");
    snprintf(region, sizeof region, "%s", region_in ? region_in : "");
    *response = NULL;
    if (load_credentials(data_dir, sid, skey, endpoint, region) != 0) {
        fprintf(stderr, "yun: no credentials: set TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY or pass --data DIR\n");
        return -1;
    }
    if (!endpoint[0]) {
        fprintf(stderr, "yun: no endpoint: pass --endpoint HOST:PORT\n");
        return -1;
    }
    char *body = json_dumps(params, JSON_COMPACT);
    char host[200];
    snprintf(host, sizeof host, "%s", endpoint);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = 0;
    int64_t now = time_now();
    char date[16], sig[65];
    time_date(now, date);
    struct sign_headers sh = {"application/json"};
    char *cr = tc3_canonical_request("POST", "", "content-type;host", sign_header, &sh, host, 0, body, strlen(body));
    tc3_sign(skey, date, service, now, cr, sig);
    free(cr);

    char hdr[6][512];
    snprintf(
        hdr[0], sizeof hdr[0],
        "Authorization: TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, SignedHeaders=content-type;host, Signature=%s",
        sid, date, service, sig);
    snprintf(hdr[1], sizeof hdr[1], "X-TC-Action: %s", action_name);
    snprintf(hdr[2], sizeof hdr[2], "X-TC-Version: %s", version);
    snprintf(hdr[3], sizeof hdr[3], "X-TC-Timestamp: %lld", (long long)now);
    snprintf(hdr[4], sizeof hdr[4], "X-TC-Region: %s", region);
    snprintf(hdr[5], sizeof hdr[5], "Content-Type: application/json");
    struct curl_slist *hl = NULL;
    for (int i = 0; i < 6; i++)
        if (i != 4 || region[0])
            hl = curl_slist_append(hl, hdr[i]);
    char url[256], *resp = NULL;
    size_t resplen = 0;
    snprintf(url, sizeof url, "http://%s/", endpoint);
    FILE *mf = open_memstream(&resp, &resplen);
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, mf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    CURLcode cc = curl_easy_perform(curl);
    fclose(mf);
    curl_easy_cleanup(curl);
    curl_slist_free_all(hl);
    free(body);
    if (cc != CURLE_OK) {
        fprintf(stderr, "yun: %s: %s\n", url, curl_easy_strerror(cc));
        free(resp);
        return -1;
    }
    json_t *r = json_loads(resp ? resp : "", 0, NULL);
    json_t *inner = json_object_get(r, "Response");
    if (!inner)
        fprintf(stderr, "yun: unexpected answer: %s\n", resp ? resp : "");
    else
        *response = json_incref(inner);
    json_decref(r);
    free(resp);
    return inner ? 0 : -1;
}

int cli_call(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: yun <service> <Action> [--Param value ...] [--cli-input-json FILE]\n"
                        "       [--data DIR | --endpoint HOST:PORT] [--region REGION] [--version VERSION]\n");
        return 2;
    }
    const char *service = argv[0], *action_name = argv[1];
    char data_dir[1024] = "./data", endpoint[200] = "", region[64] = "", version[32] = "";
    json_t *params = json_object();
    int rc = 2;
    daemon_register_services();
    const struct action *a = api_find_service(service, action_name);
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "yun: expected --Name value, got `%s`\n", argv[i]);
            goto out;
        }
        const char *k = argv[i] + 2, *v = argv[++i];
        if (!strcmp(k, "data")) {
            snprintf(data_dir, sizeof data_dir, "%s", v);
        } else if (!strcmp(k, "endpoint")) {
            snprintf(endpoint, sizeof endpoint, "%s", v);
        } else if (!strcmp(k, "region")) {
            snprintf(region, sizeof region, "%s", v);
        } else if (!strcmp(k, "version")) {
            snprintf(version, sizeof version, "%s", v);
        } else if (!strcmp(k, "cli-input-json")) {
            json_error_t je;
            json_t *in = json_load_file(v, 0, &je);
            if (!json_is_object(in)) {
                fprintf(stderr, "yun: %s: %s\n", v, in ? "not a JSON object" : je.text);
                json_decref(in);
                goto out;
            }
            json_object_update(params, in);
            json_decref(in);
        } else {
            /* a String parameter stays a string even when it looks like JSON (e.g. PolicyDocument) */
            json_t *parsed = (a && type_at(a->params, k) == PT_STRING) ? NULL : json_loads(v, JSON_DECODE_ANY, NULL);
            json_t *val = (json_is_array(parsed) || json_is_object(parsed)) ? json_incref(parsed) : json_string(v);
            json_decref(parsed);
            if (!val || set_path(params, k, val) != 0) {
                fprintf(stderr, "yun: cannot use parameter --%s\n", k);
                goto out;
            }
        }
    }
    if (a) {
        char code[96], msg[512];
        snprintf(version, sizeof version, "%s", a->version);
        if (schema_validate(a->params, params, 1, code, sizeof code, msg, sizeof msg) != 0) {
            fprintf(stderr, "yun: %s: %s\n", code, msg);
            goto out;
        }
    } else if (!version[0]) {
        fprintf(stderr, "yun: unknown action %s %s (pass --version to call it anyway)\n", service, action_name);
        goto out;
    }
    json_t *inner = NULL;
    if (cli_api(service, version, action_name, params, data_dir, endpoint, region, &inner) != 0)
        goto out;
    char *pretty = json_dumps(inner, JSON_INDENT(2) | JSON_ENSURE_ASCII * 0);
    printf("%s\n", pretty);
    free(pretty);
    rc = json_object_get(inner, "Error") ? 1 : 0;
    json_decref(inner);
out:
    json_decref(params);
    return rc;
}
