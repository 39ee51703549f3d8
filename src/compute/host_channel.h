/*
 * host_channel: how hosts join a region and stay in it. A join token (`yun admin hosts token`)
 * is `<id>.<secret>.<sha256 of the region CA certificate>`; the host pins the CA by that hash,
 * sends the token, a CSR and its facts, and gets a certificate (CN = its host id) signed by the
 * region CA; from then on it connects with mutual TLS and heartbeats. The wire is TLS 1.3
 * carrying one JSON object per line each way (request, answer). Index of the files:
 *   join_token.c   the token's text form and its check (pure)
 *   host_store.c   every statement on the CA, tokens, joined hosts and heartbeats
 *   host_channel.c the listener (a thread per connection) and the leased heartbeat monitor
 *   host_doc.c     the documents a host is told (its instances, its network plan) and its reports
 *   migration.c    live migration between joined hosts (MigrateInstance, drain): every statement on a move
 *   host_console.c the serial console tails joined hosts push: every statement on them
 * The host's side is src/host/agent.c (the session) and src/host/realise.c (acting on documents).
 * Messages on a host's session: hello {facts} once, then heartbeat {Have: the document version it
 * holds, Report} every HOST_HEARTBEAT_SECONDS, answered with {Version, Document} when its version is
 * not the one held; image {ImageId, Part, Offset} (on any session of the host) answers one chunk
 * of an image part an instance placed on the host runs: {Size, Length}, then Length raw bytes;
 * metadata {VpcId, Ip, Method, Path} answers what a guest of the host asked its metadata listener:
 * {Status, Length}, then the body's Length bytes; console {InstanceId, Length}, then Length raw bytes (at
 * most HOST_CONSOLE_MAX: the tail of the instance's serial log), stored only for an instance placed on
 * the host, answered {ok} or {ok: false, error}.
 */
#ifndef YUN_HOST_CHANNEL_H
#define YUN_HOST_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"

#define HOST_HEARTBEAT_SECONDS  2         /* a joined host sends one this often */
#define HOST_DOWN_SECONDS       10        /* and is down when none came for this long */
#define JOIN_TOKEN_TTL_DEFAULT  3600      /* seconds */
#define HOST_LINE_MAX           65536     /* bytes of a connection's first message (a join, before trust) */
#define HOST_REPORT_MAX         (1 << 20) /* bytes of one message a joined host sends on its session (a report) */
#define HOST_ANSWER_MAX         (4 << 20) /* bytes of one answer the control plane sends (a document, an image chunk) */
#define HOST_IMAGE_CHUNK        (4 << 20) /* bytes of an image part per answer (raw, after its line) */
#define HOST_DOC_VERSION_LEN    17        /* hex characters of a document's version, and the NUL */
#define HOST_DOC_MAX_INSTANCES  512       /* instances a drain moves per call; realise.c's memo slots */
#define JOIN_TOKEN_MAX          200       /* characters of a token's text */
#define HOST_MIGRATE_PORT_FIRST 7800      /* a migration target's NBD port and the stream's (the next) are a pair */
#define HOST_MIGRATE_PAIRS      50        /* from here: 7800-7899, closed on every host but to a move's source */
#define HOST_MIGRATE_SECONDS    300       /* a migration not done by then is abandoned */
#define HOST_CONSOLE_MAX        65536     /* bytes of an instance's serial log tail a host pushes (and we keep) */
#define HOST_CONSOLE_SECONDS    2         /* a host pushes one instance's console at most this often */
#define HOST_ACCEL_SIMULATED    "simulated" /* the accelerator of a simulated host (`yun host simulate`) */

/* join_token.c */
struct join_token {
    char id[16];        /* 8 [a-z0-9] */
    char secret[40];    /* 32 [A-Za-z0-9] */
    char ca_sha256[65]; /* 64 lowercase hex */
};
enum join_verdict { JOIN_OK, JOIN_UNKNOWN, JOIN_WRONG_SECRET, JOIN_EXPIRED, JOIN_USED };
/* 0 and t filled when text is a well-formed token, else -1. */
int join_token_parse(const char *text, struct join_token *t);
/* A new token (random id and secret) for a CA of hash ca_sha256. */
void join_token_new(const char *ca_sha256, struct join_token *t);
void join_token_format(const struct join_token *t, char *out, size_t len);
/* What the store keeps of the secret: sha256 hex. */
void join_token_secret_hash(const char *secret, char out[65]);
/* The verdict on a presented secret against a stored token (stored_hash, expires, used 0/1). */
enum join_verdict join_token_check(const char *secret, const char *stored_hash, int64_t expires, int used, int64_t now);
const char *join_verdict_text(enum join_verdict v);

/* host_store.c */
struct host_facts {
    char hostname[128];
    char zone[64];
    int64_t cores, memory_mib, disk_gib;
    char accel[16]; /* kvm, tcg, or simulated */
    char accel_reason[256];
    int realises; /* the host runs instances (it says so in its facts) */
};
struct tls_ca;
/* The region CA (certificate and key), made and stored (key sealed under the master key) when
 * there is none yet; concurrent first starts agree on the row that was inserted first. 0 or -1. */
int host_ca_get(struct store *s, const char *region, struct tls_ca *ca, char *err, size_t errlen);
int host_token_insert(struct store *s, const char *id, const char *secret_hash, int64_t expires, int64_t now);
/* Checks the token and marks it used by host_id, in one step that only one join can win. */
enum join_verdict host_token_take(struct store *s, const char *id, const char *secret, const char *host_id,
                                  int64_t now);
/* Records a joined host: zone, capacity (vcpus sold), accelerator, whether it realises instances; up. */
int host_joined_insert(struct store *s, const char *host_id, const struct host_facts *f, int64_t vcpus, int64_t now);
/* A joined host's facts on reconnecting, and its underlay address (where its session comes from: its VXLAN
 * endpoint, seen by the control plane, not said by the host); 1 updated, 0 no such (or a revoked) joined
 * host, -1 error. */
int host_joined_hello(struct store *s, const char *host_id, const struct host_facts *f, int64_t vcpus,
                      const char *underlay, int64_t now);
/* The network plan of host_id: its NICs, their VPCs with the other hosts carrying each (Remotes), its Underlay;
 * NULL on a store error. The built-in host's controller and the joined hosts' documents both use it. */
json_t *host_network_plan(struct store *s, const char *host_id);
/* A heartbeat of host_id: 1 recorded (the host was down: UP again at once), 2 a joined host UP whose beat the caller
 * writes with others (host_beats_write), 0 no such joined host or revoked, -1 error. */
int host_heartbeat(struct store *s, const char *host_id, int64_t now);
struct host_beat {
    char host_id[24];
    int64_t at;
};
/* The beats received since the last call, in one transaction (a region's hosts beat hundreds of times a second,
 * and SQLite commits one writer at a time, each with an fsync): 0 or -1. */
int host_beats_write(struct store *s, const struct host_beat *beats, int n);
/* 1 host_id is a joined host not revoked, 0 not, -1 error. */
int host_is_joined(struct store *s, const char *host_id);
/* Marks joined hosts down (no heartbeat since now - window) and up again; how many changed, or -1. */
int host_monitor_pass(struct store *s, int64_t now, int64_t window);
/* Revokes a joined host's certificate: 1 done, 0 no such joined host, -1 error. */
int host_revoke(struct store *s, const char *host_id, int64_t now);

/* host_doc.c: the document of host_id (its instances, network plan and disks) and its version; NULL on a store
 * error */
json_t *host_doc_build(struct store *s, const char *host_id, char version[HOST_DOC_VERSION_LEN]);
/* host_doc_build, or (want_doc 0, and the document known unchanged since it was last made: no write of this
 * process, the host's instances' fingerprint the same, and made less than 30 s ago) only its version, *doc NULL;
 * 0, or -1 on a store error (host_channel.c). */
int host_doc_current(struct store *s, const char *host_id, int want_doc, json_t **doc,
                     char version[HOST_DOC_VERSION_LEN]);
/* What changes with the host's own instances, whoever wrote it (another process, `yun admin hosts drain`): the
 * latest update of those placed on or moving to host_id, and their count; 0 or -1. */
int host_doc_fingerprint(struct store *s, const char *host_id, int64_t *updated, int64_t *n);
/* What the host reports: {Done: the version it last realised, Instances: [{InstanceId, For (the state it acted
 * for), Seen (RUNNING, STOPPED or FAILED), Request, Detail}], Disks: [...] (block_host_report)}; moves instances
 * and disks on; how many changed. */
int host_doc_report(struct store *s, const char *host_id, json_t *report, const char *version);
/* 1 if a report's items name id under key (InstanceId, DiskId): what the host still has */
int host_report_names(json_t *items, const char *key, const char *id);
/* The file of an image part (kernel, initrd, disk) the host may read: 1 (path set), 0 not its, -1 error */
int host_doc_image_part(struct store *s, const char *host_id, const char *image_id, const char *part, char *path,
                        size_t len);

/* migration.c: moves of running instances between joined hosts, through the documents (see the file) */
/* Records the move of instance_id to want (NULL or "": the host of its pool and zone with the most room, not
 * draining, up), in the caller's transaction; 0 (target set), or -1 with a Tencent code and message. */
int migration_start(struct store *s, const char *instance_id, const char *want, const char *request_id, char target[40],
                    const char **code, char *msg, size_t len);
/* The target's report: it waits on nbd_port (1 moved on, 0 not the move recorded, -1 error). */
int migration_ready(struct store *s, const char *instance_id, const char *target, int nbd_port);
/* The source's report that the guest moved: host_id becomes the target, and its cloud disks' with it; 1, 0, -1. */
int migration_done(struct store *s, const char *instance_id, const char *source);
/* Either host's report of a failure (or the monitor's): the move is cleared, LatestOperationState FAILED. */
int migration_failed(struct store *s, const char *instance_id, const char *host_id, const char *why);
/* Fails moves whose instance left RUNNING, whose host is not up, or older than HOST_MIGRATE_SECONDS; n or -1. */
int migration_expire(struct store *s, int64_t now);
/* Marks host_id draining (placement skips it) and starts moving each of its RUNNING instances, in the
 * caller's transaction: started [{InstanceId, From, To}], refused [{InstanceId, Code, Message}]; 0 or -1. */
int migration_drain(struct store *s, const char *host_id, const char *request_id, json_t *started, json_t *refused,
                    char *err, size_t errlen);
/* The host takes new instances again (moves already made stay): 1, 0 no such host, -1 error. */
int migration_undrain(struct store *s, const char *host_id);
void migration_register(void);

/* host_console.c: the console tails joined hosts push (component "compute_consoles") */
int host_console_migrate(struct store *s, char *err, size_t errlen);
/* host_id's push of instance_id's console tail (len <= HOST_CONSOLE_MAX): 1 stored, 0 refused (the instance is not
 * placed on host_id, or terminated), -1 error. */
int host_console_push(struct store *s, const char *host_id, const char *instance_id, const void *bytes, size_t len,
                      int64_t now);
/* The last tail pushed for instance_id by the host it is placed on (its last cap bytes): 1 (len set), 0 none yet,
 * -1 error. */
int host_console_get(struct store *s, const char *instance_id, char *buf, size_t cap, size_t *len);

/* host_channel.c: the listener (in every yund whose host_listen is not "off") and the monitor
 * (in every yund, working while it holds the lease "hosts") */
int host_channel_start(const struct config *cfg, struct store *s, char *err, size_t errlen);
void host_channel_stop(void);

#endif
