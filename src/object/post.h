/*
 * post.h - what post.c (the form as it streams, the object) and post_policy.c (the signed policy
 * document and its conditions) share about a POST object form.
 */
#ifndef YUN_OBJECT_POST_H
#define YUN_OBJECT_POST_H

#include "object/object_int.h"

#define FORM_MAX_FIELDS 64
#define FORM_MAX_VALUE  20000
#define FORM_MAX_HEAD   8192

enum form_state { F_PREAMBLE, F_AFTER_DELIM, F_HEADERS, F_VALUE, F_FILE, F_EPILOGUE };

struct post_form {
    char delim[96]; /* "\r\n--" boundary */
    size_t dlen;
    enum form_state st;
    char *buf;
    size_t len, cap;
    char *name[FORM_MAX_FIELDS], *value[FORM_MAX_FIELDS];
    int nf;
    char part[128], filename[1024];
    struct obj_buf v;
    bool have_file, file_done;
    int64_t range_min, range_max; /* content-length-range, -1 if none */
    char key[MAX_KEY_BYTES + 1];
};

/* post.c: the first field of that name (case-insensitive), or NULL. */
const char *post_field(const struct post_form *f, const char *name);
/* post_policy.c: the signature over the policy (SigV4 or SigV2) and the policy itself; sets the
 * caller. 0, or -1 (recorded). */
int post_check_policy(struct rq *r, const char *policy);

#endif
