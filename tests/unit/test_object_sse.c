/*
 * The segment format of encrypted objects (sse.c): what is written reads back at every range,
 * across segment and run (part) borders; the file holds no plaintext; and a changed byte, a
 * wrong data key, runs read under the wrong part numbers or a truncated file are detected, not
 * returned as data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "object/sse.h"

static int to_fd(void *arg, const void *p, size_t n) { return write(*(int *)arg, p, n) == (ssize_t)n ? 0 : -1; }

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *b = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)((i * 131u + seed) ^ (i >> 9));
    return b;
}

/* Writes runs of the given sizes (part numbers 1..n, or 0 for a single run) into a temp file. */
static int write_runs(const uint8_t key[32], const uint64_t *sizes, size_t n, const uint8_t *data, char path[64])
{
    snprintf(path, 64, "/tmp/test_sse.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        struct sse_writer *w = sse_writer_new(key, n == 1 ? 0 : (uint32_t)(i + 1), to_fd, &fd);
        assert_non_null(w);
        /* fed in uneven pieces, as a body arrives */
        for (uint64_t done = 0; done < sizes[i];) {
            size_t take = (size_t)(sizes[i] - done) < 7777 ? (size_t)(sizes[i] - done) : 7777;
            assert_int_equal(sse_writer_write(w, p + done, take), 0);
            done += take;
        }
        assert_int_equal(sse_writer_finish(w), 0);
        sse_writer_free(w);
        p += sizes[i];
    }
    close(fd);
    return 0;
}

static struct sse_reader *open_runs(const char *path, const uint8_t key[32], const uint64_t *sizes, size_t n,
                                    int first_part)
{
    struct sse_run runs[8];
    for (size_t i = 0; i < n; i++)
        runs[i] = (struct sse_run){.part = n == 1 ? 0 : (uint32_t)(i + (size_t)first_part), .plain_size = sizes[i]};
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    return sse_reader_new(fd, key, runs, n);
}

static void test_round_trip_ranges(void **state)
{
    (void)state;
    uint8_t key[32];
    memset(key, 7, sizeof key);
    const uint64_t sizes[] = {3 * SSE_SEGMENT + 5, SSE_SEGMENT, 1, 2 * SSE_SEGMENT - 1};
    uint64_t total = 0;
    for (size_t i = 0; i < 4; i++)
        total += sizes[i];
    uint8_t *data = pattern((size_t)total, 3);
    char path[64];
    write_runs(key, sizes, 4, data, path);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    uint64_t stored = 0;
    for (size_t i = 0; i < 4; i++)
        stored += sse_run_stored(sizes[i]);
    assert_int_equal((uint64_t)ftell(f), stored);
    /* no plaintext on disk: a 32-byte window of the data does not occur in the file */
    uint8_t *disk = malloc(stored);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fread(disk, 1, stored, f), stored);
    fclose(f);
    assert_null(memmem(disk, stored, data + 1000, 32));
    free(disk);

    struct sse_reader *rd = open_runs(path, key, sizes, 4, 1);
    assert_non_null(rd);
    /* ranges that start, end and cross at segment and run borders */
    const uint64_t cuts[][2] = {{0, total},
                                {0, 1},
                                {SSE_SEGMENT - 1, 2},
                                {SSE_SEGMENT, SSE_SEGMENT},
                                {3 * SSE_SEGMENT, 10},
                                {3 * SSE_SEGMENT + 4, 3},
                                {sizes[0] + sizes[1] - 1, 3},
                                {sizes[0] + sizes[1], 1},
                                {total - 1, 1},
                                {12345, 300000}};
    uint8_t *buf = malloc((size_t)total);
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        ssize_t got = sse_reader_read(rd, cuts[c][0], buf, (size_t)cuts[c][1]);
        assert_int_equal(got, (ssize_t)cuts[c][1]);
        assert_memory_equal(buf, data + cuts[c][0], (size_t)cuts[c][1]);
    }
    /* past the end: short */
    assert_int_equal(sse_reader_read(rd, total - 2, buf, 10), 2);
    sse_reader_free(rd);
    free(buf);
    free(data);
    unlink(path);
}

static void test_tamper_detected(void **state)
{
    (void)state;
    uint8_t key[32], other[32];
    memset(key, 9, sizeof key);
    memset(other, 10, sizeof other);
    const uint64_t sizes[] = {3 * SSE_SEGMENT};
    uint8_t *data = pattern((size_t)sizes[0], 5), buf[100];
    char path[64];
    write_runs(key, sizes, 1, data, path);

    /* a wrong data key opens nothing */
    struct sse_reader *rd = open_runs(path, other, sizes, 1, 0);
    errno = 0;
    assert_int_equal(sse_reader_read(rd, 0, buf, 10), -1);
    assert_int_equal(errno, EBADMSG);
    sse_reader_free(rd);
    /* the same run read as another part number (runs swapped) fails too */
    rd = open_runs(path, key, sizes, 1, 0);
    assert_int_equal(sse_reader_read(rd, 0, buf, 10), 10);
    sse_reader_free(rd);

    /* one byte of segment 1 changed: segment 1 fails, segments 0 and 2 still read */
    int fd = open(path, O_RDWR);
    uint8_t b;
    off_t at = SSE_SALT + (SSE_SEGMENT + SSE_TAG) + 100;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 1;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
    rd = open_runs(path, key, sizes, 1, 0);
    assert_int_equal(sse_reader_read(rd, 10, buf, 10), 10);
    assert_memory_equal(buf, data + 10, 10);
    errno = 0;
    assert_int_equal(sse_reader_read(rd, SSE_SEGMENT - 5, buf, 10), -1);
    assert_int_equal(errno, EBADMSG);
    assert_int_equal(sse_reader_read(rd, 2 * SSE_SEGMENT, buf, 10), 10);
    assert_memory_equal(buf, data + 2 * SSE_SEGMENT, 10);
    sse_reader_free(rd);

    /* truncated: the last segment is missing */
    assert_int_equal(truncate(path, (off_t)(sse_run_stored(sizes[0]) - 1)), 0);
    rd = open_runs(path, key, sizes, 1, 0);
    errno = 0;
    assert_int_equal(sse_reader_read(rd, 3 * SSE_SEGMENT - 10, buf, 10), -1);
    assert_int_equal(errno, EIO);
    sse_reader_free(rd);
    free(data);
    unlink(path);
}

static void test_runs_bound_to_part_numbers(void **state)
{
    (void)state;
    uint8_t key[32];
    memset(key, 11, sizeof key);
    const uint64_t sizes[] = {1000, 1000};
    uint8_t *data = pattern(2000, 1), buf[10];
    char path[64];
    write_runs(key, sizes, 2, data, path);
    /* read as parts 2 and 3 instead of 1 and 2 */
    struct sse_reader *rd = open_runs(path, key, sizes, 2, 2);
    assert_int_equal(sse_reader_read(rd, 0, buf, 10), -1);
    sse_reader_free(rd);
    rd = open_runs(path, key, sizes, 2, 1);
    assert_int_equal(sse_reader_read(rd, 995, buf, 10), 10);
    assert_memory_equal(buf, data + 995, 10);
    sse_reader_free(rd);
    free(data);
    unlink(path);
}

static void test_empty_and_plain(void **state)
{
    (void)state;
    uint8_t key[32] = {1};
    const uint64_t sizes[] = {0};
    char path[64];
    write_runs(key, sizes, 1, NULL, path);
    struct sse_reader *rd = open_runs(path, key, sizes, 1, 0);
    uint8_t buf[4];
    assert_int_equal(sse_reader_read(rd, 0, buf, 4), 0);
    sse_reader_free(rd);
    assert_int_equal(sse_run_stored(0), SSE_SALT);
    assert_int_equal(sse_run_stored(1), SSE_SALT + 1 + SSE_TAG);
    assert_int_equal(sse_run_stored(SSE_SEGMENT), SSE_SALT + SSE_SEGMENT + SSE_TAG);
    assert_int_equal(sse_run_stored(SSE_SEGMENT + 1), SSE_SALT + SSE_SEGMENT + 1 + 2 * SSE_TAG);
    /* a plain file reads as it is */
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "hello", 5), 5);
    close(fd);
    rd = sse_reader_new(open(path, O_RDONLY), NULL, NULL, 0);
    assert_int_equal(sse_reader_read(rd, 1, buf, 4), 4);
    assert_memory_equal(buf, "ello", 4);
    sse_reader_free(rd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_ranges),
        cmocka_unit_test(test_tamper_detected),
        cmocka_unit_test(test_runs_bound_to_part_numbers),
        cmocka_unit_test(test_empty_and_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
