/*
 * aclgrants: ACLs as lists of grants (see aclgrants.h). The three ways a request states one,
 * canned name, grant headers and AccessControlPolicy document, end as the same struct acl_list,
 * and a list is stored as a compact JSON array [["u","<uin>","READ"],["g","AllUsers","WRITE"]].
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "object/aclgrants.h"
#include "object/xmltree.h"

static const struct {
    const char *name;
    unsigned perm;
} perms[] = {{"READ", ACL_READ},
             {"WRITE", ACL_WRITE},
             {"READ_ACP", ACL_READ_ACP},
             {"WRITE_ACP", ACL_WRITE_ACP},
             {"FULL_CONTROL", ACL_FULL_CONTROL}};

/* Groups by their S3 and COS URIs. */
static const struct {
    const char *name, *s3, *cos;
} groups[] = {
    {"AllUsers", "http://acs.amazonaws.com/groups/global/AllUsers", "http://cam.qcloud.com/groups/global/AllUsers"},
    {"AuthenticatedUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
     "http://cam.qcloud.com/groups/global/AuthenticatedUsers"},
    {"LogDelivery", "http://acs.amazonaws.com/groups/s3/LogDelivery", "http://cam.qcloud.com/groups/s3/LogDelivery"},
};
#define NGROUPS (sizeof groups / sizeof groups[0])

unsigned acl_perm_of(const char *name)
{
    for (size_t i = 0; name && i < sizeof perms / sizeof perms[0]; i++)
        if (strcmp(perms[i].name, name) == 0)
            return perms[i].perm;
    return 0;
}

const char *acl_perm_name(unsigned perm)
{
    for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++)
        if (perms[i].perm == perm)
            return perms[i].name;
    return "";
}

const char *acl_group_uri(const char *group, bool cos)
{
    for (size_t i = 0; i < NGROUPS; i++)
        if (strcmp(groups[i].name, group) == 0)
            return cos ? groups[i].cos : groups[i].s3;
    return "";
}

static const char *group_of_uri(const char *uri)
{
    for (size_t i = 0; i < NGROUPS; i++)
        if (strcmp(groups[i].s3, uri) == 0 || strcmp(groups[i].cos, uri) == 0)
            return groups[i].name;
    return NULL;
}

static bool all_digits(const char *s, size_t n)
{
    if (!n || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool acl_normalise_id(const char *id, char *out, size_t len, bool *group)
{
    *group = false;
    if (strcmp(id, "qcs::cam::anyone:anyone") == 0) {
        *group = true;
        snprintf(out, len, "AllUsers");
        return true;
    }
    const char *p = "qcs::cam::uin/";
    if (strncmp(id, p, strlen(p)) == 0) {
        /* qcs::cam::uin/<owner>:uin/<user>: an account's root (user = owner); sub-users are no grantees here */
        const char *a = id + strlen(p), *colon = strchr(a, ':');
        if (!colon || strncmp(colon, ":uin/", 5) != 0)
            return false;
        const char *b = colon + 5;
        size_t na = (size_t)(colon - a);
        if (!all_digits(a, na) || strlen(b) != na || strncmp(a, b, na) != 0)
            return false;
        snprintf(out, len, "%.*s", (int)na, a);
        return true;
    }
    if (!id[0] || strlen(id) >= len || strlen(id) > ACL_MAX_ID)
        return false;
    /* any other text is taken as a canonical id: acl.c refuses ids of no account */
    for (const char *c = id; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
            return false;
    snprintf(out, len, "%s", id);
    return true;
}

static enum acl_status add(struct acl_list *l, enum acl_grantee type, const char *who, unsigned perm)
{
    if (l->n >= ACL_MAX_GRANTS)
        return ACL_TOO_MANY;
    struct acl_grant *g = &l->g[l->n++];
    g->type = type;
    snprintf(g->who, sizeof g->who, "%s", who);
    g->perm = perm;
    return ACL_OK;
}

/* One grantee of a header or document: kind id / emailAddress / uri and its value. */
static enum acl_status add_grantee(struct acl_list *l, const char *kind, const char *value, unsigned perm)
{
    if (strcasecmp(kind, "id") == 0) {
        char uin[96];
        bool group;
        if (!acl_normalise_id(value, uin, sizeof uin, &group))
            return ACL_BAD_GRANT;
        return add(l, group ? ACL_GROUP : ACL_USER, uin, perm);
    }
    if (strcasecmp(kind, "emailAddress") == 0) {
        if (!value[0] || strlen(value) > 90 || !strchr(value, '@'))
            return ACL_BAD_GRANT;
        return add(l, ACL_EMAIL, value, perm);
    }
    if (strcasecmp(kind, "uri") == 0) {
        const char *g = group_of_uri(value);
        return g ? add(l, ACL_GROUP, g, perm) : ACL_BAD_GRANT;
    }
    return ACL_BAD_GRANT;
}

enum acl_status acl_parse_header(const char *value, unsigned perm, struct acl_list *out)
{
    const char *p = value;
    bool any = false;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *k = p;
        while (*p && *p != '=' && *p != ',' && *p != ' ')
            p++;
        size_t klen = (size_t)(p - k);
        while (*p == ' ')
            p++;
        if (!klen || klen > 15 || *p != '=')
            return ACL_BAD_GRANT;
        p++;
        while (*p == ' ')
            p++;
        char kind[16], v[128];
        snprintf(kind, sizeof kind, "%.*s", (int)klen, k);
        const char *vs = p, *ve;
        if (*p == '"') {
            vs = ++p;
            while (*p && *p != '"')
                p++;
            if (*p != '"')
                return ACL_BAD_GRANT;
            ve = p++;
        } else {
            while (*p && *p != ',')
                p++;
            ve = p;
            while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
        }
        if ((size_t)(ve - vs) >= sizeof v)
            return ACL_BAD_GRANT;
        snprintf(v, sizeof v, "%.*s", (int)(ve - vs), vs);
        enum acl_status st = add_grantee(out, kind, v, perm);
        if (st != ACL_OK)
            return st;
        any = true;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (*p != ',')
            return ACL_BAD_GRANT;
        p++;
    }
    return any ? ACL_OK : ACL_BAD_GRANT;
}

enum acl_status acl_parse_xml(const char *body, size_t len, struct acl_list *out)
{
    struct xnode *root = body && len ? xtree_parse(body, len) : NULL;
    if (!root)
        return ACL_BAD_XML;
    enum acl_status st = ACL_OK;
    const struct xnode *list = xtree_child(root, "AccessControlList");
    if (strcmp(root->name, "AccessControlPolicy") != 0 || !list || xtree_count(root, "AccessControlList") != 1) {
        st = ACL_MALFORMED;
        goto out;
    }
    const struct xnode *owner = xtree_child(root, "Owner");
    if (owner) {
        const char *id = xtree_text(owner, "ID");
        bool group;
        if (!id || !acl_normalise_id(id, out->owner, sizeof out->owner, &group) || group) {
            st = ACL_MALFORMED;
            goto out;
        }
    }
    for (const struct xnode *g = list->first; g && st == ACL_OK; g = g->next) {
        if (strcmp(g->name, "Grant") != 0) {
            st = ACL_MALFORMED;
            break;
        }
        const struct xnode *grantee = xtree_child(g, "Grantee");
        unsigned perm = acl_perm_of(xtree_text(g, "Permission"));
        if (!grantee || !perm || xtree_count(g, "Grantee") != 1 || xtree_count(g, "Permission") != 1) {
            st = ACL_MALFORMED;
            break;
        }
        /* the grantee's xsi:type is told by the element it carries: ID, EmailAddress or URI */
        const char *id = xtree_text(grantee, "ID"), *email = xtree_text(grantee, "EmailAddress"),
                   *uri = xtree_text(grantee, "URI");
        if ((id != NULL) + (email != NULL) + (uri != NULL) != 1) {
            st = ACL_MALFORMED;
            break;
        }
        st = add_grantee(out, id ? "id" : email ? "emailAddress" : "uri", id ? id : email ? email : uri, perm);
    }
out:
    xtree_free(root);
    return st;
}

bool acl_canned(const char *name, const char *owner, const char *bucket_owner, struct acl_list *out)
{
    memset(out, 0, sizeof *out);
    bool other = bucket_owner && strcmp(owner, bucket_owner) != 0;
    /* group grants first, then the owner's: the order S3 lists them (s3-tests reads Grants[2] of public-read-write) */
    if (strcmp(name, "private") == 0 || strcmp(name, "default") == 0) {
    } else if (strcmp(name, "public-read") == 0) {
        add(out, ACL_GROUP, "AllUsers", ACL_READ);
    } else if (strcmp(name, "public-read-write") == 0) {
        add(out, ACL_GROUP, "AllUsers", ACL_READ);
        add(out, ACL_GROUP, "AllUsers", ACL_WRITE);
    } else if (strcmp(name, "authenticated-read") == 0) {
        add(out, ACL_GROUP, "AuthenticatedUsers", ACL_READ);
    } else if (strcmp(name, "log-delivery-write") == 0) {
        add(out, ACL_GROUP, "LogDelivery", ACL_WRITE);
        add(out, ACL_GROUP, "LogDelivery", ACL_READ_ACP);
    } else if (strcmp(name, "bucket-owner-read") != 0 && strcmp(name, "bucket-owner-full-control") != 0) {
        return false;
    }
    add(out, ACL_USER, owner, ACL_FULL_CONTROL);
    if (other && strcmp(name, "bucket-owner-read") == 0)
        add(out, ACL_USER, bucket_owner, ACL_READ);
    if (other && strcmp(name, "bucket-owner-full-control") == 0)
        add(out, ACL_USER, bucket_owner, ACL_FULL_CONTROL);
    return true;
}

int acl_format(const struct acl_list *l, char *out, size_t len)
{
    json_t *a = json_array();
    int rc = a ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        if (l->g[i].type == ACL_EMAIL)
            rc = -1;
        else
            json_array_append_new(
                a, json_pack("[sss]", l->g[i].type == ACL_USER ? "u" : "g", l->g[i].who, acl_perm_name(l->g[i].perm)));
    }
    char *s = rc == 0 ? json_dumps(a, JSON_COMPACT) : NULL;
    if (!s || strlen(s) >= len)
        rc = -1;
    else
        snprintf(out, len, "%s", s);
    free(s);
    json_decref(a);
    return rc;
}

bool acl_is_stored(const char *text) { return text && text[0] == '['; }

int acl_parse_stored(const char *text, struct acl_list *out)
{
    memset(out, 0, sizeof *out);
    json_t *a = acl_is_stored(text) ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_array(a)) {
        json_decref(a);
        return -1;
    }
    size_t i;
    json_t *g;
    int rc = 0;
    json_array_foreach (a, i, g) {
        const char *t = json_string_value(json_array_get(g, 0)), *who = json_string_value(json_array_get(g, 1));
        unsigned perm = acl_perm_of(json_string_value(json_array_get(g, 2)));
        if (!t || !who || !perm || (strcmp(t, "u") != 0 && strcmp(t, "g") != 0) ||
            add(out, t[0] == 'u' ? ACL_USER : ACL_GROUP, who, perm) != ACL_OK) {
            rc = -1;
            break;
        }
    }
    json_decref(a);
    return rc;
}
