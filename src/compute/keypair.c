/*
 * keypair: SSH key pairs (CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPairs).
 * CreateKeyPair makes an RSA-2048 key with OpenSSL and returns the private key once, in PEM;
 * only the OpenSSH public key is kept. Instances get the public keys through the metadata service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "api/codes.h"
#include "api/filters.h"
#include "compute/codes.h"
#include "compute/compute.h"
#include "compute/states.h"

struct blob {
    uint8_t buf[1024];
    size_t n;
};

static void put_u32(struct blob *b, uint32_t v)
{
    b->buf[b->n++] = (uint8_t)(v >> 24);
    b->buf[b->n++] = (uint8_t)(v >> 16);
    b->buf[b->n++] = (uint8_t)(v >> 8);
    b->buf[b->n++] = (uint8_t)v;
}

static void put_string(struct blob *b, const void *p, size_t n)
{
    put_u32(b, (uint32_t)n);
    memcpy(b->buf + b->n, p, n);
    b->n += n;
}

static void put_mpint(struct blob *b, const BIGNUM *bn)
{
    uint8_t tmp[600];
    int n = BN_bn2bin(bn, tmp + 1);
    int lead = n > 0 && (tmp[1] & 0x80);
    tmp[0] = 0;
    put_string(b, lead ? tmp : tmp + 1, (size_t)n + (size_t)lead);
}

/* Generates a key pair: OpenSSH public line and a PEM private key (caller frees private_pem). */
static int generate_rsa(const char *comment, char *public_line, size_t plen, char **private_pem)
{
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    if (!pkey)
        return -1;
    BIGNUM *n = NULL, *e = NULL;
    int rc = -1;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
        goto out;
    struct blob b = {.n = 0};
    put_string(&b, "ssh-rsa", 7);
    put_mpint(&b, e);
    put_mpint(&b, n);
    char b64[1500];
    base64_encode(b.buf, b.n, b64, sizeof b64);
    snprintf(public_line, plen, "ssh-rsa %s %s", b64, comment);
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio || PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(bio);
        goto out;
    }
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    *private_pem = strndup(data, (size_t)len);
    BIO_free(bio);
    rc = *private_pem ? 0 : -1;
out:
    BN_free(n);
    BN_free(e);
    EVP_PKEY_free(pkey);
    return rc;
}

/* Accepts "type base64 [comment]" for the key types OpenSSH and dropbear use; the blob must name its type. */
static int valid_public_key(const char *line)
{
    static const char *types[] = {
        "ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", NULL};
    char type[32], b64[4096];
    if (strlen(line) > 4000 || sscanf(line, "%31s %4095s", type, b64) != 2)
        return 0;
    int known = 0;
    for (int i = 0; types[i]; i++)
        known |= strcmp(types[i], type) == 0;
    uint8_t raw[3072];
    size_t n;
    if (!known || base64_decode(b64, strlen(b64), raw, sizeof raw, &n) != 0 || n < 4)
        return 0;
    uint32_t tl = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
    return tl == strlen(type) && 4 + tl <= n && memcmp(raw + 4, type, tl) == 0;
}

static int valid_key_name(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int insert_key(struct api_ctx *ctx, const char *name, const char *public_key, char key_id[20])
{
    if (!valid_key_name(name))
        return api_fail(ctx, E_INVALID_KEY_PAIR_NAME, "KeyName may contain only letters, digits and underscores.");
    random_id("skey-", key_id, 20);
    int rc = store_exec(ctx->store,
                        "INSERT INTO key_pairs (key_id, owner_uin, name, project_id, public_key, created, region)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        "sssisis", key_id, ctx->who.owner_uin, name, api_int(ctx, "ProjectId", 0), public_key,
                        time_now(), ctx->region);
    if (rc == STORE_CONSTRAINT)
        return api_fail(ctx, E_INVALID_KEY_PAIR_NAME_DUPLICATE, "A key pair named `%s` already exists.", name);
    if (rc != 1)
        return api_fail(ctx, E_INTERNAL_ERROR, "The key pair could not be stored.");
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cvm:%s:uin/%s:keypair/%s", ctx->region, ctx->who.owner_uin,
             key_id);
    return 0;
}

static int create_key_pair(struct api_ctx *ctx)
{
    const char *name = api_str(ctx, "KeyName", "");
    char pub[2048], key_id[20], t[32];
    char *priv = NULL;
    if (generate_rsa(name, pub, sizeof pub, &priv) != 0)
        return api_fail(ctx, E_INTERNAL_ERROR, "The key pair could not be generated.");
    if (insert_key(ctx, name, pub, key_id) != 0) {
        free(priv);
        return -1;
    }
    time_iso8601(time_now(), t);
    json_object_set_new(ctx->out, "KeyPair",
                        json_pack("{s:s,s:s,s:I,s:s,s:s,s:[],s:s,s:s,s:[]}", "KeyId", key_id, "KeyName", name,
                                  "ProjectId", (json_int_t)api_int(ctx, "ProjectId", 0), "PublicKey", pub, "PrivateKey",
                                  priv, "AssociatedInstanceIds", "CreatedTime", t, "Description", "", "Tags"));
    free(priv);
    return 0;
}

static int import_key_pair(struct api_ctx *ctx)
{
    const char *pub = api_str(ctx, "PublicKey", "");
    if (!valid_public_key(pub))
        return api_fail(ctx, E_INVALID_PUBLIC_KEY_MALFORMED, "PublicKey is not an OpenSSH public key.");
    char key_id[20];
    if (insert_key(ctx, api_str(ctx, "KeyName", ""), pub, key_id) != 0)
        return -1;
    json_object_set_new(ctx->out, "KeyId", json_string(key_id));
    return 0;
}

/* The live instances that hold key `id` (key_ids is a JSON array of ids, which hold no '"'). */
static json_t *key_instances(struct api_ctx *ctx, const char *id)
{
    char pattern[160];
    snprintf(pattern, sizeof pattern, "%%\"%s\"%%", id);
    json_t *set = json_array();
    struct store_stmt *q =
        store_query(ctx->store,
                    "SELECT instance_id FROM instances WHERE owner_uin = ? AND state != '" INSTANCE_TERMINATED
                    "' AND key_ids LIKE ? ORDER BY rowid",
                    "ss", ctx->who.owner_uin, pattern);
    while (q && store_step(q) == 1)
        json_array_append_new(set, json_string(store_text(q, 0)));
    store_done(q);
    return set;
}

static int describe_key_pairs(struct api_ctx *ctx)
{
    static const char *const allowed[] = {"key-id", "key-name", "project-id", NULL};
    if (filters_exclusive(ctx, "KeyIds"))
        return -1;
    if (filters_validate(ctx, allowed))
        return -1;
    json_t *ids = json_object_get(ctx->params, "KeyIds");
    int64_t offset = api_int(ctx, "Offset", 0), limit = api_int(ctx, "Limit", 20);
    struct store_stmt *q = store_query(ctx->store,
                                       "SELECT k.key_id, k.name, k.project_id, k.public_key, k.created"
                                       " FROM key_pairs k WHERE k.owner_uin = ? AND k.region = ?"
                                       " ORDER BY k.created, k.key_id",
                                       "ss", ctx->who.owner_uin, ctx->region);
    if (!q)
        return api_fail(ctx, E_INTERNAL_ERROR, "The key pairs are unavailable: %s", store_errmsg(ctx->store));
    struct page pg;
    page_start(&pg, offset, limit);
    int rc;
    while ((rc = store_step(q)) == 1) {
        const char *id = store_text(q, 0);
        char project[24];
        snprintf(project, sizeof project, "%lld", (long long)store_int(q, 2));
        if (ids && !values_contain(ids, id))
            continue;
        if (!filter_match(ctx, "key-id", id) || !filter_match(ctx, "key-name", store_text(q, 1)) ||
            !filter_match(ctx, "project-id", project))
            continue;
        if (page_take(&pg)) {
            char t[32];
            time_iso8601(store_int(q, 4), t);
            json_t *assoc = key_instances(ctx, id);
            json_array_append_new(pg.set,
                                  json_pack("{s:s,s:s,s:I,s:s,s:o,s:s,s:s,s:[]}", "KeyId", id, "KeyName",
                                            store_text(q, 1), "ProjectId", (json_int_t)store_int(q, 2), "PublicKey",
                                            store_text(q, 3), "AssociatedInstanceIds", assoc ? assoc : json_array(),
                                            "CreatedTime", t, "Description", "", "Tags"));
        }
    }
    store_done(q);
    page_finish(ctx, &pg, "KeyPairSet");
    return rc < 0 ? api_fail(ctx, E_INTERNAL_ERROR, "The key pairs are unavailable.") : 0;
}

static int delete_key_pairs(struct api_ctx *ctx)
{
    json_t *ids = json_object_get(ctx->params, "KeyIds");
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        const char *id = json_string_value(v);
        int rc = store_exec(ctx->store, "DELETE FROM key_pairs WHERE key_id = ? AND owner_uin = ?", "ss", id,
                            ctx->who.owner_uin);
        if (rc < 0)
            return api_fail(ctx, E_INTERNAL_ERROR, "The key pair could not be deleted.");
        if (rc == 0)
            return api_fail(ctx, E_INVALID_KEY_PAIR_ID_NOT_FOUND, "The key pair `%s` does not exist.", id);
    }
    snprintf(ctx->resource, sizeof ctx->resource, "qcs::cvm:%s:uin/%s:keypair/%s", ctx->region, ctx->who.owner_uin,
             json_string_value(json_array_get(ids, 0)));
    return 0;
}

static const struct param p_create[] = {P_STR("KeyName", P_REQUIRED, 1, 25),
                                        P_INT("ProjectId", P_REQUIRED, 0, INT32_MAX), P_TAG_SPEC, P_END};
static const struct param p_import[] = {P_STR("KeyName", P_REQUIRED, 1, 25),
                                        P_INT("ProjectId", P_REQUIRED, 0, INT32_MAX),
                                        P_STR("PublicKey", P_REQUIRED, 1, 4096), P_TAG_SPEC, P_END};
static const struct param p_describe[] = {P_STRS("KeyIds", 0, 100, 32), P_FILTERS, P_INT("Offset", 0, 0, INT32_MAX),
                                          P_INT("Limit", 0, 1, 100), P_END};
static const struct param p_delete[] = {P_STRS("KeyIds", P_REQUIRED, 100, 32), P_END};

static const struct action keypair_actions[] = {
    {"cvm", CVM, "CreateKeyPair", create_key_pair, p_create, A_MUTATES | A_REGIONAL, "keypair/*"},
    {"cvm", CVM, "ImportKeyPair", import_key_pair, p_import, A_MUTATES | A_REGIONAL, "keypair/*"},
    {"cvm", CVM, "DescribeKeyPairs", describe_key_pairs, p_describe, A_REGIONAL, "keypair/${KeyIds|*}"},
    {"cvm", CVM, "DeleteKeyPairs", delete_key_pairs, p_delete, A_MUTATES | A_REGIONAL, "keypair/${KeyIds}"},
};

void keypair_register(void) { api_register(keypair_actions, sizeof keypair_actions / sizeof keypair_actions[0]); }
