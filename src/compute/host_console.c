/*
 * host_console: the serial console output of instances on joined hosts (host_channel.h). A joined
 * host pushes the tail of each instance's serial log (at most HOST_CONSOLE_MAX bytes, when it
 * changed, at most once per HOST_CONSOLE_SECONDS per instance: src/host/console_push.c) on the
 * channel's console op; the control plane keeps the latest tail per instance, as bytes, in a table
 * of its own chain (so no branch races compute's next migration number), and GetInstanceConsoleOutput
 * serves it. The host is told, not trusted: a push is stored only for an instance placed on the
 * pushing host (the CN of its certificate), not terminated; a host cannot write another host's
 * instance's console. Every statement on the table is here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/host_channel.h"
#include "compute/states.h"

static const struct migration console_migrations[] = {
    {1, "CREATE TABLE host_consoles (instance_id TEXT PRIMARY KEY, host_id TEXT NOT NULL, output BLOB NOT NULL,"
        " updated INTEGER NOT NULL);"
        "CREATE INDEX host_consoles_host ON host_consoles (host_id);"},
};

int host_console_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "compute_consoles", console_migrations,
                         sizeof console_migrations / sizeof console_migrations[0], err, errlen);
}

int host_console_push(struct store *s, const char *host_id, const char *instance_id, const void *bytes, size_t len,
                      int64_t now)
{
    if (!instance_id || len > HOST_CONSOLE_MAX)
        return 0;
    struct store_stmt *q = store_query(s,
                                       "SELECT 1 FROM instances WHERE instance_id = ? AND host_id = ?"
                                       " AND state != '" INSTANCE_TERMINATED "'",
                                       "ss", instance_id, host_id);
    int rc = q ? store_step(q) : -1;
    store_done(q);
    if (rc != 1)
        return rc < 0 ? -1 : 0;
    rc = store_exec(s,
                    "INSERT INTO host_consoles (instance_id, host_id, output, updated) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (instance_id) DO UPDATE SET host_id = excluded.host_id, output = excluded.output,"
                    " updated = excluded.updated",
                    "ssbi", instance_id, host_id, bytes ? bytes : "", len, now);
    if (rc < 0)
        return -1;
    /* the host's rows of instances no longer on it (moved away, terminated) go */
    if (store_exec(s,
                   "DELETE FROM host_consoles WHERE host_id = ? AND instance_id NOT IN (SELECT instance_id FROM"
                   " instances WHERE host_id = ? AND state != '" INSTANCE_TERMINATED "')",
                   "ss", host_id, host_id) < 0)
        return -1;
    return 1;
}

int host_console_get(struct store *s, const char *instance_id, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    struct store_stmt *q = store_query(s,
                                       "SELECT c.output FROM host_consoles c JOIN instances i ON i.instance_id ="
                                       " c.instance_id AND i.host_id = c.host_id WHERE c.instance_id = ?",
                                       "s", instance_id);
    int rc = q ? store_step(q) : -1;
    if (rc == 1) {
        size_t n = 0;
        const char *b = store_blob(q, 0, &n);
        size_t from = n > cap ? n - cap : 0; /* the tail, as the built-in host serves it */
        if (b && n)
            memcpy(buf, b + from, n - from);
        *len = b ? n - from : 0;
    }
    store_done(q);
    return rc < 0 ? -1 : rc;
}
