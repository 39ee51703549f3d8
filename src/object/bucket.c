/*
 * bucket: the service and bucket operations: ListBuckets, CreateBucket (S3's rules for a name
 * taken, by its owner or another), HeadBucket, DeleteBucket, location, canned ACL, public access
 * block and tagging, and the fixed answers for sub-resources with no configuration.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "object/object_int.h"

static bool valid_bucket_name(const char *n)
{
    size_t len = strlen(n);
    if (len < 3 || len > 63)
        return false;
    if (!isalnum((unsigned char)n[0]) || !isalnum((unsigned char)n[len - 1]))
        return false;
    int dots = 0, digits_only = 1;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-' || c == '.'))
            return false;
        if (c == '.' && (n[i + 1] == '.' || n[i + 1] == '-' || (i && n[i - 1] == '-')))
            return false;
        if (c == '.')
            dots++;
        else if (!isdigit((unsigned char)c))
            digits_only = 0;
    }
    if (dots == 3 && digits_only) /* looks like an IP address */
        return false;
    return true;
}

struct bucket_page {
    struct xmlw *w;
    long n, max;
    char last[64];
    bool truncated;
};

static bool bucket_entry(void *arg, const struct bucket_entry *e)
{
    struct bucket_page *p = arg;
    if (p->n++ == p->max) {
        p->truncated = true;
        return false;
    }
    char t[40];
    iso_ms(e->created * 1000, t);
    snprintf(p->last, sizeof p->last, "%s", e->name);
    xmlw_open(p->w, "Bucket");
    xmlw_element(p->w, "Name", e->name);
    xmlw_element(p->w, "CreationDate", t);
    xmlw_element(p->w, "Location", e->region);
    xmlw_close(p->w);
    return true;
}

/* ListBuckets, paginated as S3 does since 2024: max-buckets (1..10000), continuation-token (the
 * last name of the page before: names are unique and listed in order), prefix. */
void op_list_buckets(struct rq *r)
{
    const char *mb = qget(r, "max-buckets"), *token = qget(r, "continuation-token"), *prefix = qget(r, "prefix");
    long max = 10000;
    if (mb) {
        char *end = NULL;
        max = strtol(mb, &end, 10);
        if (!*mb || *end || max < 1 || max > 10000) {
            fail(r, 400, "InvalidArgument", "max-buckets must be an integer between 1 and 10000");
            return;
        }
    }
    struct xmlw w;
    xmlw_init(&w, 64u << 20);
    xmlw_open_ns(&w, "ListAllMyBucketsResult", S3_NS);
    xml_owner(&w, r->who.owner_uin);
    xmlw_open(&w, "Buckets");
    struct bucket_page page = {.w = &w, .max = max};
    if (meta_each_bucket(r->who.owner_uin, token ? token : "", prefix ? prefix : "", (int64_t)max + 1, bucket_entry,
                         &page) != 0) {
        xmlw_free(&w);
        fail_store(r);
        return;
    }
    xmlw_close(&w);
    if (page.truncated)
        xmlw_element(&w, "ContinuationToken", page.last);
    if (prefix)
        xmlw_element(&w, "Prefix", prefix);
    send_xml(r, 200, &w);
}

/* <CreateBucketConfiguration><LocationConstraint>x</LocationConstraint>: x or "" */
static void location_constraint(const char *body, size_t len, char *out, size_t outlen)
{
    out[0] = 0;
    if (!body || !len)
        return;
    const char *a = strstr(body, "<LocationConstraint>");
    const char *e = a ? strstr(a, "</LocationConstraint>") : NULL;
    if (a && e) {
        a += strlen("<LocationConstraint>");
        snprintf(out, outlen, "%.*s", (int)(e - a), a);
    }
}

void op_create_bucket(struct rq *r)
{
    if (!valid_bucket_name(r->bucket)) {
        fail(r, 400, "InvalidBucketName", "The specified bucket is not valid.");
        return;
    }
    const char *ownership;
    char acl[ACL_TEXT_MAX];
    if (acl_create_ownership(r, &ownership) != 0 ||
        acl_request(r, "private", ownership ? ownership : "", acl, sizeof acl) < 0)
        return;
    const char *lock = hdr_amz(r, "bucket-object-lock-enabled");
    if (lock && strcasecmp(lock, "true") != 0 && strcasecmp(lock, "false") != 0) {
        fail(r, 400, "InvalidArgument", "x-amz-bucket-object-lock-enabled must be true or false");
        return;
    }
    char region[64];
    location_constraint(obj_buf_str(&r->body), r->body.len, region, sizeof region);
    if (!region[0])
        request_region(r, region, sizeof region);
    if (!region[0])
        snprintf(region, sizeof region, "us-east-1");
    /* the bucket's final region (its LocationConstraint) is where it is made: checked again */
    if (auth_region_allows(r, r->op ? r->op->action : "cos:PutBucket", region) != 1)
        return;
    uint8_t raw[8];
    char id[17];
    random_bytes(raw, sizeof raw);
    hex_encode(raw, sizeof raw, id);
    int rc = meta_create_bucket(r, region, acl, id, lock && strcasecmp(lock, "true") == 0, ownership);
    if (rc == STORE_CONSTRAINT) {
        struct bucket b;
        int own = load_bucket(r->bucket, &b) == 1 && strcmp(b.owner_uin, r->who.owner_uin) == 0;
        /* S3 answers its owner's second CreateBucket with 200 in us-east-1 (legacy) and with
         * BucketAlreadyOwnedByYou elsewhere; either way the bucket (ACL, objects) stays as it is */
        bool east = own && strcmp(b.region, "us-east-1") == 0 && strcmp(region, "us-east-1") == 0;
        if (east && strcmp(acl, b.acl) == 0) {
            add_header(r, "Location", "/%s", r->bucket);
            send_empty(r, 200);
        } else if (east) /* asking for another ACL: refused rather than reset (s3-tests test_bucket_recreate_*_acl) */
            fail(r, 409, "BucketAlreadyExists",
                 "The requested bucket name is not available. Please select a different name and try again.");
        else if (own)
            fail(r, 409, "BucketAlreadyOwnedByYou",
                 "Your previous request to create the named bucket succeeded and you already own it.");
        else
            fail(r, 409, "BucketAlreadyExists",
                 "The requested bucket name is not available. Please select a different name and try again.");
        return;
    }
    if (rc < 0)
        return;
    r->meter = METER_ALLOWED; /* the bucket exists now */
    add_header(r, "Location", "/%s", r->bucket);
    send_empty(r, 200);
}

void op_head_bucket(struct rq *r)
{
    add_header(r, "x-amz-bucket-region", "%s", r->b.region);
    send_empty(r, 200);
}

void op_delete_bucket(struct rq *r)
{
    if (meta_delete_bucket(r) == 0)
        send_empty(r, 204);
}

void op_get_bucket_location(struct rq *r)
{
    struct xmlw w;
    xmlw_init(&w, 4096);
    xmlw_open_ns(&w, "LocationConstraint", S3_NS);
    if (strcmp(r->b.region, "us-east-1") != 0)
        xmlw_text(&w, r->b.region, strlen(r->b.region));
    send_xml(r, 200, &w);
}

void op_get_bucket_acl(struct rq *r) { write_acl(r, &r->b, r->b.owner_uin, r->b.acl); }

void op_put_bucket_acl(struct rq *r)
{
    char acl[ACL_TEXT_MAX];
    if (acl_request_new(r, acl, sizeof acl) != 0)
        return;
    answer_update(r, meta_set_bucket_column(r, BUCKET_ACL, acl), "NoSuchBucket", "The specified bucket does not exist",
                  200);
}

/* PublicAccessBlockConfiguration: four booleans; "1"/"0" in obj_buckets.public_block. Only the
 * ACL ones act here: BlockPublicAcls refuses public ACLs,
 * IgnorePublicAcls makes existing ones grant nothing; the policy ones act in bucket_policy.c. */
static const char *const public_block_fields[] = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                                  "RestrictPublicBuckets"};

void op_put_public_block(struct rq *r)
{
    const char *body = obj_buf_str(&r->body);
    if (!body || !strstr(body, "<PublicAccessBlockConfiguration")) {
        fail_malformed(r);
        return;
    }
    char v[5] = "0000";
    for (int i = 0; i < 4; i++) {
        char open[64];
        snprintf(open, sizeof open, "<%s>", public_block_fields[i]);
        const char *a = strstr(body, open);
        if (!a)
            continue;
        a += strlen(open);
        if (strncasecmp(a, "true<", 5) == 0)
            v[i] = '1';
        else if (strncasecmp(a, "false<", 6) != 0) {
            fail_malformed(r);
            return;
        }
    }
    answer_update(r, meta_set_bucket_column(r, BUCKET_PUBLIC_BLOCK, v), "NoSuchBucket",
                  "The specified bucket does not exist", 200);
}

void op_get_public_block(struct rq *r)
{
    if (!r->b.public_block[0]) {
        fail(r, 404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found");
        return;
    }
    struct xmlw w;
    xmlw_init(&w, 4096);
    xmlw_open_ns(&w, "PublicAccessBlockConfiguration", S3_NS);
    for (int i = 0; i < 4; i++)
        xmlw_element_bool(&w, public_block_fields[i], r->b.public_block[i] == '1');
    send_xml(r, 200, &w);
}

void op_delete_public_block(struct rq *r)
{
    answer_update(r, meta_set_bucket_column(r, BUCKET_PUBLIC_BLOCK, NULL), "NoSuchBucket",
                  "The specified bucket does not exist", 204);
}

void op_put_bucket_tagging(struct rq *r)
{
    char *tags = parse_tagging_body(r, S3XML_MAX_BUCKET_TAGS);
    if (!tags)
        return;
    answer_update(r, meta_set_bucket_column(r, BUCKET_TAGS, tags), "NoSuchBucket",
                  "The specified bucket does not exist", 204);
    free(tags);
}

void op_get_bucket_tagging(struct rq *r)
{
    char *tags = NULL;
    int rc = meta_bucket_tags(r->bucket, &tags);
    if (rc < 0)
        fail_store(r);
    else if (rc == 0)
        fail(r, 404, "NoSuchTagSet", "The TagSet does not exist");
    else
        write_tagging(r, tags);
    free(tags);
}

void op_delete_bucket_tagging(struct rq *r)
{
    answer_update(r, meta_set_bucket_column(r, BUCKET_TAGS, NULL), "NoSuchBucket",
                  "The specified bucket does not exist", 204);
}

/* A fixed answer for sub-resources this store has no configuration for. */
void op_fixed(struct rq *r)
{
    if (r->op->status < 300)
        send_empty(r, (unsigned)r->op->status);
    else
        fail(r, r->op->status, r->op->code,
             r->op->status == 501 ? "This operation is not implemented."
                                  : "The specified configuration does not exist.");
}
