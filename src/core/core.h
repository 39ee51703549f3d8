/*
 * core: the small pieces every other part of yun uses and that depend on nothing of ours:
 * logging, time formatting, random identifiers, hashing/HMAC/AEAD wrappers over OpenSSL,
 * hex/base64, and the daemon configuration (parsed once into one struct).
 */
#ifndef YUN_CORE_H
#define YUN_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

/* log.c */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The request line both pipelines (API, object gateway) write: one JSON object per request.
 * NULL strings are left out; status 0 leaves out status and bytes. */
struct request_line {
    const char *service; /* "api" or "object" */
    const char *rid, *account, *user, *ip;
    const char *action; /* the API action, or the S3 operation (the route row's name) */
    const char *version, *bucket, *key, *code;
    int status;
    int64_t bytes_in, bytes_out;
    double ms;
};
void log_request(const struct request_line *l);
void log_start_batching(void); /* from now on a logger thread writes lines in batches */
void log_flush(void);
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* time.c */
int64_t time_now(void);    /* unix seconds */
int64_t time_now_ms(void); /* monotonic milliseconds */
struct timespec;
void time_deadline(struct timespec *ts, int64_t ms); /* CLOCK_REALTIME + ms: pthread_cond_timedwait's */
int64_t time_now_us(void);                           /* monotonic microseconds */
void time_iso8601(int64_t t, char out[32]);          /* 2026-11-22T12:00:00Z */
void time_cam(int64_t t, char out[32]);              /* 2026-11-22 12:00:00 (CAM's format) */
void time_date(int64_t t, char out[16]);             /* 2026-11-22 (UTC) */
int time_parse_iso8601(const char *s, int64_t *out); /* accepts ...Z, ...+08:00, and "YYYY-MM-DD hh:mm:ss" */

/* clock.c: the business clock (wall time + an offset only a --test-clock daemon moves forward) */
int64_t clock_now(void);
int64_t clock_offset(void);
void clock_set_offset(int64_t seconds); /* never moves the clock back */
void clock_set_test(int on);
int clock_is_test(void);
int clock_parse_duration(const char *s, int64_t *out); /* "90m", "3h", "2d", "30s", "45" (seconds) */

/* random.c */
int random_bytes(void *buf, size_t len);                      /* CSPRNG; 0 on success */
void random_id(const char *prefix, char *out, size_t outlen); /* prefix + 8 [a-z0-9] */
void random_alnum(char *out, size_t n);                       /* n chars [A-Za-z0-9] + NUL */
uint64_t random_digits(int ndigits);                          /* a number with exactly ndigits digits */
void random_uuid(char out[37]);

/* crypto.c */
void sha256(const void *data, size_t len, uint8_t out[32]);
void sha256_hex(const void *data, size_t len, char out[65]);
void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32]);
void hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[20]);
void hex_encode(const uint8_t *in, size_t len, char *out); /* out: 2*len+1 */
int hex_decode(const char *in, uint8_t *out, size_t outlen);
int hex_digit(char c);              /* 0..15, or -1 when c is not a hex digit */
uint32_t hash_fnv1a(const char *s); /* FNV-1a 32: slots of in-memory tables, not security */
size_t base64_encode(const uint8_t *in, size_t len, char *out, size_t outlen); /* returns length */
int base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen, size_t *written);
int const_time_eq(const void *a, const void *b, size_t len);
/* AES-256-GCM with a random nonce: out = nonce(12) || ciphertext || tag(16); aad binds the use. */
int aead_seal(const uint8_t key[32], const char *aad, const void *plain, size_t plen, uint8_t *out, size_t *outlen);
int aead_open(const uint8_t key[32], const char *aad, const uint8_t *in, size_t inlen, void *plain, size_t *plen);
#define AEAD_OVERHEAD 28

/* rate.c: token buckets, one fixed-size table per door (memory bounded whatever the keys). */
enum rate_door { RATE_API, RATE_OBJECT, RATE_DOORS };
void rate_init(enum rate_door door, int per_second, int burst); /* per_second 0 = no limit */
int rate_allow(enum rate_door door, const char *key);           /* 1 = allowed */
/* How many yund processes serve the region (1 or more): each process allows its share of every limit, so the
 * region as a whole allows what the configuration says (src/daemon/peers.c keeps it current). */
void rate_share(int processes);

/* config.c: the daemon's configuration, parsed once. */
struct zone_conf {
    char zone[64], name[128], zone_id[32];
};
struct region_conf {
    char region[64], name[128];
    struct zone_conf zones[16];
    int nzones;
};
struct config {
    char data_dir[512];
    char store[512]; /* "" = SQLite in DATA/yun.db; postgres://... = PostgreSQL (the data dir keeps keys, images, disks)
                      */
    char listen_host[128];
    int listen_port;
    char region[64]; /* the region this control plane serves */
    struct region_conf regions[16];
    int nregions;
    int rate_per_second; /* per account; 0 = unlimited */
    int rate_burst;
    size_t max_body_bytes;
    int threads;              /* HTTP worker threads; 0 = number of cores */
    int per_ip_connections;   /* API connections per client address; 0 = no limit */
    int header_timeout;       /* seconds a client has to send its request headers */
    size_t body_memory_bytes; /* request bodies held at once, all API connections together */
    /* object store listener (S3/COS); port 0 = API port + 1, -1 = disabled */
    char object_host[128];
    int object_port;
    int object_rate_per_second; /* per account, or per address for anonymous requests; 0 = unlimited */
    int object_rate_burst;
    char object_domain[128]; /* base domain for virtual-host buckets: BUCKET.<domain> */
    char object_backend[32]; /* where object bytes are kept: "file" (src/object/backend.h lists them) */
    /* SSE-KMS: the key ids yun holds (keys derived under DATA/master.key), and the one aws:kms
     * without a key id uses ("" = such a request is refused) */
    char object_kms_keys[16][64];
    int object_nkms_keys;
    char object_kms_default[64];
    /* compute */
    char host_zone[64];    /* zone of this machine's host; "" = the region's first zone */
    double cpu_overcommit; /* vCPUs sold per host core */
    int instance_quota;    /* instances per account */
    int boot_concurrency;  /* guests booting at once per host; 0 = number of cores */
    char scheduler[16];    /* "spread" or "pack" */
    char accel[8];         /* "auto", "kvm" or "tcg" */
    /* the host channel: where joined hosts connect (TLS 1.3, region CA); "off" = no listener */
    char host_listen[160]; /* "HOST:PORT" */
    /* billing */
    int no_host;                 /* yun up --no-host: API and object listeners only (a second control-plane process) */
    int test_clock;              /* yun up --test-clock: `yun admin clock --advance` may move the clock */
    int64_t arrears_grace_s;     /* postpaid resources run this long after the balance goes negative */
    int64_t arrears_retention_s; /* then stay isolated this long before they are released */
};
void config_defaults(struct config *c);
int config_load(struct config *c, const char *path, char *err, size_t errlen);
const struct region_conf *config_find_region(const struct config *c, const char *region);
/* The region a zone name is in: "ap-guangzhou-3" is in "ap-guangzhou". */
void zone_region(const char *zone, char out[64]);
/* The configured region that lists zone (the one owner of the zone -> region fact); a zone no
 * region lists (or c NULL) falls back to zone_region's naming rule. */
void config_zone_region(const struct config *c, const char *zone, char out[64]);

/* process.c: runs argv (no shell); stdin from input (may be NULL), stdout into out (may be NULL);
 * 0 if the exit status is 0, else -1 with the command and its stderr in err. */
int run_command(char *const argv[], const char *input, char *out, size_t outlen, char *err, size_t errlen);

/* util.c */
int file_write_atomic(const char *path, const void *data, size_t len, int mode); /* tmp + fsync + rename + dir fsync */
int file_read_all(const char *path, char **out, size_t *len);
int mkdir_p(const char *path, int mode);
/* snprintf(dst, size, "%s", src) without the formatting machinery (hot paths); NULL copies "" */
void str_copy(char *dst, size_t size, const char *src);
/* fn(arg) on a thread of its own that no one joins: 0, or pthread_create's error number */
int thread_detached(void *(*fn)(void *), void *arg);

#endif
