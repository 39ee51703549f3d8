/*
 * torrent: GetObjectTorrent (GET key?torrent), as S3 served it: a BitTorrent metainfo file for the
 * object (or ?versionId), pieces of 256 KiB hashed with SHA-1 from the object's file, the object's
 * URL as a web seed (BEP 19; there is no tracker). Served for objects up to 5 GiB, as S3 did.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "object/object_int.h"

#define PIECE_BYTES (256 * 1024)
#define TORRENT_MAX (5ll << 30)

static void bstr(struct obj_buf *b, const char *s, size_t n)
{
    char len[24];
    snprintf(len, sizeof len, "%zu:", n);
    obj_buf_puts(b, len);
    obj_buf_put(b, s, n);
}

static void bint(struct obj_buf *b, int64_t v)
{
    char n[32];
    snprintf(n, sizeof n, "i%llde", (long long)v);
    obj_buf_puts(b, n);
}

/* SHA-1 of each piece of the file into b. 0, or -1 (errno). */
static int pieces(int h, int64_t size, struct obj_buf *b)
{
    char *buf = malloc(PIECE_BYTES);
    if (!buf)
        return -1;
    int rc = 0;
    for (int64_t off = 0; off < size && rc == 0; off += PIECE_BYTES) {
        size_t want = (size_t)(size - off < PIECE_BYTES ? size - off : PIECE_BYTES), got = 0;
        while (got < want) {
            ssize_t n = engine_read_at(h, buf + got, want - got, (uint64_t)(off + (int64_t)got));
            if (n <= 0) {
                rc = -1;
                break;
            }
            got += (size_t)n;
        }
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        if (rc == 0 && EVP_Digest(buf, want, md, &mdlen, EVP_sha1(), NULL) != 1)
            rc = -1;
        if (rc == 0)
            obj_buf_put(b, md, mdlen);
    }
    free(buf);
    return rc;
}

void op_get_object_torrent(struct rq *r)
{
    struct objrow o = {0};
    if (load_request_object(r, &o) != 0)
        return;
    if (o.size > TORRENT_MAX) {
        objrow_free(&o);
        fail(r, 400, "InvalidRequest", "Torrents are served for objects of at most 5 GB.");
        return;
    }
    int h = engine_open(o.file);
    if (h < 0) {
        log_error("object store: open %s: %s", o.file, strerror(errno));
        objrow_free(&o);
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return;
    }
    struct obj_buf hashes, t;
    obj_buf_init(&hashes, (size_t)(TORRENT_MAX / PIECE_BYTES + 1) * 20);
    int rc = pieces(h, o.size, &hashes);
    engine_close(h);
    const char *name = strrchr(r->key, '/') ? strrchr(r->key, '/') + 1 : r->key;
    const char *host = hdr_in(r, "Host");
    char *url = NULL;
    if (host && asprintf(&url, "http://%s%s", host, r->raw_path) < 0)
        url = NULL;
    obj_buf_init(&t, hashes.len + 4096 + strlen(r->key) + (url ? strlen(url) : 0));
    obj_buf_putc(&t, 'd');
    bstr(&t, "info", 4);
    obj_buf_putc(&t, 'd');
    bstr(&t, "length", 6);
    bint(&t, o.size);
    bstr(&t, "name", 4);
    bstr(&t, *name ? name : r->key, strlen(*name ? name : r->key));
    bstr(&t, "piece length", 12);
    bint(&t, PIECE_BYTES);
    bstr(&t, "pieces", 6);
    bstr(&t, hashes.p ? hashes.p : "", hashes.len);
    obj_buf_putc(&t, 'e');
    if (url) {
        bstr(&t, "url-list", 8);
        bstr(&t, url, strlen(url));
    }
    obj_buf_putc(&t, 'e');
    free(url);
    objrow_free(&o);
    if (rc != 0 || hashes.failed || t.failed) {
        obj_buf_free(&hashes);
        obj_buf_free(&t);
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return;
    }
    obj_buf_free(&hashes);
    struct MHD_Response *resp = MHD_create_response_from_buffer(t.len, t.p, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        obj_buf_free(&t);
        fail(r, 500, "InternalError", "We encountered an internal error. Please try again.");
        return;
    }
    add_header(r, "Content-Type", "application/x-bittorrent");
    add_header(r, "Content-Disposition", "attachment; filename=\"%s.torrent\"", *name ? name : "object");
    r->bytes_out += t.len;
    queue(r, 200, resp);
}
