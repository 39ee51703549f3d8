/*
 * aclgrants.h - S3/COS access control lists as data: the grants of a canned ACL, of the
 * x-amz-grant-* / x-cos-grant-* headers and of an AccessControlPolicy document, and the stored
 * form (a JSON array) kept in the acl column beside the canned names. Pure parsing: who exists
 * and what a grant allows are acl.c's.
 */
#ifndef YUN_OBJECT_ACLGRANTS_H
#define YUN_OBJECT_ACLGRANTS_H

#include <stdbool.h>
#include <stddef.h>

#define ACL_MAX_GRANTS 100  /* S3's limit of grants in one ACL */
#define ACL_MAX_ID     32   /* a grantee id: an account's Uin (digits), letters, '_', '-', '.' */
#define ACL_TEXT_MAX   6144 /* the stored form of ACL_MAX_GRANTS grants of ACL_MAX_ID ids fits */

enum acl_perm { ACL_READ = 1, ACL_WRITE = 2, ACL_READ_ACP = 4, ACL_WRITE_ACP = 8, ACL_FULL_CONTROL = 15 };
enum acl_grantee { ACL_USER, ACL_GROUP, ACL_EMAIL };

/* who: an account's Uin (ACL_USER), a group's name, "AllUsers", "AuthenticatedUsers" or
 * "LogDelivery" (ACL_GROUP), or an email address (ACL_EMAIL, never stored). */
struct acl_grant {
    enum acl_grantee type;
    char who[96];
    unsigned perm;
};
struct acl_list {
    size_t n;
    struct acl_grant g[ACL_MAX_GRANTS];
    char owner[96]; /* an AccessControlPolicy's Owner/ID (normalised), "" if none */
};

enum acl_status {
    ACL_OK,
    ACL_BAD_GRANT, /* InvalidArgument: a grantee or grant header S3 does not take */
    ACL_MALFORMED, /* MalformedACLError: a well-formed document that is no AccessControlPolicy */
    ACL_BAD_XML,   /* MalformedXML: not well-formed */
    ACL_TOO_MANY,  /* InvalidArgument: over ACL_MAX_GRANTS grants */
};

unsigned acl_perm_of(const char *name); /* "READ" -> ACL_READ..., 0 if none */
const char *acl_perm_name(unsigned perm);
const char *acl_group_uri(const char *group, bool cos);
/* A grantee id as S3 ("123") or COS ("qcs::cam::uin/123:uin/123") write it -> the Uin (out);
 * "qcs::cam::anyone:anyone" -> *group set. false if it is neither. */
bool acl_normalise_id(const char *id, char *out, size_t len, bool *group);

/* Appends the grants of one grant header's value (`id="1", uri="http://...", emailAddress="a@b"`). */
enum acl_status acl_parse_header(const char *value, unsigned perm, struct acl_list *out);
/* An AccessControlPolicy document (S3's or COS's). */
enum acl_status acl_parse_xml(const char *body, size_t len, struct acl_list *out);
/* The grants of a canned ACL for an object or bucket owned by owner in a bucket owned by
 * bucket_owner. false if the name is no canned ACL ("default" included: acl.c resolves it). */
bool acl_canned(const char *name, const char *owner, const char *bucket_owner, struct acl_list *out);
/* The stored form of a list of user and group grants. 0, or -1 (no room, or an email grantee). */
int acl_format(const struct acl_list *l, char *out, size_t len);
/* A stored list ("[...]"). 0, or -1 (not one). */
int acl_parse_stored(const char *text, struct acl_list *out);
/* Is the text a stored grant list rather than a canned name? */
bool acl_is_stored(const char *text);

#endif
