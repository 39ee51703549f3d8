/*
 * test_host_disk_pool.c - system disks made ahead (src/host/disk_pool.c) with the real qemu-img: the first
 * take of a (base, size) makes its overlay, the next is a rename of the one the pool made meanwhile; an
 * overlay is handed out only over the base it was made on (a rewritten base is a new key); the pool keeps
 * at most 8 overlays; init empties it (a crash's leftovers). Skips without qemu-img.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/host/disk_pool.h"

static char work[64], pool[128], base[128];

static int count_pool(const char *ext)
{
    DIR *d = opendir(pool);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ext) != NULL;
    if (d)
        closedir(d);
    return n;
}

/* waits (up to 10 s) for the pool to hold n ready overlays */
static int wait_pool(int n)
{
    for (int i = 0; i < 1000; i++) {
        if (count_pool(".qcow2") == n && count_pool(".tmp") == 0)
            return 1;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* the overlay at path is a qcow2 whose backing file is base */
static int is_overlay_of(const char *path, const char *b)
{
    char cmd[512], out[4096] = "";
    snprintf(cmd, sizeof cmd, "qemu-img info --output=json '%s' 2>&1", path);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    if (p)
        pclose(p);
    out[n] = 0;
    char want[256];
    snprintf(want, sizeof want, "\"backing-filename\": \"%s\"", b);
    return strstr(out, "\"format\": \"qcow2\"") && strstr(out, want);
}

static int setup(void **state)
{
    (void)state;
    snprintf(work, sizeof work, "/tmp/yun-pool.XXXXXX");
    assert_non_null(mkdtemp(work));
    snprintf(pool, sizeof pool, "%s/pool", work);
    snprintf(base, sizeof base, "%s/base.raw", work);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "qemu-img create -q -f raw %s 1M", base);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    disk_pool_stop();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", work);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_take_refill_and_keys(void **state)
{
    (void)state;
    char err[256] = "", dest[200];
    /* leftovers of an earlier run (a crash mid-make) are removed at init */
    assert_int_equal(mkdir(pool, 0700), 0);
    snprintf(dest, sizeof dest, "%s/stale.tmp", pool);
    FILE *f = fopen(dest, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(disk_pool_init(pool, err, sizeof err), 0);
    assert_int_equal(count_pool(".tmp"), 0);

    snprintf(dest, sizeof dest, "%s/a.qcow2", work);
    assert_int_equal(disk_pool_take(base, 2 << 20, dest, err, sizeof err), 0); /* made now */
    assert_true(is_overlay_of(dest, base));
    assert_true(wait_pool(1)); /* the next one made meanwhile */
    snprintf(dest, sizeof dest, "%s/b.qcow2", work);
    assert_int_equal(disk_pool_take(base, 2 << 20, dest, err, sizeof err), 1); /* from the pool */
    assert_true(is_overlay_of(dest, base));
    assert_true(wait_pool(1));

    /* another size is another key */
    snprintf(dest, sizeof dest, "%s/c.qcow2", work);
    assert_int_equal(disk_pool_take(base, 4 << 20, dest, err, sizeof err), 0);
    assert_true(wait_pool(2));

    /* the base rewritten: the overlay made on its old content is not handed out */
    struct timespec later[2] = {{0, UTIME_OMIT}, {time(NULL) + 5, 0}};
    assert_int_equal(utimensat(AT_FDCWD, base, later, 0), 0);
    snprintf(dest, sizeof dest, "%s/d.qcow2", work);
    assert_int_equal(disk_pool_take(base, 2 << 20, dest, err, sizeof err), 0);
    assert_true(is_overlay_of(dest, base));
    assert_true(wait_pool(3));

    /* at most 8 overlays */
    for (int i = 0; i < 12; i++) {
        snprintf(dest, sizeof dest, "%s/e%d.qcow2", work, i);
        assert_int_equal(disk_pool_take(base, (long long)(10 + i) << 20, dest, err, sizeof err), 0);
    }
    for (int i = 0; i < 1000 && !(count_pool(".tmp") == 0 && count_pool(".qcow2") == 8); i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(count_pool(".qcow2"), 8);

    /* a base that cannot be read: an error, nothing at dest */
    snprintf(dest, sizeof dest, "%s/f.qcow2", work);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing.raw", work);
    assert_int_equal(disk_pool_take(missing, 0, dest, err, sizeof err), -1);
    assert_true(err[0] != 0);
    assert_int_not_equal(access(dest, F_OK), 0);
}

int main(void)
{
    if (system("command -v qemu-img >/dev/null 2>&1") != 0) {
        printf("test_host_disk_pool: qemu-img not installed, skipping\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_take_refill_and_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
