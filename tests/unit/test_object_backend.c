/*
 * The object backend table (backend.h) through its rows only, on the file backend in a temporary
 * data directory: a blob written, synced and published reads back by range; a discarded one and a
 * removed one leave nothing; recovery's listing hands each pending blob to the judge and does what
 * it answers; config object.backend naming no backend is refused with the names there are. The
 * file layout (tmp/<id>, data/<id:2>/<id>) is checked too: it is what existing data directories hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "object/backend.h"

static char dir[64];
static const struct object_backend *b;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/yun-backend.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char err[256];
    b = object_backend_find("file", err, sizeof err);
    return b && b->start(dir, err, sizeof err) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    b->stop();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Entries of DATA/objects/<sub> (dot entries aside). */
static int entries(const char *sub)
{
    char p[128];
    snprintf(p, sizeof p, "%s/objects/%s", dir, sub);
    DIR *d = opendir(p);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int exists(const char *fmt, const char *id)
{
    char rel[96], p[256];
    snprintf(rel, sizeof rel, fmt, id, id);
    snprintf(p, sizeof p, "%s/objects/%s", dir, rel);
    struct stat st;
    return stat(p, &st) == 0;
}

/* A blob of n bytes of a pattern under id, synced (pending). */
static void put(const char *id, size_t n)
{
    int h = b->create(id);
    assert_true(h >= 0);
    char chunk[1000];
    for (size_t at = 0; at < n; at += sizeof chunk) {
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = (char)('a' + (at + i) % 26);
        assert_int_equal(b->write(h, chunk, n - at < sizeof chunk ? n - at : sizeof chunk), 0);
    }
    assert_int_equal(b->sync(h), 0);
}

static void test_put_commit_read_range(void **state)
{
    (void)state;
    const char *id = "0a1b2c3d4e5f60718293a4b5";
    put(id, 5000);
    assert_true(exists("tmp/%s", id));
    int h = b->open(id); /* pending, between the commit and the publish */
    assert_true(h >= 0);
    b->close(h);
    assert_int_equal(b->publish(id), 0);
    assert_true(exists("data/%.2s/%s", id));
    assert_int_equal(entries("tmp"), 0);

    h = b->open(id);
    assert_true(h >= 0);
    int64_t size = 0;
    bool removed = true;
    assert_int_equal(b->stat(h, &size, &removed), 0);
    assert_int_equal(size, 5000);
    assert_false(removed);
    assert_true(b->descriptor(h) >= 0); /* the file backend hands out descriptors: sendfile */
    static const struct {
        uint64_t off;
        size_t len, want;
    } ranges[] = {{0, 10, 10}, {1234, 100, 100}, {4990, 10, 10}, {4995, 100, 5}, {5000, 10, 0}};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        char buf[100];
        ssize_t n = b->read(h, buf, ranges[i].len, ranges[i].off);
        assert_int_equal(n, (ssize_t)ranges[i].want);
        for (ssize_t k = 0; k < n; k++)
            assert_int_equal(buf[k], (char)('a' + (ranges[i].off + (uint64_t)k) % 26));
    }

    /* a copy of a range of it (UploadPartCopy, CopyObject, CompleteMultipartUpload) */
    const char *cp = "ffee0011223344556677aabb";
    int w = b->create(cp);
    assert_true(w >= 0);
    assert_int_equal(b->copy(w, id, 26, 52), 0);
    assert_int_equal(b->copy(w, id, 4990, 20), -1); /* beyond its end: refused, not a short copy */
    b->discard(w, cp);
    assert_int_equal(entries("tmp"), 0);

    assert_int_equal(b->remove(id), 0);
    assert_int_equal(b->stat(h, &size, &removed), 0);
    assert_true(removed); /* filecache.c keeps no bytes of a removed blob */
    b->close(h);
    assert_int_equal(b->open(id), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(b->remove(id), -1);
    assert_int_equal(errno, ENOENT);
}

static void test_abort_leaves_nothing(void **state)
{
    (void)state;
    const char *id = "1111aaaa2222bbbb3333cccc";
    int h = b->create(id);
    assert_true(h >= 0);
    assert_int_equal(b->write(h, "partial", 7), 0);
    assert_int_equal(b->create(id), -1); /* an id is never taken twice */
    b->discard(h, id);
    assert_int_equal(entries("tmp"), 0);
    assert_int_equal(b->open(id), -1);
    assert_int_equal(errno, ENOENT);
    b->discard(-1, ""); /* nothing was created: nothing to do */
}

static enum backend_pending judge(void *arg, const char *id, int64_t mtime)
{
    int *seen = arg;
    (*seen)++;
    assert_true(mtime > 0);
    return id[0] == 'a' ? PENDING_PUBLISH : id[0] == 'b' ? PENDING_KEEP : PENDING_DROP;
}

static enum backend_pending judge_fails(void *arg, const char *id, int64_t mtime)
{
    (void)arg, (void)id, (void)mtime;
    return PENDING_FAIL;
}

static void test_recovery_does_what_the_judge_says(void **state)
{
    (void)state;
    const char *publish = "aaaa00000000000000000001", *keep = "bbbb00000000000000000002",
               *drop = "cccc00000000000000000003";
    put(publish, 10);
    put(keep, 10);
    put(drop, 10);
    int seen = 0;
    char err[256] = "";
    assert_int_equal(b->pending(judge, &seen, err, sizeof err), 0);
    assert_int_equal(seen, 3);
    assert_true(exists("data/%.2s/%s", publish));
    assert_true(exists("tmp/%s", keep));
    assert_false(exists("tmp/%s", drop));
    assert_int_equal(b->open(drop), -1);
    assert_int_equal(b->pending(judge_fails, NULL, err, sizeof err), -1);
    assert_int_equal(b->remove(publish), 0);
    assert_int_equal(b->remove(keep), 0); /* pending blobs are removed too */
    assert_int_equal(entries("tmp"), 0);
}

static void test_unknown_backend_refused(void **state)
{
    (void)state;
    char err[256] = "";
    assert_ptr_equal(object_backend_find("file", err, sizeof err), &object_backend_file);
    static const char *const bad[] = {"rados", "", "File", "file "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_null(object_backend_find(bad[i], err, sizeof err));
        assert_non_null(strstr(err, "object.backend"));
        assert_non_null(strstr(err, "supported: \"file\""));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_commit_read_range),
        cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_recovery_does_what_the_judge_says),
        cmocka_unit_test(test_unknown_backend_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
