/*
 * bucket_encryption: a bucket's default encryption (Put/Get/DeleteBucketEncryption), the document
 * kept in obj_bucket_config that encryption.c applies to writes naming none.
 */
#include "identity/sealed.h"
#include "object/object_int.h"
#include "object/post.h"
#include "object/sse.h"
#include "object/xmltree.h"
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---------------------------------------------------------------- bucket default encryption */

#define MALFORMED "The XML you provided was not well-formed or did not validate against our published schema."

void op_put_bucket_encryption(struct rq *r)
{
    struct xnode *root = xtree_parse(r->body.p, r->body.len);
    struct xnode *rule = root ? xtree_child(root, "Rule") : NULL;
    struct xnode *by = rule ? xtree_child(rule, "ApplyServerSideEncryptionByDefault") : NULL;
    const char *alg = by ? xtree_text(by, "SSEAlgorithm") : NULL;
    const char *kid = by ? xtree_text(by, "KMSMasterKeyID") : NULL;
    const char *bke = rule ? xtree_text(rule, "BucketKeyEnabled") : NULL;
    struct sse_mode m = {0};
    if (!root || strcmp(root->name, "ServerSideEncryptionConfiguration") != 0 || xtree_count(root, "Rule") != 1 ||
        !alg) {
        fail(r, 400, "MalformedXML", MALFORMED);
    } else if (strcmp(alg, "AES256") == 0) {
        if (kid && *kid)
            fail(r, 400, "InvalidArgument", "KMSMasterKeyID is only valid with SSEAlgorithm aws:kms.");
    } else if (strcmp(alg, "aws:kms") == 0 || strcmp(alg, "cos/kms") == 0) {
        sse_kms_key(r, kid, &m);
    } else {
        fail(r, 400, "InvalidArgument", "The SSEAlgorithm must be AES256 or aws:kms.");
    }
    if (!r->err_status && bke && strcmp(bke, "true") != 0 && strcmp(bke, "false") != 0)
        fail(r, 400, "MalformedXML", MALFORMED);
    if (r->err_status) {
        xtree_free(root);
        return;
    }
    struct xmlw w;
    xmlw_init(&w, 4096);
    xmlw_open_ns(&w, "ServerSideEncryptionConfiguration", S3_NS);
    xmlw_open(&w, "Rule");
    xmlw_open(&w, "ApplyServerSideEncryptionByDefault");
    xmlw_element(&w, "SSEAlgorithm", strcmp(alg, "AES256") == 0 ? "AES256" : "aws:kms");
    if (kid && *kid)
        xmlw_element(&w, "KMSMasterKeyID", kid);
    xmlw_close(&w);
    if (bke)
        xmlw_element(&w, "BucketKeyEnabled", bke);
    xmlw_close(&w);
    xtree_free(root);
    size_t len;
    const char *doc = xmlw_finish(&w, &len);
    if (!doc)
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
    else if (meta_set_bucket_config(r, "encryption", doc) == 1)
        send_empty(r, 200);
    xmlw_free(&w);
}

void op_get_bucket_encryption(struct rq *r)
{
    char *doc = NULL;
    int rc = meta_bucket_config(r->b.id, "encryption", &doc);
    if (rc < 0)
        fail_store(r);
    else if (rc == 0)
        fail(r, 404, "ServerSideEncryptionConfigurationNotFoundError",
             "The server side encryption configuration was not found");
    else
        send_document(r, doc);
    free(doc);
}

void op_delete_bucket_encryption(struct rq *r)
{
    if (meta_set_bucket_config(r, "encryption", NULL) == 1)
        send_empty(r, 204);
}
