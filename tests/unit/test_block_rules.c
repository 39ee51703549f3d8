/* Unit tests for the block service's pure rules: the disk state machine, quotas, sizes and file names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "block/block.h"

static void test_state_machine(void **state)
{
    (void)state;
    /* what each user-visible request may do to an UNATTACHED disk */
    assert_null(block_op_refused(BOP_ATTACH, "UNATTACHED", 0));
    assert_null(block_op_refused(BOP_TERMINATE, "UNATTACHED", 0));
    assert_null(block_op_refused(BOP_RESIZE, "UNATTACHED", 0));
    assert_null(block_op_refused(BOP_SNAPSHOT, "UNATTACHED", 0));
    assert_string_equal(block_op_refused(BOP_DETACH, "UNATTACHED", 0), "UnsupportedOperation.StateError");
    /* attached: elsewhere vs. here, and no terminate */
    assert_string_equal(block_op_refused(BOP_ATTACH, "ATTACHED", 0), "ResourceUnavailable.Attached");
    assert_string_equal(block_op_refused(BOP_ATTACH, "ATTACHED", 1), "InvalidDisk.Attached");
    assert_string_equal(block_op_refused(BOP_ATTACH, "ATTACHING", 1), "InvalidDisk.Attached");
    assert_string_equal(block_op_refused(BOP_TERMINATE, "ATTACHED", 0), "InvalidDisk.Attached");
    assert_null(block_op_refused(BOP_DETACH, "ATTACHED", 0));
    assert_null(block_op_refused(BOP_RESIZE, "ATTACHED", 0));
    assert_null(block_op_refused(BOP_SNAPSHOT, "ATTACHED", 0));
    /* transitional states refuse everything */
    const char *busy[] = {"ATTACHING", "DETACHING", "EXPANDING", "DUMPING"};
    for (size_t i = 0; i < sizeof busy / sizeof busy[0]; i++) {
        assert_non_null(block_op_refused(BOP_RESIZE, busy[i], 0));
        assert_non_null(block_op_refused(BOP_SNAPSHOT, busy[i], 0));
        assert_non_null(block_op_refused(BOP_TERMINATE, busy[i], 0));
        assert_non_null(block_op_refused(BOP_DETACH, busy[i], 0));
    }
    /* a disk being deleted is gone; unknown states too; bad ops are refused */
    assert_string_equal(block_op_refused(BOP_ATTACH, "TERMINATING", 0), "InvalidDiskId.NotFound");
    assert_string_equal(block_op_refused(BOP_ATTACH, "MELTED", 0), "InvalidDiskId.NotFound");
    assert_non_null(block_op_refused(BOP_COUNT, "UNATTACHED", 0));
    assert_non_null(block_op_refused(BOP_ATTACH, NULL, 0));
    assert_null(block_state_public("TERMINATING"));
    assert_string_equal(block_state_public("ATTACHED"), "ATTACHED");
}

static void test_quota(void **state)
{
    (void)state;
    assert_null(block_quota_refused(0, 0, 1, 10));
    assert_null(block_quota_refused(49, 9990, 1, 10)); /* exactly at both limits */
    assert_string_equal(block_quota_refused(50, 100, 1, 10), "LimitExceeded.DiskQuota");
    assert_string_equal(block_quota_refused(0, 0, 51, 10), "LimitExceeded.DiskQuota");
    assert_string_equal(block_quota_refused(1, 9990, 1, 11), "LimitExceeded.DiskSizeQuota");
    assert_string_equal(block_quota_refused(0, 0, 0, BLOCK_GIB_QUOTA + 1),
                        "LimitExceeded.DiskSizeQuota"); /* a resize */
    assert_string_equal(block_quota_refused(0, 0, -1, 10), "InvalidParameterValue");
}

static void test_sizes(void **state)
{
    (void)state;
    int64_t min = 0, max = 0;
    assert_true(block_size_range("CLOUD_PREMIUM", &min, &max));
    assert_int_equal(min, 10);
    assert_int_equal(max, 32000);
    assert_true(block_size_range("CLOUD_SSD", &min, &max));
    assert_int_equal(min, 20);
    assert_false(block_size_range("CLOUD_TSSD", &min, &max)); /* only with some instance types */
    assert_false(block_size_range("LOCAL_BASIC", &min, &max));
    assert_false(block_size_range(NULL, &min, &max));
}

static void test_ids(void **state)
{
    (void)state;
    assert_true(block_id_valid("disk-", "disk-abc12345"));
    assert_true(block_id_valid("snap-", "snap-zz99zz99"));
    /* ids that are not ours: never a host's file name */
    assert_false(block_id_valid("disk-", "disk-../../x"));
    assert_false(block_id_valid("disk-", "disk-ABC12345"));
    assert_false(block_id_valid("disk-", "disk-abc1234"));
    assert_false(block_id_valid("disk-", "snap-abc12345"));
    assert_false(block_id_valid("snap-", "snap-zz99zz9/"));
    assert_false(block_id_valid("disk-", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_machine),
        cmocka_unit_test(test_quota),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
