/*
 * fuzz_object_acl.c - libFuzzer target for the ACL grant parsers (aclgrants.c). Byte 0 picks a
 * grant header value or an AccessControlPolicy document. A list parsed without email grantees
 * is stored and read back: it must survive the round trip unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "object/aclgrants.h"

static void roundtrip(const struct acl_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->g[i].type == ACL_EMAIL)
            return;
    static char text[ACL_TEXT_MAX];
    static struct acl_list again;
    if (acl_format(l, text, sizeof text) != 0)
        abort(); /* ACL_TEXT_MAX holds any list the parsers take */
    if (acl_parse_stored(text, &again) != 0 || again.n != l->n)
        abort();
    for (size_t i = 0; i < l->n; i++)
        if (again.g[i].type != l->g[i].type || again.g[i].perm != l->g[i].perm ||
            strcmp(again.g[i].who, l->g[i].who) != 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static struct acl_list l;
    memset(&l, 0, sizeof l);
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    enum acl_status st =
        data[0] & 1 ? acl_parse_xml(s, size - 1, &l) : acl_parse_header(s, ACL_READ << (data[0] >> 1 & 3), &l);
    if (st == ACL_OK)
        roundtrip(&l);
    free(s);
    return 0;
}
