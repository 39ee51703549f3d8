/*
 * The object checksums (checksum.c): the check values of each CRC ("123456789"), the same
 * value whatever the split of the data (the body arrives in pieces), and the base64 forms S3
 * clients send for the AWS SDK's own test string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "object/checksum.h"

static void test_check_values(void **state)
{
    (void)state;
    const char *s = "123456789";
    assert_int_equal(obj_crc32(0, s, 9), 0xCBF43926u);
    assert_int_equal(obj_crc32c(0, s, 9), 0xE3069283u);
    assert_true(obj_crc64nvme(0, s, 9) == 0xAE8B14860A799888ull);
    for (size_t cut = 0; cut <= 9; cut++) {
        assert_int_equal(obj_crc32c(obj_crc32c(0, s, cut), s + cut, 9 - cut), 0xE3069283u);
        assert_int_equal(obj_crc32(obj_crc32(0, s, cut), s + cut, 9 - cut), 0xCBF43926u);
    }
    assert_int_equal(obj_crc32c(0, "", 0), 0);
}

static void test_base64_forms(void **state)
{
    (void)state;
    static const struct {
        enum checksum_algo algo;
        const char *want;
    } cases[] = {
        {CHECKSUM_CRC32, "QU+jOQ=="},
        {CHECKSUM_CRC32C, "ImIEBA=="},
        {CHECKSUM_SHA1, "L9ThxnotKPzthJ7hu3bnORuT6xI="},
        {CHECKSUM_SHA256, "16j7swfXgJRpypq8sAguT41WUeRtPNt2LQLQvzfJ5ZI="},
    };
    const char *s = "The quick brown fox jumps over the lazy dog";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct checksum c;
        assert_int_equal(checksum_init(&c, cases[i].algo), 0);
        checksum_update(&c, s, 10);
        checksum_update(&c, s + 10, strlen(s) - 10);
        uint8_t d[CHECKSUM_MAX_DIGEST];
        char b64[CHECKSUM_MAX_BASE64];
        size_t n = checksum_final(&c, d);
        obj_base64_encode(d, n, b64);
        assert_string_equal(b64, cases[i].want);
        checksum_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_values),
        cmocka_unit_test(test_base64_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
