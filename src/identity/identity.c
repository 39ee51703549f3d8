/*
 * identity: accounts and keys in the store, the master key that encrypts SecretKeys at rest,
 * and the two hooks the request path calls on every request (key lookup, authorisation).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity/identity.h"

static uint8_t master_key[32];

static const struct migration identity_migrations[] = {
    {1, "CREATE TABLE accounts (uin TEXT PRIMARY KEY, app_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
        " created INTEGER NOT NULL);"
        "CREATE TABLE users (uin TEXT PRIMARY KEY, owner_uin TEXT NOT NULL REFERENCES accounts(uin),"
        " uid INTEGER NOT NULL, name TEXT NOT NULL, remark TEXT NOT NULL DEFAULT '',"
        " console_login INTEGER NOT NULL DEFAULT 0, password_hash TEXT, need_reset INTEGER NOT NULL DEFAULT 0,"
        " phone TEXT NOT NULL DEFAULT '', country_code TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',"
        " created INTEGER NOT NULL, UNIQUE (owner_uin, name));"
        "CREATE TABLE access_keys (secret_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL REFERENCES accounts(uin),"
        " user_uin TEXT NOT NULL, secret_enc BLOB NOT NULL, status TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',"
        " created INTEGER NOT NULL);"
        "CREATE INDEX access_keys_user ON access_keys (owner_uin, user_uin);"
        "CREATE TABLE policies (policy_id INTEGER PRIMARY KEY AUTOINCREMENT, owner_uin TEXT NOT NULL,"
        " name TEXT NOT NULL, document TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',"
        " type INTEGER NOT NULL DEFAULT 1, created INTEGER NOT NULL, updated INTEGER NOT NULL,"
        " UNIQUE (owner_uin, name));"
        "CREATE TABLE user_policies (owner_uin TEXT NOT NULL, user_uin TEXT NOT NULL,"
        " policy_id INTEGER NOT NULL REFERENCES policies(policy_id) ON DELETE CASCADE,"
        " attached INTEGER NOT NULL, PRIMARY KEY (user_uin, policy_id));"},
    /* the operator: the account that runs the cloud (the first one, made at the first start) may
     * act on other accounts through operator actions (recharges) */
    {2, "ALTER TABLE accounts ADD COLUMN operator INTEGER NOT NULL DEFAULT 0;"
        "UPDATE accounts SET operator = 1 WHERE uin = (SELECT uin FROM accounts ORDER BY created, uin LIMIT 1);"},
    /* roles (role.c), the custom policies attached to them, and the sessions sts issues (sts.c) */
    {3, "CREATE TABLE roles (role_id TEXT PRIMARY KEY, owner_uin TEXT NOT NULL REFERENCES accounts(uin),"
        " name TEXT NOT NULL, document TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',"
        " console_login INTEGER NOT NULL DEFAULT 0, session_duration INTEGER NOT NULL,"
        " created INTEGER NOT NULL, updated INTEGER NOT NULL, UNIQUE (owner_uin, name));"
        "CREATE TABLE role_policies (owner_uin TEXT NOT NULL,"
        " role_id TEXT NOT NULL REFERENCES roles(role_id) ON DELETE CASCADE,"
        " policy_id INTEGER NOT NULL REFERENCES policies(policy_id) ON DELETE CASCADE,"
        " attached INTEGER NOT NULL, PRIMARY KEY (role_id, policy_id));"
        "CREATE TABLE role_sessions (secret_id TEXT PRIMARY KEY,"
        " role_id TEXT NOT NULL REFERENCES roles(role_id) ON DELETE CASCADE, owner_uin TEXT NOT NULL,"
        " session_name TEXT NOT NULL, assumed_by_uin TEXT NOT NULL, assumed_by_sub_uin TEXT NOT NULL,"
        " secret_enc BLOB NOT NULL, token_hash TEXT NOT NULL, policy TEXT NOT NULL DEFAULT '',"
        " created INTEGER NOT NULL, expires INTEGER NOT NULL);"
        "CREATE INDEX role_sessions_role ON role_sessions (role_id);"
        "CREATE INDEX role_sessions_expires ON role_sessions (expires);"},
    /* the root account's console password (sub-users keep theirs in users.password_hash) */
    {4, "ALTER TABLE accounts ADD COLUMN password_hash TEXT;"},
    /* the change generation every process on a shared store (PostgreSQL) checks per request */
    {5, "CREATE TABLE identity_generation (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "INSERT INTO identity_generation (name, value) VALUES ('changes', 0);"},
};

int identity_migrate(struct store *s, char *err, size_t errlen)
{
    if (store_migrate(s, "audit", audit_migrations, audit_migration_count, err, errlen))
        return -1;
    return store_migrate(s, "identity", identity_migrations, sizeof identity_migrations / sizeof identity_migrations[0],
                         err, errlen);
}

int identity_init(const char *data_dir, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/master.key", data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat st;
        ssize_t n = read(fd, master_key, sizeof master_key);
        int bad = n != (ssize_t)sizeof master_key || fstat(fd, &st) != 0;
        close(fd);
        if (bad) {
            snprintf(err, errlen, "%s: not a 32-byte key file", path);
            return -1;
        }
        if (st.st_mode & 077)
            log_warn("%s is readable by group or others; it should be mode 0600", path);
        return 0;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (random_bytes(master_key, sizeof master_key) != 0 ||
        file_write_atomic(path, master_key, sizeof master_key, 0600) != 0) {
        snprintf(err, errlen, "%s: cannot create the master key: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int identity_seal_secret(const char *secret_id, const char *secret_key, uint8_t *out, size_t *outlen)
{
    return aead_seal(master_key, secret_id, secret_key, strlen(secret_key), out, outlen);
}

/* Data at rest under the master key, bound to aad (see sealed.h for the blob format). */
int identity_seal(const char *aad, const void *plain, size_t plen, uint8_t *out, size_t *outlen)
{
    return aead_seal(master_key, aad, plain, plen, out, outlen);
}

int identity_open(const char *aad, const uint8_t *in, size_t inlen, void *plain, size_t *plen)
{
    return aead_open(master_key, aad, in, inlen, plain, plen);
}

/* Creates a key for user_uin of owner_uin; secret_id/secret_key receive the new pair. */
int identity_create_key(struct store *s, const char *owner_uin, const char *user_uin, const char *description,
                        char secret_id[64], char secret_key[64])
{
    char tail[33];
    random_alnum(tail, 32);
    snprintf(secret_id, 64, "AKID%s", tail);
    random_alnum(secret_key, 32);
    uint8_t sealed[64 + AEAD_OVERHEAD];
    size_t sealed_len;
    if (identity_seal_secret(secret_id, secret_key, sealed, &sealed_len) != 0)
        return -1;
    return store_exec(
               s,
               "INSERT INTO access_keys (secret_id, owner_uin, user_uin, secret_enc, status, description, created)"
               " VALUES (?, ?, ?, ?, 'Active', ?, ?)",
               "sssbsi", secret_id, owner_uin, user_uin, sealed, sealed_len, description ? description : "",
               time_now()) == 1
               ? 0
               : -1;
}

int identity_create_account_tx(struct store *s, const char *name, struct new_account *out, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        snprintf(out->uin, sizeof out->uin, "%llu", (unsigned long long)random_digits(12));
        snprintf(out->app_id, sizeof out->app_id, "%llu", (unsigned long long)(1250000000ull + random_digits(8)));
        int rc = store_exec(s, "INSERT INTO accounts (uin, app_id, name, created) VALUES (?, ?, ?, ?)", "sssi",
                            out->uin, out->app_id, name, time_now());
        if (rc == 1)
            break;
        if (rc != STORE_CONSTRAINT || attempt == 9) {
            snprintf(err, errlen, "create account: %s", store_errmsg(s));
            return -1;
        }
    }
    if (identity_create_key(s, out->uin, out->uin, "root key", out->secret_id, out->secret_key) != 0) {
        snprintf(err, errlen, "create key: %s", store_errmsg(s));
        return -1;
    }
    return 0;
}

int identity_create_account(struct store *s, const char *name, struct new_account *out, char *err, size_t errlen)
{
    err[0] = 0;
    if (store_begin(s) != STORE_OK) {
        snprintf(err, errlen, "store busy: %s", store_errmsg(s));
        return -1;
    }
    if (identity_create_account_tx(s, name, out, err, errlen) != 0 || store_commit(s) != STORE_OK) {
        if (!err[0])
            snprintf(err, errlen, "commit: %s", store_errmsg(s));
        store_rollback(s);
        return -1;
    }
    return 0;
}

int identity_set_operator(struct store *s, const char *uin)
{
    return store_exec(s, "UPDATE accounts SET operator = 1 WHERE uin = ?", "s", uin) == 1 ? 0 : -1;
}

int identity_is_operator(struct store *s, const char *uin)
{
    struct store_stmt *q = store_query(s, "SELECT operator FROM accounts WHERE uin = ?", "s", uin);
    if (!q)
        return -1;
    int rc = store_step(q);
    int out = rc == STORE_FOUND && store_int(q, 0) == 1;
    store_done(q);
    return rc < 0 ? -1 : out;
}

int identity_account_exists(struct store *s, const char *uin)
{
    struct store_stmt *q = store_query(s, "SELECT 1 FROM accounts WHERE uin = ?", "s", uin);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    return rc;
}

int identity_sub_user(struct store *s, const char *owner_uin, const char *uin, char *name, size_t namelen)
{
    struct store_stmt *q =
        store_query(s, "SELECT name FROM users WHERE owner_uin = ? AND uin = ?", "ss", owner_uin, uin);
    int rc = q ? store_step(q) : -1;
    if (rc == STORE_FOUND)
        snprintf(name, namelen, "%s", store_text(q, 0));
    store_done(q);
    return rc;
}

int identity_account_count(struct store *s)
{
    struct store_stmt *q = store_query(s, "SELECT count(*) FROM accounts", "");
    int n = (q && store_step(q) == 1) ? (int)store_int(q, 0) : -1;
    store_done(q);
    return n;
}

/*
 * Key cache: the request path looks up the caller's key on every request; a small direct-mapped
 * cache saves the store read and the AES-GCM open. Any committed state change bumps the
 * generation (identity_changed, called by the request path after each commit), which empties the
 * cache at once; the TTL bounds staleness against writes made by other processes.
 */
#define KEY_CACHE        1024
#define KEY_CACHE_TTL_MS 5000

struct cached_key {
    char secret_id[64];
    struct principal who;
    char secret[64];
    uint64_t generation;
    int64_t expires_ms;
};

static struct cached_key key_cache[KEY_CACHE];
static pthread_mutex_t key_cache_lock[16] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static _Atomic uint64_t generation = 1;

void identity_changed(void) { generation++; }

/*
 * Across processes: on a store other processes write too (PostgreSQL; a SQLite file has one yund,
 * see yund.lock), every committed state change also bumps the row identity_generation, in its own
 * transaction, and every key lookup reads that row first: a change committed by another yund
 * (a key disabled through process B) empties this process's cache on its next request.
 */
static _Atomic int64_t store_generation_seen = -1;

static int shared_store(struct store *s) { return strcmp(store_backend(s), "sqlite") != 0; }

int identity_note_change(struct store *s)
{
    if (!shared_store(s))
        return 0;
    return store_exec(s, "UPDATE identity_generation SET value = value + 1 WHERE name = 'changes'", NULL) < 0 ? -1 : 0;
}

static int check_store_generation(struct store *s)
{
    if (!shared_store(s))
        return 0;
    struct store_stmt *q = store_query(s, "SELECT value FROM identity_generation WHERE name = 'changes'", NULL);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == 1) {
        int64_t v = store_int(q, 0);
        if (v != store_generation_seen) {
            store_generation_seen = v;
            generation++;
        }
    }
    store_done(q);
    return rc < 0 ? -1 : 0;
}

static unsigned key_slot(const char *id) { return hash_fnv1a(id) % KEY_CACHE; }

static int cache_get(const char *secret_id, struct principal *who, char *secret, size_t len)
{
    unsigned slot = key_slot(secret_id);
    pthread_mutex_t *l = &key_cache_lock[slot % 16];
    int hit = 0;
    pthread_mutex_lock(l);
    struct cached_key *c = &key_cache[slot];
    if (c->generation == generation && c->expires_ms > time_now_ms() && strcmp(c->secret_id, secret_id) == 0 &&
        strlen(c->secret) < len) {
        *who = c->who;
        strcpy(secret, c->secret);
        hit = 1;
    }
    pthread_mutex_unlock(l);
    return hit;
}

static void cache_put(const char *secret_id, const struct principal *who, const char *secret, uint64_t gen)
{
    if (strlen(secret_id) >= sizeof key_cache[0].secret_id || strlen(secret) >= sizeof key_cache[0].secret)
        return;
    unsigned slot = key_slot(secret_id);
    pthread_mutex_t *l = &key_cache_lock[slot % 16];
    pthread_mutex_lock(l);
    struct cached_key *c = &key_cache[slot];
    strcpy(c->secret_id, secret_id);
    c->who = *who;
    strcpy(c->secret, secret);
    c->generation = gen;
    c->expires_ms = time_now_ms() + KEY_CACHE_TTL_MS;
    pthread_mutex_unlock(l);
}

static int find_key_store(struct store *s, const char *secret_id, struct principal *who, char *secret, size_t len);

/* A temporary key is good only with its session's token, until its expiry (on the business clock,
 * so a --test-clock daemon can be moved past it). Checked on every request, cached or not. */
static int check_token(const struct principal *who, const char *token)
{
    if (!who->is_role)
        return STORE_FOUND; /* a token beside a permanent key is ignored */
    if (!token || !*token)
        return KEY_TOKEN_MISSING;
    char hash[65];
    sha256_hex(token, strlen(token), hash);
    if (!const_time_eq(hash, who->token_hash, 64))
        return KEY_TOKEN_WRONG;
    if (clock_now() >= who->expires)
        return KEY_TOKEN_EXPIRED;
    return STORE_FOUND;
}

int identity_find_key(struct store *s, const char *secret_id, const char *token, struct principal *who, char *secret,
                      size_t len)
{
    int rc = STORE_FOUND;
    if (check_store_generation(s) != 0)
        return STORE_ERROR;
    if (!cache_get(secret_id, who, secret, len)) {
        uint64_t gen = generation; /* read before the store: a change committed meanwhile makes this entry stale */
        rc = find_key_store(s, secret_id, who, secret, len);
        if (rc == STORE_NOT_FOUND)
            rc = sts_find_session(s, secret_id, who, secret, len);
        if (rc == STORE_FOUND)
            cache_put(secret_id, who, secret, gen);
    }
    if (rc == STORE_FOUND)
        rc = check_token(who, token);
    if (rc != STORE_FOUND)
        memset(secret, 0, len);
    return rc;
}

static int find_key_store(struct store *s, const char *secret_id, struct principal *who, char *secret, size_t len)
{
    struct store_stmt *q =
        store_query(s,
                    "SELECT k.owner_uin, k.user_uin, k.secret_enc, k.status, a.app_id"
                    " FROM access_keys k JOIN accounts a ON a.uin = k.owner_uin WHERE k.secret_id = ?",
                    "s", secret_id);
    if (!q)
        return STORE_ERROR;
    int rc = store_step(q);
    if (rc != 1) {
        store_done(q);
        return rc == 0 ? STORE_NOT_FOUND : STORE_ERROR;
    }
    int result = STORE_NOT_FOUND; /* a disabled key is unknown to the caller */
    if (strcmp(store_text(q, 3), "Active") == 0) {
        size_t blen, plen;
        const uint8_t *blob = store_blob(q, 2, &blen);
        char plain[128];
        if (blen <= sizeof plain && aead_open(master_key, secret_id, blob, blen, plain, &plen) == 0 && plen < len) {
            memcpy(secret, plain, plen);
            secret[plen] = 0;
            memset(who, 0, sizeof *who);
            snprintf(who->secret_id, sizeof who->secret_id, "%s", secret_id);
            snprintf(who->owner_uin, sizeof who->owner_uin, "%s", store_text(q, 0));
            snprintf(who->user_uin, sizeof who->user_uin, "%s", store_text(q, 1));
            snprintf(who->app_id, sizeof who->app_id, "%s", store_text(q, 4));
            who->is_root = strcmp(who->owner_uin, who->user_uin) == 0;
            result = STORE_FOUND;
        } else {
            log_error("access key %s cannot be decrypted with this data directory's master key", secret_id);
            result = STORE_ERROR;
        }
        memset(plain, 0, sizeof plain);
    }
    store_done(q);
    return result;
}

/* The policy documents of one query (a user's or a role's attachments), parsed; NULL on error. */
static json_t *attached_documents(struct store *s, const char *sql, const char *id, const char *owner)
{
    struct store_stmt *q = store_query(s, sql, "ss", id, owner);
    if (!q)
        return NULL;
    json_t *docs = json_array();
    int rc;
    while ((rc = store_step(q)) == 1) {
        json_t *doc = json_loads(store_text(q, 0), 0, NULL);
        if (doc)
            json_array_append_new(docs, doc);
    }
    store_done(q);
    if (rc < 0) {
        json_decref(docs);
        return NULL;
    }
    return docs;
}

/* The combined effect of docs on one resource: a deny in any wins, else an allow in any. */
static enum policy_effect effect_of(json_t *docs, const struct policy_context *pc)
{
    enum policy_effect effect = POLICY_NONE;
    size_t i;
    json_t *doc;
    json_array_foreach (docs, i, doc) {
        enum policy_effect e = policy_evaluate(doc, pc);
        if (e == POLICY_DENY)
            return POLICY_DENY;
        if (e == POLICY_ALLOW)
            effect = POLICY_ALLOW;
    }
    return effect;
}

/*
 * Service control policies: the organization service tells which SCPs lie on an account's path
 * (identity_set_scp_source). The answer, parsed, is cached per account like keys are: an entry
 * is good for the generation it was read in, so the commit of an AttachPolicy/DetachPolicy
 * (identity_changed) makes every cached path stale at once, and on a shared store the
 * per-request generation row does the same for changes made by other processes.
 */
#define SCP_CACHE        256
#define SCP_CACHE_TTL_MS 5000

struct cached_scp {
    char uin[24];
    json_t *levels; /* NULL: nothing bounds the account */
    uint64_t generation;
    int64_t expires_ms;
};

static identity_scp_fn scp_source;
static struct cached_scp scp_cache[SCP_CACHE];
static pthread_mutex_t scp_cache_lock = PTHREAD_MUTEX_INITIALIZER;

void identity_set_scp_source(identity_scp_fn fn) { scp_source = fn; }

/* The SCP levels bounding account (a new reference, or NULL for none); 0, or -1 on a store error. */
static int scp_levels(struct store *s, const char *account, json_t **out)
{
    *out = NULL;
    if (!scp_source || strlen(account) >= sizeof scp_cache[0].uin)
        return 0;
    struct cached_scp *c = &scp_cache[hash_fnv1a(account) % SCP_CACHE];
    int hit = 0;
    pthread_mutex_lock(&scp_cache_lock);
    if (c->generation == generation && c->expires_ms > time_now_ms() && !strcmp(c->uin, account)) {
        *out = json_incref(c->levels);
        hit = 1;
    }
    pthread_mutex_unlock(&scp_cache_lock);
    if (hit)
        return 0;
    uint64_t gen = generation; /* read before the store: a change committed meanwhile makes this entry stale */
    int err = 0;
    json_t *levels = scp_source(s, account, &err);
    if (err)
        return -1;
    pthread_mutex_lock(&scp_cache_lock);
    json_t *old = c->levels;
    snprintf(c->uin, sizeof c->uin, "%s", account);
    c->levels = json_incref(levels);
    c->generation = gen;
    c->expires_ms = time_now_ms() + SCP_CACHE_TTL_MS;
    pthread_mutex_unlock(&scp_cache_lock);
    json_decref(old);
    *out = levels;
    return 0;
}

/* Allowed only if every resource the request names is allowed by some statement and none is
 * denied by any: a specific deny on one of several resources refuses the whole request. A role
 * session is evaluated like a sub-user, with its role's policies, and then also needs its
 * session's narrowing Policy (if AssumeRole gave one) to allow each resource. Root may do
 * anything its account may. Then, for every identity of an organization's member account, root
 * included, the SCPs on the account's path must allow it too (policy_scp_evaluate). */
int identity_authorize(struct store *s, struct authz_request *req)
{
    req->denied = -1;
    req->explicit_deny = 0;
    req->why[0] = 0;
    json_t *scp;
    if (scp_levels(s, req->who->owner_uin, &scp) != 0)
        return -1;
    if (req->who->is_root && !scp)
        return 1;
    json_t *docs = NULL, *boundary = NULL;
    if (req->who->is_root) {
        docs = json_array(); /* root: its own account allows everything */
    } else if (req->who->is_role) {
        docs =
            attached_documents(s,
                               "SELECT p.document FROM role_policies rp JOIN policies p ON p.policy_id = rp.policy_id"
                               " WHERE rp.role_id = ? AND rp.owner_uin = ?",
                               req->who->user_uin, req->who->owner_uin);
        if (docs && sts_session_policy(s, req->who->secret_id, &boundary) != 0) {
            json_decref(docs);
            json_decref(scp);
            return -1;
        }
    } else {
        docs =
            attached_documents(s,
                               "SELECT p.document FROM user_policies up JOIN policies p ON p.policy_id = up.policy_id"
                               " WHERE up.user_uin = ? AND up.owner_uin = ?",
                               req->who->user_uin, req->who->owner_uin);
    }
    if (!docs) {
        json_decref(scp);
        return -1;
    }
    const char *one[1] = {req->resource ? req->resource : "*"};
    const char *const *names = req->nresources > 0 ? req->resources : one;
    int n = req->nresources > 0 ? req->nresources : 1;
    int result = 1, first_unallowed = -1;
    char first_why[sizeof req->why] = "";
    for (int r = 0; r < n && result != 0; r++) {
        struct policy_context pc = {.action = req->action,
                                    .resource = names[r],
                                    .source_ip = req->source_ip,
                                    .now = req->now,
                                    .uin = req->who->user_uin,
                                    .owner_uin = req->who->owner_uin,
                                    .app_id = req->who->app_id,
                                    .region = req->region ? req->region : ""};
        enum policy_effect effect = req->who->is_root ? POLICY_ALLOW : effect_of(docs, &pc);
        if (boundary && effect == POLICY_ALLOW) {
            effect = policy_evaluate(boundary, &pc);
        }
        if (scp && effect == POLICY_ALLOW)
            effect = policy_scp_evaluate(scp, &pc, req->why, sizeof req->why);
        else
            req->why[0] = 0; /* the account's own policies decided */
        if (effect == POLICY_DENY) {
            result = 0;
            req->denied = r;
            req->explicit_deny = 1;
        } else if (effect != POLICY_ALLOW && first_unallowed < 0) {
            first_unallowed = r;
            memcpy(first_why, req->why, sizeof first_why);
        }
    }
    json_decref(docs);
    json_decref(boundary);
    json_decref(scp);
    if (result && first_unallowed >= 0) {
        result = 0;
        req->denied = first_unallowed;
        memcpy(req->why, first_why, sizeof req->why);
    }
    return result;
}

static const struct identity_hooks hooks = {.find_key = identity_find_key,
                                            .authorize = identity_authorize,
                                            .changed = identity_changed,
                                            .note_change = identity_note_change};

extern const struct action cam_actions[];
extern const int cam_action_count;

void identity_register(void)
{
    api_register(cam_actions, cam_action_count);
    api_register(role_actions, role_action_count);
    api_register(sts_actions, sts_action_count);
    audit_query_register();
    api_set_identity(&hooks);
}
