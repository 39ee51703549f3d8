/*
 * encryption: server-side encryption of objects, in the three S3 modes, and the bucket default.
 *   SSE-S3  x-amz-server-side-encryption: AES256 (COS x-cos-server-side-encryption: AES256)
 *   SSE-KMS aws:kms (COS cos/kms) with x-amz-server-side-encryption-aws-kms-key-id. yun runs no
 *           KMS: a "KMS key" is a name from the configuration (object.kms_keys, and
 *           object.kms_default_key for a request that names none); its data keys are sealed under
 *           DATA/master.key with the key id bound as associated data, so a data key wrapped for
 *           one key id does not open as another. An unknown key id is refused.
 *   SSE-C   x-amz-server-side-encryption-customer-algorithm/-key/-key-MD5: the data key is
 *           wrapped under a key derived from the customer's; the customer key is never stored,
 *           only a salted HMAC of it that tells a wrong key on GET/HEAD/UploadPart/copy.
 * Every object (or multipart upload) gets a random data key; its bytes are written in sse.c's
 * segment format. What a version or upload keeps is its descriptor (the `sse` column, JSON):
 *   {"alg": "AES256" | "aws:kms" | "SSE-C", "kid": KMS key id, "wk": base64 wrapped data key,
 *    "kc": hex salt and HMAC (SSE-C), "runs": [part numbers] (a completed multipart upload)}
 * The bucket default (Put/Get/DeleteBucketEncryption, kept in obj_bucket_config as "encryption")
 * applies to writes that name no encryption.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "identity/sealed.h"
#include "object/object_int.h"
#include "object/post.h"
#include "object/sse.h"
#include "object/xmltree.h"

#define KEK_LABEL   "yun-sse-c-kek-v1"
#define CHECK_LABEL "yun-sse-c-check-v1"

/* x-amz-<name> (or x-cos-<name>) of a request: its header, or for POST object its form field. */
static const char *value_of(struct rq *r, const char *name)
{
    if (!r->form)
        return hdr_amz(r, name);
    char f[112];
    snprintf(f, sizeof f, "x-amz-%s", name);
    const char *v = post_field(r->form, f);
    if (!v) {
        snprintf(f, sizeof f, "x-cos-%s", name);
        v = post_field(r->form, f);
    }
    return v;
}

static const char *kind_alg(enum sse_kind k)
{
    return k == SSE_S3 ? "AES256" : k == SSE_KMS ? "aws:kms" : k == SSE_C ? "SSE-C" : "";
}

static enum sse_kind alg_kind(const char *a)
{
    if (!a)
        return SSE_NONE;
    return strcmp(a, "AES256") == 0    ? SSE_S3
           : strcmp(a, "aws:kms") == 0 ? SSE_KMS
           : strcmp(a, "SSE-C") == 0   ? SSE_C
                                       : SSE_NONE;
}

static bool kms_known(const char *kid)
{
    if (object_config->object_kms_default[0] && strcmp(kid, object_config->object_kms_default) == 0)
        return true;
    for (int i = 0; i < object_config->object_nkms_keys; i++)
        if (strcmp(kid, object_config->object_kms_keys[i]) == 0)
            return true;
    return false;
}

int sse_kms_key(struct rq *r, const char *kid, struct sse_mode *m)
{
    if (!kid || !*kid)
        kid = object_config->object_kms_default;
    if (!*kid) {
        fail(r, 400, "InvalidArgument",
             "aws:kms needs x-amz-server-side-encryption-aws-kms-key-id: this store has no default KMS key "
             "(object.kms_default_key).");
        return -1;
    }
    if (strlen(kid) >= sizeof m->kid || !kms_known(kid)) {
        fail(r, 400, "KMS.NotFoundException",
             "Invalid keyId: the KMS key is not one of this store's keys (object.kms_keys).");
        return -1;
    }
    m->kind = SSE_KMS;
    snprintf(m->kid, sizeof m->kid, "%s", kid);
    return 0;
}

/* The SSE-C headers (prefix "" or "copy-source-"): 1 a valid key given (m filled), 0 none, -1
 * refused (recorded). */
static int customer_key(struct rq *r, const char *prefix, struct sse_mode *m)
{
    char h[96];
    snprintf(h, sizeof h, "%sserver-side-encryption-customer-algorithm", prefix);
    const char *alg = value_of(r, h);
    snprintf(h, sizeof h, "%sserver-side-encryption-customer-key", prefix);
    const char *key = value_of(r, h);
    snprintf(h, sizeof h, "%sserver-side-encryption-customer-key-MD5", prefix);
    const char *md5 = value_of(r, h);
    if (!alg && !key && !md5)
        return 0;
    if (!alg) {
        fail(r, 400, "InvalidArgument",
             "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption "
             "algorithm.");
        return -1;
    }
    if (strcmp(alg, "AES256") != 0) {
        fail(r, 400, "InvalidEncryptionAlgorithmError",
             "The encryption request you specified is not valid. Supported value: AES256.");
        return -1;
    }
    if (!key) {
        fail(r, 400, "InvalidArgument",
             "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate "
             "secret key.");
        return -1;
    }
    uint8_t raw[48];
    if (obj_base64_decode(key, strlen(key), raw, sizeof raw) != 32) {
        fail(r, 400, "InvalidArgument", "The secret key was invalid for the specified algorithm.");
        return -1;
    }
    if (!md5) {
        OPENSSL_cleanse(raw, sizeof raw);
        fail(r, 400, "InvalidArgument",
             "Requests specifying Server Side Encryption with Customer provided keys must provide the client "
             "calculated MD5 of the secret key.");
        return -1;
    }
    uint8_t want[24], got[16];
    unsigned n = 0;
    long wl = obj_base64_decode(md5, strlen(md5), want, sizeof want);
    EVP_Digest(raw, 32, got, &n, EVP_md5(), NULL);
    if (wl != 16 || memcmp(want, got, 16) != 0) {
        OPENSSL_cleanse(raw, sizeof raw);
        fail(r, 400, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided.");
        return -1;
    }
    m->kind = SSE_C;
    memcpy(m->ckey, raw, 32);
    obj_base64_encode(got, 16, m->ckey_md5);
    OPENSSL_cleanse(raw, sizeof raw);
    return 1;
}

int sse_request_write(struct rq *r, struct sse_mode *m)
{
    memset(m, 0, sizeof *m);
    const char *sse = value_of(r, "server-side-encryption");
    const char *kid = value_of(r, "server-side-encryption-aws-kms-key-id");
    if (!kid)
        kid = value_of(r, "server-side-encryption-cos-kms-key-id");
    struct sse_mode c = {0};
    int given = customer_key(r, "", &c);
    if (given < 0)
        return -1;
    if (sse && given) {
        OPENSSL_cleanse(&c, sizeof c);
        fail(r, 400, "InvalidArgument",
             "Server Side Encryption with Customer provided key is incompatible with the encryption method "
             "specified.");
        return -1;
    }
    if (sse) {
        if (strcmp(sse, "AES256") == 0) {
            if (kid) {
                fail(r, 400, "InvalidArgument",
                     "x-amz-server-side-encryption-aws-kms-key-id is only valid with x-amz-server-side-encryption: "
                     "aws:kms.");
                return -1;
            }
            m->kind = SSE_S3;
        } else if (strcmp(sse, "aws:kms") == 0 || strcmp(sse, "cos/kms") == 0) {
            if (sse_kms_key(r, kid, m) != 0)
                return -1;
        } else {
            fail(r, 400, "InvalidArgument", "The encryption method specified is not supported.");
            return -1;
        }
    } else if (kid) {
        fail(r, 400, "InvalidArgument",
             "x-amz-server-side-encryption-aws-kms-key-id is only valid with x-amz-server-side-encryption: aws:kms.");
        return -1;
    } else if (given) {
        *m = c;
    }
    OPENSSL_cleanse(&c, sizeof c);
    if (value_of(r, "server-side-encryption-context")) {
        fail(r, 501, "NotImplemented",
             "x-amz-server-side-encryption-context (a KMS encryption context) is not implemented.");
        return -1;
    }
    return 0;
}

int sse_request_customer(struct rq *r, const char *prefix, struct sse_mode *m)
{
    memset(m, 0, sizeof *m);
    return customer_key(r, prefix, m) < 0 ? -1 : 0;
}

int sse_request_read(struct rq *r, const char *prefix, struct sse_mode *m)
{
    memset(m, 0, sizeof *m);
    if (!*prefix && (value_of(r, "server-side-encryption") || value_of(r, "server-side-encryption-aws-kms-key-id"))) {
        fail(r, 400, "InvalidArgument",
             "x-amz-server-side-encryption is not valid on a read: the object's encryption is the one it was "
             "written with (an SSE-C key aside).");
        return -1;
    }
    return customer_key(r, prefix, m) < 0 ? -1 : 0;
}

/* The bucket's default encryption document read into m. 1 found, 0 none, -1 (recorded). */
static int bucket_default(struct rq *r, const char *bucket_id, enum sse_kind *kind, char kid[64])
{
    char *doc = NULL;
    int rc = meta_bucket_config(bucket_id, "encryption", &doc);
    if (rc < 0) {
        fail_store(r);
        return -1;
    }
    if (rc == 0)
        return 0;
    struct xnode *root = xtree_parse(doc, strlen(doc));
    struct xnode *rule = root ? xtree_child(root, "Rule") : NULL;
    struct xnode *by = rule ? xtree_child(rule, "ApplyServerSideEncryptionByDefault") : NULL;
    const char *alg = by ? xtree_text(by, "SSEAlgorithm") : NULL;
    const char *k = by ? xtree_text(by, "KMSMasterKeyID") : NULL;
    *kind = alg && strcmp(alg, "AES256") == 0 ? SSE_S3 : SSE_KMS;
    snprintf(kid, 64, "%s", k ? k : "");
    xtree_free(root);
    free(doc);
    return 1;
}

int sse_bucket_default(struct rq *r, struct sse_mode *m)
{
    if (m->kind != SSE_NONE)
        return 0;
    enum sse_kind kind;
    char kid[64];
    int rc = bucket_default(r, r->b.id, &kind, kid);
    if (rc <= 0)
        return rc;
    if (kind == SSE_S3) {
        m->kind = SSE_S3;
        return 0;
    }
    return sse_kms_key(r, kid, m);
}

static void kek_of(const uint8_t ckey[32], uint8_t kek[32])
{
    hmac_sha256(ckey, 32, KEK_LABEL, strlen(KEK_LABEL), kek);
}

static void aad_of(enum sse_kind kind, const char *kid, char out[96])
{
    snprintf(out, 96, "yun-sse-v1:%s%s%s", kind_alg(kind), kind == SSE_KMS ? ":" : "", kind == SSE_KMS ? kid : "");
}

static void check_of(const uint8_t ckey[32], const uint8_t salt[16], uint8_t out[32])
{
    uint8_t msg[sizeof CHECK_LABEL - 1 + 16];
    memcpy(msg, CHECK_LABEL, sizeof CHECK_LABEL - 1);
    memcpy(msg + sizeof CHECK_LABEL - 1, salt, 16);
    hmac_sha256(ckey, 32, msg, sizeof msg, out);
}

/* A new data key for mode m, and the descriptor that keeps it wrapped (*desc, the caller frees).
 * 0, or -1 (recorded). */
static int new_key(struct rq *r, const struct sse_mode *m, uint8_t dk[32], char **desc)
{
    uint8_t wrapped[32 + AEAD_OVERHEAD];
    size_t wl = 0;
    char aad[96], b64[4 * ((32 + AEAD_OVERHEAD + 2) / 3) + 1], kc[97] = "";
    aad_of(m->kind, m->kid, aad);
    int bad = random_bytes(dk, 32) != 0;
    if (!bad && m->kind == SSE_C) {
        uint8_t kek[32], salt[16], check[32];
        kek_of(m->ckey, kek);
        bad = aead_seal(kek, aad, dk, 32, wrapped, &wl) != 0 || random_bytes(salt, sizeof salt) != 0;
        check_of(m->ckey, salt, check);
        hex_encode(salt, 16, kc);
        hex_encode(check, 32, kc + 32);
        OPENSSL_cleanse(kek, sizeof kek);
    } else if (!bad) {
        bad = identity_seal(aad, dk, 32, wrapped, &wl) != 0;
    }
    json_t *o = NULL;
    if (!bad) {
        obj_base64_encode(wrapped, wl, b64);
        o = json_pack("{s:s, s:s}", "alg", kind_alg(m->kind), "wk", b64);
        if (o && m->kind == SSE_KMS)
            json_object_set_new(o, "kid", json_string(m->kid));
        if (o && m->kind == SSE_C)
            json_object_set_new(o, "kc", json_string(kc));
    }
    *desc = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!*desc) {
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return -1;
    }
    return 0;
}

/* The data key of a descriptor, for the key the request gave (given: its SSE-C key, if any).
 * 0, or -1 (recorded). */
static int open_key(struct rq *r, const char *desc, const struct sse_mode *given, uint8_t dk[32], json_t **out)
{
    json_t *o = json_loads(desc, 0, NULL);
    enum sse_kind kind = alg_kind(json_string_value(json_object_get(o, "alg")));
    const char *wk = json_string_value(json_object_get(o, "wk"));
    const char *kid = json_string_value(json_object_get(o, "kid"));
    uint8_t wrapped[128];
    long wl = wk ? obj_base64_decode(wk, strlen(wk), wrapped, sizeof wrapped) : -1;
    if (!o || kind == SSE_NONE || wl != 32 + AEAD_OVERHEAD) {
        json_decref(o);
        log_error("object store: a malformed encryption descriptor");
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return -1;
    }
    if (kind == SSE_C && given->kind != SSE_C) {
        json_decref(o);
        fail(r, 400, "InvalidRequest",
             "The object was stored using a form of Server Side Encryption. The correct parameters must be provided "
             "to retrieve the object.");
        return -1;
    }
    if (kind != SSE_C && given->kind == SSE_C) {
        json_decref(o);
        fail(r, 400, "InvalidRequest", "The encryption parameters are not applicable to this object.");
        return -1;
    }
    if (kind == SSE_KMS && (!kid || !kms_known(kid))) {
        json_decref(o);
        /* the operator took the key id out of object.kms_keys: its objects are not served */
        fail(r, 400, "KMS.DisabledException", "The KMS key of this object is no longer one of this store's keys.");
        return -1;
    }
    char aad[96];
    size_t n = 0;
    int rc;
    aad_of(kind, kid ? kid : "", aad);
    if (kind == SSE_C) {
        const char *kc = json_string_value(json_object_get(o, "kc"));
        uint8_t salt[16], want[32], check[32], kek[32];
        char salt_hex[33];
        snprintf(salt_hex, sizeof salt_hex, "%.32s", kc ? kc : "");
        if (!kc || strlen(kc) != 96 || hex_decode(salt_hex, salt, 16) != 0 || hex_decode(kc + 32, want, 32) != 0) {
            json_decref(o);
            fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
            return -1;
        }
        check_of(given->ckey, salt, check);
        if (!const_time_eq(check, want, 32)) {
            json_decref(o);
            /* s3-tests (test_encryption_sse_c_other_key) expect 400 for a key other than the object's */
            fail(r, 400, "InvalidArgument",
                 "The customer-provided encryption key is not the one the object was stored with.");
            return -1;
        }
        kek_of(given->ckey, kek);
        rc = aead_open(kek, aad, wrapped, (size_t)wl, dk, &n);
        OPENSSL_cleanse(kek, sizeof kek);
    } else {
        rc = identity_open(aad, wrapped, (size_t)wl, dk, &n);
    }
    if (rc != 0 || n != 32) {
        json_decref(o);
        log_error("object store: a data key does not open (another master key, or a changed row)");
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return -1;
    }
    if (out)
        *out = o;
    else
        json_decref(o);
    return 0;
}

static int to_tmp(void *arg, const void *p, size_t n) { return engine_tmp_write(arg, p, n); }

int sse_start_new(struct rq *r, const struct sse_mode *m, bool writer)
{
    uint8_t dk[32];
    r->sse = *m;
    if (new_key(r, m, dk, &r->sse_desc) != 0)
        return -1;
    if (writer && !(r->enc = sse_writer_new(dk, 0, to_tmp, &r->file))) {
        OPENSSL_cleanse(dk, sizeof dk);
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return -1;
    }
    OPENSSL_cleanse(dk, sizeof dk);
    return 0;
}

int sse_start_part(struct rq *r, const char *upload_desc, const struct sse_mode *given, uint32_t part)
{
    uint8_t dk[32];
    if (open_key(r, upload_desc, given, dk, NULL) != 0)
        return -1;
    r->sse = *given;
    r->sse_desc = strdup(upload_desc);
    r->enc = r->sse_desc ? sse_writer_new(dk, part, to_tmp, &r->file) : NULL;
    OPENSSL_cleanse(dk, sizeof dk);
    if (!r->enc) {
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return -1;
    }
    return 0;
}

int sse_finish(struct rq *r)
{
    if (r->enc && sse_writer_finish(r->enc) != 0) {
        log_error("object store: write: %s", strerror(errno));
        fail(r, 500, "InternalError", "We encountered an internal error writing your data.");
        return -1;
    }
    return 0;
}

int sse_write(struct rq *r, const void *p, size_t n)
{
    return r->enc ? sse_writer_write(r->enc, p, n) : engine_tmp_write(&r->file, p, n);
}

void sse_release(struct rq *r)
{
    sse_writer_free(r->enc);
    r->enc = NULL;
    free(r->sse_desc);
    r->sse_desc = NULL;
    OPENSSL_cleanse(&r->sse, sizeof r->sse);
}

/* The runs of an object: one per part of a multipart object written encrypted, else one. */
static struct sse_run *object_runs(const struct objrow *o, json_t *d, size_t *n)
{
    json_t *runs = json_object_get(d, "runs");
    if (!json_is_array(runs) || !o->parts) {
        struct sse_run *one = calloc(1, sizeof *one);
        if (one)
            *one = (struct sse_run){.part = 0, .plain_size = (uint64_t)o->size};
        *n = 1;
        return one;
    }
    size_t count = json_array_size(runs);
    struct sse_run *v = calloc(count ? count : 1, sizeof *v);
    const char *p = o->parts;
    for (size_t i = 0; v && i < count; i++) {
        char *end = NULL;
        v[i].part = (uint32_t)json_integer_value(json_array_get(runs, i));
        v[i].plain_size = (uint64_t)strtoull(p, &end, 10);
        end += strcspn(end, ","); /* "size" or "size/checksum" */
        p = *end == ',' ? end + 1 : end;
    }
    *n = count;
    return v;
}

struct sse_reader *sse_open_object(struct rq *r, const struct objrow *o, const struct sse_mode *given, int h)
{
    if (!o->sse) {
        if (given->kind == SSE_C) {
            engine_close(h);
            fail(r, 400, "InvalidRequest", "The encryption parameters are not applicable to this object.");
            return NULL;
        }
        return sse_reader_new(h, NULL, NULL, 0);
    }
    uint8_t dk[32];
    json_t *d = NULL;
    if (open_key(r, o->sse, given, dk, &d) != 0) {
        engine_close(h);
        return NULL;
    }
    size_t n = 0;
    struct sse_run *runs = object_runs(o, d, &n);
    json_decref(d);
    struct sse_reader *rd = runs ? sse_reader_new(h, dk, runs, n) : NULL;
    if (!runs)
        engine_close(h);
    free(runs);
    OPENSSL_cleanse(dk, sizeof dk);
    if (!rd)
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
    return rd;
}

int sse_check_desc(struct rq *r, const char *desc, const struct sse_mode *given)
{
    uint8_t dk[32];
    int rc = open_key(r, desc, given, dk, NULL);
    OPENSSL_cleanse(dk, sizeof dk);
    return rc;
}

int sse_check_object(struct rq *r, const struct objrow *o, const struct sse_mode *given)
{
    if (!o->sse) {
        if (given->kind == SSE_C) {
            fail(r, 400, "InvalidRequest", "The encryption parameters are not applicable to this object.");
            return -1;
        }
        return 0;
    }
    return sse_check_desc(r, o->sse, given);
}

char *sse_with_runs(const char *desc, const int *parts, size_t n)
{
    json_t *o = json_loads(desc, 0, NULL), *runs = json_array();
    for (size_t i = 0; o && runs && i < n; i++)
        json_array_append_new(runs, json_integer(parts[i]));
    char *out = NULL;
    if (o && runs && json_object_set_new(o, "runs", runs) == 0)
        out = json_dumps(o, JSON_COMPACT);
    else
        json_decref(runs);
    json_decref(o);
    return out;
}

void sse_headers(struct rq *r, const char *desc, const struct sse_mode *given)
{
    if (!desc)
        return;
    json_t *o = json_loads(desc, 0, NULL);
    enum sse_kind kind = alg_kind(json_string_value(json_object_get(o, "alg")));
    const char *kid = json_string_value(json_object_get(o, "kid"));
    bool cos = r->cos_style || r->auth == AUTH_COS;
    const char *p = cos ? "x-cos-" : "x-amz-";
    char h[96];
    if (kind == SSE_S3 || kind == SSE_KMS) {
        snprintf(h, sizeof h, "%sserver-side-encryption", p);
        add_header(r, h, "%s", kind == SSE_S3 ? "AES256" : cos ? "cos/kms" : "aws:kms");
    }
    if (kind == SSE_KMS && kid) {
        snprintf(h, sizeof h, "%sserver-side-encryption-%s-kms-key-id", p, cos ? "cos" : "aws");
        add_header(r, h, "%s", kid);
    }
    if (kind == SSE_C) {
        snprintf(h, sizeof h, "%sserver-side-encryption-customer-algorithm", p);
        add_header(r, h, "AES256");
        if (given && given->kind == SSE_C) {
            snprintf(h, sizeof h, "%sserver-side-encryption-customer-key-MD5", p);
            add_header(r, h, "%s", given->ckey_md5);
        }
    }
    json_decref(o);
}

int sse_copy(struct rq *r, struct sse_reader *rd, uint64_t from, uint64_t len, EVP_MD_CTX *md)
{
    static const size_t chunk = SSE_SEGMENT;
    uint8_t *buf = malloc(chunk);
    int rc = buf ? 0 : -1;
    while (rc == 0 && len > 0) {
        ssize_t n = sse_reader_read(rd, from, buf, len < chunk ? (size_t)len : chunk);
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            rc = -1;
            break;
        }
        if (md)
            EVP_DigestUpdate(md, buf, (size_t)n);
        if (sse_write(r, buf, (size_t)n) != 0)
            rc = -1;
        from += (uint64_t)n;
        len -= (uint64_t)n;
    }
    free(buf);
    if (rc == 0)
        rc = sse_finish(r);
    return rc;
}
