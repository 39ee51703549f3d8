/*
 * rules: which disk operation is allowed in which state, quotas, sizes and file names, as data
 * and small pure functions (unit-tested in tests/unit/test_block_rules.c).
 */
#include <stdio.h>
#include <string.h>

#include "api/codes.h"
#include "block/block.h"
#include "block/codes.h"
#include "block/states.h"

struct rule {
    const char *state;
    /* for each op: NULL = allowed, else the error code */
    const char *refused[BOP_COUNT];
};

/*                         ATTACH                           DETACH                          TERMINATE RESIZE SNAPSHOT */
static const struct rule rules[] = {
    {DISK_UNATTACHED, {NULL, E_UNSUPPORTED_OPERATION_STATE_ERROR, NULL, NULL, NULL}},
    {DISK_ATTACHED, {E_RESOURCE_UNAVAILABLE_ATTACHED, NULL, E_INVALID_DISK_ATTACHED, NULL, NULL}},
    {DISK_ATTACHING,
     {E_RESOURCE_UNAVAILABLE_ATTACHED, E_INVALID_DISK_BUSY, E_INVALID_DISK_ATTACHED, E_INVALID_DISK_BUSY,
      E_INVALID_DISK_BUSY}},
    {DISK_DETACHING,
     {E_INVALID_DISK_BUSY, E_INVALID_DISK_BUSY, E_INVALID_DISK_BUSY, E_INVALID_DISK_BUSY, E_INVALID_DISK_BUSY}},
    {DISK_EXPANDING,
     {E_INVALID_DISK_BUSY, E_INVALID_DISK_BUSY, E_INVALID_DISK_BUSY, E_INVALID_DISK_BUSY, E_INVALID_DISK_BUSY}},
    {"DUMPING",
     {E_INVALID_DISK_BUSY, E_UNSUPPORTED_OPERATION_STATE_ERROR, E_INVALID_DISK_BUSY, E_INVALID_DISK_BUSY,
      E_INVALID_DISK_BUSY}},
};

const char *block_op_refused(enum block_op op, const char *state, int attached_here)
{
    if ((int)op < 0 || op >= BOP_COUNT || !state)
        return E_INTERNAL_ERROR;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (strcmp(rules[i].state, state) != 0)
            continue;
        const char *code = rules[i].refused[op];
        /* attaching a disk to the instance it is already on: "already attached", not "attached elsewhere" */
        if (op == BOP_ATTACH && attached_here && code && !strcmp(code, E_RESOURCE_UNAVAILABLE_ATTACHED))
            return E_INVALID_DISK_ATTACHED;
        return code;
    }
    return E_INVALID_DISK_ID_NOT_FOUND; /* TERMINATING and unknown states: the disk is gone */
}

const char *block_state_public(const char *state)
{
    return state && strcmp(state, DISK_TERMINATING) != 0 ? state : NULL;
}

const char *block_quota_refused_within(int64_t have_disks, int64_t have_gib, int64_t add_disks, int64_t add_gib,
                                       int64_t max_gib)
{
    if (add_disks < 0 || add_gib < 0)
        return E_INVALID_PARAMETER_VALUE;
    if (have_disks + add_disks > BLOCK_DISK_QUOTA)
        return E_LIMIT_EXCEEDED_DISK_QUOTA;
    if (have_gib + add_gib > max_gib)
        return E_LIMIT_EXCEEDED_DISK_SIZE_QUOTA;
    return NULL;
}

const char *block_quota_refused(int64_t have_disks, int64_t have_gib, int64_t add_disks, int64_t add_gib)
{
    return block_quota_refused_within(have_disks, have_gib, add_disks, add_gib, BLOCK_GIB_QUOTA);
}

int block_id_valid(const char *prefix, const char *id)
{
    size_t p = strlen(prefix);
    if (!id || strncmp(id, prefix, p) != 0 || strlen(id) != p + 8)
        return 0;
    for (const char *c = id + p; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
            return 0;
    return 1;
}

/* Tencent's documented sizes per medium (CLOUD_TSSD only comes with some instance types). */
static const struct {
    const char *type;
    int64_t min, max;
} sizes[] = {
    {"CLOUD_BASIC", 10, 32000}, {"CLOUD_PREMIUM", 10, 32000}, {"CLOUD_BSSD", 20, 32000},
    {"CLOUD_SSD", 20, 32000},   {"CLOUD_HSSD", 20, 32000},
};

int block_size_range(const char *disk_type, int64_t *min, int64_t *max)
{
    for (size_t i = 0; disk_type && i < sizeof sizes / sizeof sizes[0]; i++)
        if (!strcmp(sizes[i].type, disk_type)) {
            *min = sizes[i].min;
            *max = sizes[i].max;
            return 1;
        }
    return 0;
}
