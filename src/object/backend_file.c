/*
 * backend_file: object bytes as files under DATA/objects, the one backend that ships (backend.h),
 * and the only code that knows these paths:
 *   tmp/<id>         pending: being written, or synced and committed but not yet moved
 *   data/<id:2>/<id> published (shard directories made on first use)
 * sync is fsync of the file, then of tmp/ (its name); publish a rename into data/, which needs no
 * fsync: a rename lost in a crash leaves the file in tmp/, and recovery moves it again. A handle
 * is the file's descriptor, so the gateway sends large bodies with sendfile or from a mapping.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "object/backend.h"

static char root_dir[600];
static int tmp_dirfd = -1;

static void tmp_path(const char *id, char *out, size_t len) { snprintf(out, len, "%s/tmp/%.40s", root_dir, id); }
static void data_path(const char *id, char *out, size_t len)
{
    snprintf(out, len, "%s/data/%.2s/%.40s", root_dir, id, id);
}

static int file_start(const char *data_dir, char *err, size_t errlen)
{
    snprintf(root_dir, sizeof root_dir, "%s/objects", data_dir);
    char p[700];
    snprintf(p, sizeof p, "%s/tmp", root_dir);
    if (mkdir_p(p, 0700) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
        return -1;
    }
    snprintf(p, sizeof p, "%s/data", root_dir);
    if (mkdir_p(p, 0700) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
        return -1;
    }
    snprintf(p, sizeof p, "%s/tmp", root_dir);
    tmp_dirfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tmp_dirfd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", p, strerror(errno));
        return -1;
    }
    return 0;
}

static void file_stop(void)
{
    if (tmp_dirfd >= 0)
        close(tmp_dirfd);
    tmp_dirfd = -1;
}

static int file_create(const char *id) { return openat(tmp_dirfd, id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600); }

static int file_write(int h, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(h, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int file_sync(int h)
{
    int rc = fsync(h);
    if (close(h) != 0)
        rc = -1;
    if (rc == 0)
        rc = fsync(tmp_dirfd);
    return rc;
}

static void file_discard(int h, const char *id)
{
    if (h >= 0)
        close(h);
    if (id[0])
        unlinkat(tmp_dirfd, id, 0);
}

static int file_publish(const char *id)
{
    char from[700], to[700];
    tmp_path(id, from, sizeof from);
    data_path(id, to, sizeof to);
    if (rename(from, to) == 0)
        return 0;
    if (errno == ENOENT) {
        /* the shard directory is created lazily */
        char dir[700];
        snprintf(dir, sizeof dir, "%s/data/%.2s", root_dir, id);
        mkdir(dir, 0700);
        if (rename(from, to) == 0)
            return 0;
    }
    return -1;
}

static int file_open(const char *id)
{
    char p[700];
    data_path(id, p, sizeof p);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        tmp_path(id, p, sizeof p);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            data_path(id, p, sizeof p); /* published in between */
            fd = open(p, O_RDONLY | O_CLOEXEC);
        }
    }
    return fd;
}

static ssize_t file_read(int h, void *buf, size_t len, uint64_t off)
{
    ssize_t n;
    do
        n = pread(h, buf, len, (off_t)off);
    while (n < 0 && errno == EINTR);
    return n;
}

static int file_stat(int h, int64_t *size, bool *removed)
{
    struct stat st;
    if (fstat(h, &st) != 0)
        return -1;
    *size = (int64_t)st.st_size;
    *removed = st.st_nlink == 0;
    return 0;
}

static int file_descriptor(int h) { return h; }
static void file_close(int h) { close(h); }

static int file_copy(int h, const char *src_id, uint64_t offset, uint64_t len)
{
    int in = file_open(src_id);
    if (in < 0)
        return -1;
    loff_t off = (loff_t)offset;
    int rc = 0;
    while (len) {
        size_t want = len > (1u << 30) ? (1u << 30) : (size_t)len;
        ssize_t n = copy_file_range(in, &off, h, NULL, want, 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
            char buf[1 << 16];
            n = pread(in, buf, want < sizeof buf ? want : sizeof buf, off);
            if (n > 0 && file_write(h, buf, (size_t)n) != 0)
                n = -1;
            if (n > 0)
                off += n;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = -1;
            if (n == 0)
                errno = EIO; /* source shorter than its metadata says */
            break;
        }
        len -= (uint64_t)n;
    }
    close(in);
    return rc;
}

static int file_remove(const char *id)
{
    char p[700];
    data_path(id, p, sizeof p);
    if (unlink(p) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    tmp_path(id, p, sizeof p);
    return unlink(p);
}

static int file_pending(backend_judge judge, void *arg, char *err, size_t errlen)
{
    DIR *d = fdopendir(dup(tmp_dirfd));
    if (!d) {
        snprintf(err, errlen, "%s/tmp: %s", root_dir, strerror(errno));
        return -1;
    }
    rewinddir(d); /* the dup shares tmp_dirfd's offset: where an earlier listing ended */
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        struct stat st;
        int64_t mtime = fstatat(tmp_dirfd, e->d_name, &st, 0) == 0 ? (int64_t)st.st_mtime : 0;
        enum backend_pending what = judge(arg, e->d_name, mtime);
        if (what == PENDING_FAIL) {
            closedir(d);
            return -1;
        }
        if (what == PENDING_PUBLISH && file_publish(e->d_name) != 0)
            log_warn("object file %s stays in tmp/: %s (moved at next start)", e->d_name, strerror(errno));
        else if (what == PENDING_DROP)
            unlinkat(tmp_dirfd, e->d_name, 0);
    }
    closedir(d);
    fsync(tmp_dirfd);
    return 0;
}

const struct object_backend object_backend_file = {
    .name = "file",
    .start = file_start,
    .stop = file_stop,
    .create = file_create,
    .write = file_write,
    .copy = file_copy,
    .sync = file_sync,
    .discard = file_discard,
    .publish = file_publish,
    .open = file_open,
    .read = file_read,
    .stat = file_stat,
    .descriptor = file_descriptor,
    .close = file_close,
    .remove = file_remove,
    .pending = file_pending,
};
