/*
 * store: the organization service's tables and every statement on them. Each organization is
 * its management account's (host_uin); every query names the organization, so nothing of one
 * organization is visible from another.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "organization/organization_int.h"

static const struct migration org_migrations[] = {
    {1, "CREATE TABLE org_organizations (org_id INTEGER PRIMARY KEY, host_uin TEXT NOT NULL UNIQUE,"
        " root_node_id INTEGER NOT NULL, scp_enabled INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
        "CREATE TABLE org_nodes (node_id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL,"
        " parent_node_id INTEGER NOT NULL, name TEXT NOT NULL, remark TEXT NOT NULL DEFAULT '',"
        " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
        "CREATE INDEX org_nodes_parent ON org_nodes (org_id, parent_node_id);"
        "CREATE TABLE org_members (member_uin TEXT PRIMARY KEY, org_id INTEGER NOT NULL, node_id INTEGER NOT NULL,"
        " name TEXT NOT NULL, remark TEXT NOT NULL DEFAULT '', policy_type TEXT NOT NULL,"
        " permissions TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, UNIQUE (org_id, name));"
        "CREATE INDEX org_members_node ON org_members (org_id, node_id);"
        "CREATE TABLE org_policies (policy_id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL, name TEXT NOT NULL,"
        " type TEXT NOT NULL, content TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',"
        " created INTEGER NOT NULL, updated INTEGER NOT NULL, UNIQUE (org_id, name));"
        "CREATE TABLE org_policy_targets (policy_id INTEGER NOT NULL, org_id INTEGER NOT NULL,"
        " target_type TEXT NOT NULL, target_id TEXT NOT NULL, attached INTEGER NOT NULL,"
        " PRIMARY KEY (policy_id, target_type, target_id));"
        "CREATE INDEX org_policy_targets_target ON org_policy_targets (org_id, target_type, target_id);"},
};

int ostore_migrate(struct store *s, char *err, size_t errlen)
{
    return store_migrate(s, "organization", org_migrations, sizeof org_migrations / sizeof org_migrations[0], err,
                         errlen);
}

static int exec1(int rc) { return rc >= 0 ? 0 : -1; }

static int org_row(struct store_stmt *q, struct org *o)
{
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND) {
        o->id = store_int(q, 0);
        snprintf(o->host_uin, sizeof o->host_uin, "%s", store_text(q, 1));
        o->root_node = store_int(q, 2);
        o->scp_enabled = (int)store_int(q, 3);
        o->created = store_int(q, 4);
    }
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc;
}

#define ORG_COLUMNS "o.org_id, o.host_uin, o.root_node_id, o.scp_enabled, o.created"

int ostore_org_of_host(struct store *s, const char *uin, struct org *o)
{
    return org_row(store_query(s, "SELECT " ORG_COLUMNS " FROM org_organizations o WHERE o.host_uin = ?", "s", uin), o);
}

int ostore_org_of_member(struct store *s, const char *uin, struct org *o, struct org_member *m)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT " ORG_COLUMNS ", m.node_id, m.name, m.created FROM org_members m"
                                       " JOIN org_organizations o ON o.org_id = m.org_id WHERE m.member_uin = ?",
                                       "s", uin);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND) {
        o->id = store_int(q, 0);
        snprintf(o->host_uin, sizeof o->host_uin, "%s", store_text(q, 1));
        o->root_node = store_int(q, 2);
        o->scp_enabled = (int)store_int(q, 3);
        o->created = store_int(q, 4);
        if (m) {
            snprintf(m->uin, sizeof m->uin, "%s", uin);
            m->node_id = store_int(q, 5);
            snprintf(m->name, sizeof m->name, "%s", store_text(q, 6));
            m->created = store_int(q, 7);
        }
    }
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc;
}

int ostore_org_create(struct store *s, const struct org *o, const char *root_name)
{
    int64_t now = time_now();
    if (store_exec(s,
                   "INSERT INTO org_organizations (org_id, host_uin, root_node_id, scp_enabled, created)"
                   " VALUES (?, ?, ?, 0, ?)",
                   "isii", o->id, o->host_uin, o->root_node, now) != 1)
        return -1;
    return ostore_node_create(s, o->id, o->root_node, 0, root_name, "");
}

int ostore_org_set_scp(struct store *s, int64_t org, int enabled)
{
    return exec1(
        store_exec(s, "UPDATE org_organizations SET scp_enabled = ? WHERE org_id = ?", "ii", (int64_t)enabled, org));
}

int ostore_id_free(struct store *s, const char *what, int64_t id)
{
    const char *sql = !strcmp(what, "org")    ? "SELECT 1 FROM org_organizations WHERE org_id = ?"
                      : !strcmp(what, "node") ? "SELECT 1 FROM org_nodes WHERE node_id = ?"
                                              : "SELECT 1 FROM org_policies WHERE policy_id = ?";
    struct store_stmt *q = store_query(s, sql, "i", id);
    int rc = q ? store_step(q) : STORE_ERROR;
    store_done(q);
    return rc < 0 ? -1 : rc == 0;
}

/* ---- nodes ---- */

int ostore_node_get(struct store *s, int64_t org, int64_t node, struct org_node *n)
{
    struct store_stmt *q =
        store_query(s, "SELECT parent_node_id, name FROM org_nodes WHERE org_id = ? AND node_id = ?", "ii", org, node);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND) {
        n->id = node;
        n->parent = store_int(q, 0);
        snprintf(n->name, sizeof n->name, "%s", store_text(q, 1));
    }
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc;
}

int ostore_node_name_used(struct store *s, int64_t org, int64_t parent, const char *name)
{
    struct store_stmt *q = store_query(
        s, "SELECT 1 FROM org_nodes WHERE org_id = ? AND parent_node_id = ? AND name = ?", "iis", org, parent, name);
    int rc = q ? store_step(q) : STORE_ERROR;
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc;
}

int ostore_node_create(struct store *s, int64_t org, int64_t node, int64_t parent, const char *name, const char *remark)
{
    int64_t now = time_now();
    return store_exec(s,
                      "INSERT INTO org_nodes (node_id, org_id, parent_node_id, name, remark, created, updated)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)",
                      "iiissii", node, org, parent, name, remark, now, now) == 1
               ? 0
               : -1;
}

int64_t ostore_node_depth(struct store *s, int64_t org, int64_t node)
{
    int64_t depth = 0;
    struct org_node n;
    while (node && depth < 64) {
        int rc = ostore_node_get(s, org, node, &n);
        if (rc != STORE_FOUND)
            return -1;
        depth++;
        node = n.parent;
    }
    return depth;
}

int64_t ostore_node_dependents(struct store *s, int64_t org, int64_t node)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT (SELECT count(*) FROM org_nodes WHERE org_id = ? AND parent_node_id = ?)"
                                       " + (SELECT count(*) FROM org_members WHERE org_id = ? AND node_id = ?)",
                                       "iiii", org, node, org, node);
    int64_t n = q && store_step(q) == 1 ? store_int(q, 0) : -1;
    store_done(q);
    return n;
}

int ostore_node_delete(struct store *s, int64_t org, int64_t node)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)node);
    if (ostore_detach_target(s, org, "NODE", id) != 0)
        return -1;
    return exec1(store_exec(s, "DELETE FROM org_nodes WHERE org_id = ? AND node_id = ?", "ii", org, node));
}

static int64_t count_of(struct store_stmt *q)
{
    int64_t n = q && store_step(q) == 1 ? store_int(q, 0) : -1;
    store_done(q);
    return n;
}

json_t *ostore_nodes(struct store *s, int64_t org, int64_t limit, int64_t offset, int64_t *total)
{
    *total = count_of(store_query(s, "SELECT count(*) FROM org_nodes WHERE org_id = ?", "i", org));
    struct store_stmt *q =
        store_query(s,
                    "SELECT node_id, name, parent_node_id, remark, created, updated FROM org_nodes"
                    " WHERE org_id = ? ORDER BY parent_node_id <> 0, created, node_id LIMIT ? OFFSET ?",
                    "iii", org, limit, offset);
    json_t *out = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1) {
        char c[32], u[32];
        time_cam(store_int(q, 4), c);
        time_cam(store_int(q, 5), u);
        json_array_append_new(out, json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:[]}", "NodeId", (json_int_t)store_int(q, 0),
                                             "Name", store_text(q, 1), "ParentNodeId", (json_int_t)store_int(q, 2),
                                             "Remark", store_text(q, 3), "CreateTime", c, "UpdateTime", u, "Tags"));
    }
    store_done(q);
    if (rc < 0 || *total < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- members ---- */

int ostore_member_get(struct store *s, int64_t org, const char *uin, struct org_member *m)
{
    struct store_stmt *q = store_query(
        s, "SELECT node_id, name, created FROM org_members WHERE org_id = ? AND member_uin = ?", "is", org, uin);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND) {
        snprintf(m->uin, sizeof m->uin, "%s", uin);
        m->node_id = store_int(q, 0);
        snprintf(m->name, sizeof m->name, "%s", store_text(q, 1));
        m->created = store_int(q, 2);
    }
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc;
}

int ostore_member_name_used(struct store *s, int64_t org, const char *name)
{
    struct store_stmt *q = store_query(s, "SELECT 1 FROM org_members WHERE org_id = ? AND name = ?", "is", org, name);
    int rc = q ? store_step(q) : STORE_ERROR;
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc;
}

int ostore_member_create(struct store *s, int64_t org, const char *uin, int64_t node, const char *name,
                         const char *remark, const char *policy_type, const char *permissions)
{
    int64_t now = time_now();
    return store_exec(s,
                      "INSERT INTO org_members (member_uin, org_id, node_id, name, remark, policy_type, permissions,"
                      " created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      "siissssii", uin, org, node, name, remark, policy_type, permissions, now, now) == 1
               ? 0
               : -1;
}

int ostore_member_move(struct store *s, int64_t org, const char *uin, int64_t node)
{
    return exec1(store_exec(s, "UPDATE org_members SET node_id = ?, updated = ? WHERE org_id = ? AND member_uin = ?",
                            "iiis", node, time_now(), org, uin));
}

int ostore_member_delete(struct store *s, int64_t org, const char *uin)
{
    if (ostore_detach_target(s, org, "MEMBER", uin) != 0)
        return -1;
    return exec1(store_exec(s, "DELETE FROM org_members WHERE org_id = ? AND member_uin = ?", "is", org, uin));
}

static const char *const permission_names[] = {
    "", "viewBill", "viewBalance", "", "consolidateBill", "invoice", "inheritOffer", "payOnBehalf", "costExplorer"};

static json_t *permissions_json(const char *list)
{
    json_t *out = json_array();
    for (const char *p = list; *p;) {
        long id = strtol(p, (char **)&p, 10);
        if (id > 0 && id < (long)(sizeof permission_names / sizeof permission_names[0]) && permission_names[id][0])
            json_array_append_new(out, json_pack("{s:I,s:s}", "Id", (json_int_t)id, "Name", permission_names[id]));
        while (*p == ',')
            p++;
        if (*p && (*p < '0' || *p > '9'))
            break;
    }
    return out;
}

json_t *ostore_members(struct store *s, int64_t org, int64_t node, const char *search, int64_t limit, int64_t offset,
                       int64_t *total)
{
    char like[160];
    snprintf(like, sizeof like, "%%%s%%", search ? search : "");
    *total = count_of(store_query(s,
                                  "SELECT count(*) FROM org_members WHERE org_id = ? AND (? = 0 OR node_id = ?)"
                                  " AND (name LIKE ? OR member_uin LIKE ?)",
                                  "iiiss", org, node, node, like, like));
    struct store_stmt *q =
        store_query(s,
                    "SELECT m.member_uin, m.name, m.policy_type, m.permissions, m.node_id, n.name, m.remark,"
                    " m.created, m.updated FROM org_members m"
                    " LEFT JOIN org_nodes n ON n.org_id = m.org_id AND n.node_id = m.node_id"
                    " WHERE m.org_id = ? AND (? = 0 OR m.node_id = ?) AND (m.name LIKE ? OR m.member_uin LIKE ?)"
                    " ORDER BY m.created, m.member_uin LIMIT ? OFFSET ?",
                    "iiissii", org, node, node, like, like, limit, offset);
    json_t *out = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1) {
        char c[32], u[32];
        time_cam(store_int(q, 7), c);
        time_cam(store_int(q, 8), u);
        json_array_append_new(
            out, json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[],s:s,s:s,s:[]}", "MemberUin",
                           (json_int_t)strtoll(store_text(q, 0), NULL, 10), "Name", store_text(q, 1), "MemberType",
                           "Create", "OrgPolicyType", store_text(q, 2), "OrgPolicyName",
                           !strcmp(store_text(q, 2), "Financial") ? "Financial management" : store_text(q, 2),
                           "OrgPermission", permissions_json(store_text(q, 3)), "NodeId", (json_int_t)store_int(q, 4),
                           "NodeName", store_text(q, 5), "Remark", store_text(q, 6), "CreateTime", c, "UpdateTime", u,
                           "IsAllowQuit", "Denied", "PayUin", "", "PayName", "", "OrgIdentity", "BindStatus", "Unbound",
                           "PermissionStatus", "Confirmed", "Tags"));
    }
    store_done(q);
    if (rc < 0 || *total < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- policies ---- */

int ostore_policy_get(struct store *s, int64_t org, int64_t id, struct org_policy *p)
{
    memset(p, 0, sizeof *p);
    struct store_stmt *q = store_query(s,
                                       "SELECT name, type, content, description, created, updated FROM org_policies"
                                       " WHERE org_id = ? AND policy_id = ?",
                                       "ii", org, id);
    int rc = q ? store_step(q) : STORE_ERROR;
    if (rc == STORE_FOUND) {
        p->id = id;
        snprintf(p->name, sizeof p->name, "%s", store_text(q, 0));
        snprintf(p->type, sizeof p->type, "%s", store_text(q, 1));
        p->content = strdup(store_text(q, 2));
        p->description = strdup(store_text(q, 3));
        p->created = store_int(q, 4);
        p->updated = store_int(q, 5);
        if (!p->content || !p->description)
            rc = STORE_ERROR;
    }
    store_done(q);
    if (rc < 0)
        ostore_policy_free(p);
    return rc < 0 ? STORE_ERROR : rc;
}

void ostore_policy_free(struct org_policy *p)
{
    free(p->content);
    free(p->description);
    p->content = p->description = NULL;
}

int ostore_policy_name_used(struct store *s, int64_t org, const char *name, int64_t except)
{
    struct store_stmt *q = store_query(s, "SELECT 1 FROM org_policies WHERE org_id = ? AND name = ? AND policy_id <> ?",
                                       "isi", org, name, except);
    int rc = q ? store_step(q) : STORE_ERROR;
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc;
}

int ostore_policy_create(struct store *s, int64_t org, int64_t id, const char *name, const char *type,
                         const char *content, const char *description)
{
    int64_t now = time_now();
    return store_exec(s,
                      "INSERT INTO org_policies (policy_id, org_id, name, type, content, description, created, updated)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      "iissssii", id, org, name, type, content, description, now, now) == 1
               ? 0
               : -1;
}

int ostore_policy_update(struct store *s, int64_t org, int64_t id, const char *name, const char *content,
                         const char *description)
{
    return exec1(store_exec(s,
                            "UPDATE org_policies SET name = ?, content = ?, description = ?, updated = ?"
                            " WHERE org_id = ? AND policy_id = ?",
                            "sssiii", name, content, description, time_now(), org, id));
}

int ostore_policy_delete(struct store *s, int64_t org, int64_t id)
{
    return exec1(store_exec(s, "DELETE FROM org_policies WHERE org_id = ? AND policy_id = ?", "ii", org, id));
}

int64_t ostore_policy_attached(struct store *s, int64_t org, int64_t id)
{
    return count_of(
        store_query(s, "SELECT count(*) FROM org_policy_targets WHERE org_id = ? AND policy_id = ?", "ii", org, id));
}

json_t *ostore_policies(struct store *s, int64_t org, const char *type, const char *keyword, int64_t limit,
                        int64_t offset, int64_t *total)
{
    char like[160];
    snprintf(like, sizeof like, "%%%s%%", keyword ? keyword : "");
    *total = count_of(store_query(s, "SELECT count(*) FROM org_policies WHERE org_id = ? AND type = ? AND name LIKE ?",
                                  "iss", org, type, like));
    struct store_stmt *q = store_query(s,
                                       "SELECT p.policy_id, p.name, p.description, p.created, p.updated,"
                                       " (SELECT count(*) FROM org_policy_targets t WHERE t.policy_id = p.policy_id)"
                                       " FROM org_policies p WHERE p.org_id = ? AND p.type = ? AND p.name LIKE ?"
                                       " ORDER BY p.created, p.policy_id LIMIT ? OFFSET ?",
                                       "issii", org, type, like, limit, offset);
    json_t *out = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1) {
        char c[32], u[32];
        time_cam(store_int(q, 3), c);
        time_cam(store_int(q, 4), u);
        json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:I}", "PolicyId", (json_int_t)store_int(q, 0),
                                             "PolicyName", store_text(q, 1), "Description", store_text(q, 2), "AddTime",
                                             c, "UpdateTime", u, "AttachedTimes", (json_int_t)store_int(q, 5), "Type",
                                             (json_int_t)1));
    }
    store_done(q);
    if (rc < 0 || *total < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- attachments ---- */

int ostore_attached(struct store *s, int64_t org, int64_t policy, const char *target_type, const char *target)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT 1 FROM org_policy_targets WHERE org_id = ? AND policy_id = ?"
                                       " AND target_type = ? AND target_id = ?",
                                       "iiss", org, policy, target_type, target);
    int rc = q ? store_step(q) : STORE_ERROR;
    store_done(q);
    return rc < 0 ? STORE_ERROR : rc;
}

int ostore_attach(struct store *s, int64_t org, int64_t policy, const char *target_type, const char *target)
{
    return store_exec(s,
                      "INSERT INTO org_policy_targets (policy_id, org_id, target_type, target_id, attached)"
                      " VALUES (?, ?, ?, ?, ?)",
                      "iissi", policy, org, target_type, target, time_now()) == 1
               ? 0
               : -1;
}

int ostore_detach(struct store *s, int64_t org, int64_t policy, const char *target_type, const char *target)
{
    return exec1(store_exec(s,
                            "DELETE FROM org_policy_targets WHERE org_id = ? AND policy_id = ? AND target_type = ?"
                            " AND target_id = ?",
                            "iiss", org, policy, target_type, target));
}

int ostore_detach_target(struct store *s, int64_t org, const char *target_type, const char *target)
{
    return exec1(store_exec(s, "DELETE FROM org_policy_targets WHERE org_id = ? AND target_type = ? AND target_id = ?",
                            "iss", org, target_type, target));
}

json_t *ostore_targets(struct store *s, int64_t org, int64_t policy, const char *target_type, int64_t limit,
                       int64_t offset, int64_t *total)
{
    const char *any = target_type ? "" : "*";
    *total = count_of(store_query(s,
                                  "SELECT count(*) FROM org_policy_targets WHERE org_id = ? AND policy_id = ?"
                                  " AND (? = '*' OR target_type = ?)",
                                  "iiss", org, policy, any, target_type ? target_type : ""));
    struct store_stmt *q = store_query(
        s,
        "SELECT t.target_id, t.target_type, t.attached, COALESCE(n.name, m.name, '') FROM org_policy_targets t"
        " LEFT JOIN org_nodes n ON t.target_type = 'NODE' AND n.org_id = t.org_id AND CAST(n.node_id AS TEXT) = "
        "t.target_id"
        " LEFT JOIN org_members m ON t.target_type = 'MEMBER' AND m.org_id = t.org_id AND m.member_uin = t.target_id"
        " WHERE t.org_id = ? AND t.policy_id = ? AND (? = '*' OR t.target_type = ?)"
        " ORDER BY t.attached, t.target_id LIMIT ? OFFSET ?",
        "iissii", org, policy, any, target_type ? target_type : "", limit, offset);
    json_t *out = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1) {
        char a[32];
        time_cam(store_int(q, 2), a);
        json_array_append_new(out,
                              json_pack("{s:I,s:I,s:s,s:s}", "Uin", (json_int_t)strtoll(store_text(q, 0), NULL, 10),
                                        "RelatedType", (json_int_t)(!strcmp(store_text(q, 1), "NODE") ? 1 : 2), "Name",
                                        store_text(q, 3), "AddTime", a));
    }
    store_done(q);
    if (rc < 0 || *total < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *ostore_target_policies(struct store *s, int64_t org, const char *target_type, const char *target,
                               const char *type, const char *keyword, int64_t limit, int64_t offset, int64_t *total)
{
    char like[160];
    snprintf(like, sizeof like, "%%%s%%", keyword ? keyword : "");
    *total = count_of(store_query(s,
                                  "SELECT count(*) FROM org_policy_targets t JOIN org_policies p"
                                  " ON p.policy_id = t.policy_id WHERE t.org_id = ? AND t.target_type = ?"
                                  " AND t.target_id = ? AND p.type = ? AND p.name LIKE ?",
                                  "issss", org, target_type, target, type, like));
    struct store_stmt *q = store_query(
        s,
        "SELECT p.policy_id, p.name, p.description, p.created, p.updated, t.attached,"
        " COALESCE(n.name, m.name, '') FROM org_policy_targets t JOIN org_policies p ON p.policy_id = t.policy_id"
        " LEFT JOIN org_nodes n ON t.target_type = 'NODE' AND n.org_id = t.org_id AND CAST(n.node_id AS TEXT) = "
        "t.target_id"
        " LEFT JOIN org_members m ON t.target_type = 'MEMBER' AND m.org_id = t.org_id AND m.member_uin = t.target_id"
        " WHERE t.org_id = ? AND t.target_type = ? AND t.target_id = ? AND p.type = ? AND p.name LIKE ?"
        " ORDER BY t.attached, p.policy_id LIMIT ? OFFSET ?",
        "issssii", org, target_type, target, type, like, limit, offset);
    json_t *out = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1) {
        char c[32], u[32], a[32];
        time_cam(store_int(q, 3), c);
        time_cam(store_int(q, 4), u);
        time_cam(store_int(q, 5), a);
        json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s}", "StrategyId",
                                             (json_int_t)store_int(q, 0), "StrategyName", store_text(q, 1), "Remark",
                                             store_text(q, 2), "Uin", (json_int_t)strtoll(target, NULL, 10), "Type",
                                             (json_int_t)(!strcmp(target_type, "NODE") ? 1 : 2), "AddTime", c,
                                             "UpdateTime", u, "Name", store_text(q, 6), "AttachTime", a));
    }
    store_done(q);
    if (rc < 0 || *total < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *ostore_target_scps(struct store *s, int64_t org, const char *target_type, const char *target)
{
    struct store_stmt *q = store_query(s,
                                       "SELECT p.policy_id, p.name, p.content FROM org_policy_targets t"
                                       " JOIN org_policies p ON p.policy_id = t.policy_id"
                                       " WHERE t.org_id = ? AND t.target_type = ? AND t.target_id = ? AND p.type = ?"
                                       " ORDER BY p.policy_id",
                                       "isss", org, target_type, target, SCP_TYPE);
    json_t *out = json_array();
    int rc = q ? 0 : -1;
    while (q && (rc = store_step(q)) == 1)
        json_array_append_new(out, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)store_int(q, 0), "name",
                                             store_text(q, 1), "document", store_text(q, 2)));
    store_done(q);
    if (rc < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}
