/*
 * ask: what a joined host asks of the control plane beside its heartbeats, each on a connection of its
 * own (agent_connect, the host's certificate): the parts of an image an instance placed here runs
 * (fetched once into DIR/images/ID/, written to a .part file and renamed when whole: images never
 * change), and the answers to what its guests ask their metadata listeners (one connection for all
 * listeners, made again when the control plane closed it).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compute/host_channel.h"
#include "core/tls.h"
#include "host/ask.h"
#include "host/dial.h"

static SSL_CTX *ctx;
static char control[256], data_dir[600];

void ask_init(SSL_CTX *c, const char *control_addr, const char *data)
{
    ctx = c;
    snprintf(control, sizeof control, "%s", control_addr);
    snprintf(data_dir, sizeof data_dir, "%s", data);
}

int ask_image_part(const char *image, const char *part, char *path, size_t len, char *err, size_t errlen)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/images/%s", data_dir, image);
    snprintf(path, len, "%s/%s", dir, part);
    if (access(path, R_OK) == 0)
        return 0; /* images never change: a part once here is the part */
    if (mkdir_p(dir, 0700) != 0) {
        snprintf(err, errlen, "cannot create %.300s: %s", dir, strerror(errno));
        return -1;
    }
    char tmp[720];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    FILE *out = fopen(tmp, "w");
    SSL *ssl = out ? agent_connect(ctx, control, err, errlen) : NULL;
    long long offset = 0, size = -1;
    int rc = -1;
    unsigned char *raw = malloc(HOST_IMAGE_CHUNK);
    while (ssl && raw) {
        json_t *ans = agent_exchange(ssl, json_pack("{s:s,s:s,s:s,s:I}", "op", "image", "ImageId", image, "Part", part,
                                                    "Offset", (json_int_t)offset));
        json_int_t n = json_integer_value(json_object_get(ans, "Length"));
        if (!ans || !json_is_true(json_object_get(ans, "ok")) || !json_is_integer(json_object_get(ans, "Length"))) {
            const char *why = json_string_value(json_object_get(ans, "error"));
            snprintf(err, errlen, "image %s %s: %s", image, part, why ? why : "the connection failed");
            json_decref(ans);
            break;
        }
        size = json_integer_value(json_object_get(ans, "Size"));
        json_decref(ans);
        if (n < 0 || n > HOST_IMAGE_CHUNK || tls_read_all(ssl, raw, (size_t)n) != 0 ||
            (n > 0 && fwrite(raw, 1, (size_t)n, out) != (size_t)n)) {
            snprintf(err, errlen, "image %s %s: a bad chunk at %lld", image, part, offset);
            break;
        }
        offset += n;
        if (offset >= size || n == 0) {
            rc = offset == size ? 0 : -1;
            if (rc)
                snprintf(err, errlen, "image %s %s: %lld of %lld bytes", image, part, offset, size);
            break;
        }
    }
    free(raw);
    agent_close(ssl);
    if (out && (fflush(out) != 0 || fsync(fileno(out)) != 0))
        rc = -1;
    if (out)
        fclose(out);
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, errlen, "rename %.300s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        unlink(tmp);
    return rc;
}

static pthread_mutex_t md_mu = PTHREAD_MUTEX_INITIALIZER;
static SSL *md_ssl; /* one connection for the listeners, under md_mu */

void ask_metadata(const char *vpc_id, const char *ip, const char *method, const char *path, struct md_reply *r)
{
    memset(r, 0, sizeof *r);
    char err[256] = "";
    pthread_mutex_lock(&md_mu);
    for (int attempt = 0; attempt < 2 && !r->body; attempt++) {
        if (!md_ssl)
            md_ssl = agent_connect(ctx, control, err, sizeof err);
        json_t *ans = md_ssl ? agent_exchange(md_ssl, json_pack("{s:s,s:s,s:s,s:s,s:s}", "op", "metadata", "VpcId",
                                                                vpc_id, "Ip", ip, "Method", method, "Path", path))
                             : NULL;
        json_int_t n = json_integer_value(json_object_get(ans, "Length"));
        if (ans && json_is_true(json_object_get(ans, "ok")) && n >= 0 && n <= HOST_ANSWER_MAX &&
            (r->body = malloc((size_t)n + 1)) && tls_read_all(md_ssl, r->body, (size_t)n) == 0) {
            r->body[n] = 0;
            r->len = (size_t)n;
            r->status = (unsigned)json_integer_value(json_object_get(ans, "Status"));
        } else { /* a lost connection: once more on a new one */
            free(r->body);
            r->body = NULL;
            agent_close(md_ssl);
            md_ssl = NULL;
        }
        json_decref(ans);
    }
    pthread_mutex_unlock(&md_mu);
    if (!r->body) {
        static const char busy[] = "the metadata service is unavailable\n";
        r->body = strdup(busy);
        r->len = r->body ? strlen(busy) : 0;
        r->status = 503;
    }
}
