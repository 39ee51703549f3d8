/*
 * admin_images: yun admin images --data DIR build NAME | list. Blueprint images are built by
 * images/recipes/NAME.sh (sharing images/lib/base.sh) into DATA/images/NAME; a build whose recipe
 * hash matches the shared cache's copy (image_cache below: CACHE/built/NAME) is hard-linked from
 * it, not rebuilt. The
 * result is registered in the compute images table as the PUBLIC_IMAGE with builtin = NAME, written
 * straight to the store (SQLite WAL, safe beside a running yund): DescribeImages shows it and
 * RunInstances boots it at once. Progress: the recipe's "yun-image: phase I/N: TEXT" lines, with the
 * elapsed time; the full log is DATA/images/NAME/build.log.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "compute/compute.h"
#include "daemon/daemon.h"

#define YUN_IMAGE_CACHE_DEFAULT "/var/cache/yun/images"

/* The repository (or install) directory: the binary lives in DIR/build/yun. */
static int repo_dir(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    snprintf(out, len, "%s/..", dirname(exe));
    char real[PATH_MAX];
    if (realpath(out, real))
        snprintf(out, len, "%s", real);
    return 0;
}

/* The shared image cache: the .debs, the kernel package, the base tarball (CACHE/) and the built
 * images every data dir links (CACHE/built/NAME). Outside the clone so that a fresh clone on the
 * same machine reuses it: $YUN_IMAGE_CACHE, else /var/cache/yun/images when it can be made and
 * written (root), else the clone's own build/images/cache with the built images in build/images. */
static void image_cache(const char *repo, char *cache, size_t clen, char *built, size_t blen)
{
    const char *env = getenv("YUN_IMAGE_CACHE");
    if (env && env[0]) {
        snprintf(cache, clen, "%s", env);
        snprintf(built, blen, "%s/built", env);
    } else if (mkdir_p(YUN_IMAGE_CACHE_DEFAULT, 0755) == 0 && access(YUN_IMAGE_CACHE_DEFAULT, W_OK) == 0) {
        snprintf(cache, clen, "%s", YUN_IMAGE_CACHE_DEFAULT);
        snprintf(built, blen, "%s/built", YUN_IMAGE_CACHE_DEFAULT);
    } else {
        snprintf(cache, clen, "%s/build/images/cache", repo);
        snprintf(built, blen, "%s/build/images", repo);
    }
}

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= 40 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* The first argument that is neither an option nor an option's value, from index from. */
static const char *positional(int argc, char **argv, int nth)
{
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            if (strcmp(argv[i], "--verbose"))
                i++; /* its value */
            continue;
        }
        if (nth-- == 0)
            return argv[i];
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int build(int argc, char **argv, const char *name)
{
    char repo[PATH_MAX], recipe[PATH_MAX + 64];
    if (!name_ok(name) || !strcmp(name, "tiny")) {
        fprintf(stderr, "yun admin images: `%s` is not a blueprint name (the tiny image is built by yund itself)\n",
                name);
        return 2;
    }
    if (repo_dir(repo, sizeof repo) != 0) {
        fprintf(stderr, "yun admin images: cannot find the yun binary\n");
        return 1;
    }
    snprintf(recipe, sizeof recipe, "%s/images/recipes/%s.sh", repo, name);
    if (access(recipe, X_OK) != 0) {
        fprintf(stderr, "yun admin images: no recipe %s (yun admin images list shows the blueprints)\n", recipe);
        return 1;
    }
    struct config cfg;
    struct store *s;
    if (cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    char out[PATH_MAX], logpath[PATH_MAX + 16];
    snprintf(out, sizeof out, "%s/images/%s", cfg.data_dir, name);
    if (mkdir_p(out, 0700) != 0) {
        fprintf(stderr, "yun admin images: cannot create %s\n", out);
        store_close(s);
        return 1;
    }
    snprintf(logpath, sizeof logpath, "%s/build.log", out);
    FILE *logf = fopen(logpath, "w");
    int verbose = 0;
    for (int i = 0; i < argc; i++)
        verbose |= !strcmp(argv[i], "--verbose");
    int fds[2];
    if (!logf || pipe(fds) != 0) {
        fprintf(stderr, "yun admin images: cannot write %s\n", logpath);
        if (logf)
            fclose(logf);
        store_close(s);
        return 1;
    }
    char cache[PATH_MAX + 32], built[PATH_MAX + 32], seed[2 * PATH_MAX];
    image_cache(repo, cache, sizeof cache, built, sizeof built);
    snprintf(seed, sizeof seed, "%s/%s", built, name);
    printf("building image %s (%s, cache %s, log %s)\n", name, recipe, cache, logpath);
    fflush(stdout);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        setenv("YUN_IMAGE_CACHE", cache, 1);
        if (!getenv("YUN_IMAGE_SEED"))
            setenv("YUN_IMAGE_SEED", seed, 1);
        execl(recipe, recipe, out, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", recipe, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[4096], last[8][512];
    int nlast = 0;
    while (in && fgets(line, sizeof line, in)) {
        fputs(line, logf);
        fflush(logf);
        line[strcspn(line, "\n")] = 0;
        snprintf(last[nlast++ % 8], sizeof last[0], "%.511s", line);
        if (!strncmp(line, "yun-image: ", 11)) {
            double t = now_s() - t0;
            printf("[%3d:%02d] %s\n", (int)t / 60, (int)t % 60, line + 11);
            fflush(stdout);
        } else if (verbose) {
            printf("         %s\n", line);
        }
    }
    if (in)
        fclose(in);
    fclose(logf);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "yun admin images: the %s recipe failed (exit %d); its last lines:\n", name,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        for (int i = nlast > 8 ? nlast - 8 : 0; i < nlast; i++)
            fprintf(stderr, "  %s\n", last[i % 8]);
        store_close(s);
        return 1;
    }
    char id[20], err[400];
    if (catalog_register_image(s, name, out, id, err, sizeof err) != 0) {
        fprintf(stderr, "yun admin images: %s\n", err);
        store_close(s);
        return 1;
    }
    store_close(s);
    printf("{\"Name\": \"%s\", \"ImageId\": \"%s\", \"ImageType\": \"PUBLIC_IMAGE\", \"Seconds\": %.1f}\n", name, id,
           now_s() - t0);
    return 0;
}

/* One line per blueprint recipe (and per built image without one): name, registration, manifest. */
static int list(int argc, char **argv)
{
    char repo[PATH_MAX], dir[PATH_MAX + 32];
    struct config cfg;
    struct store *s;
    if (repo_dir(repo, sizeof repo) != 0 || cli_open_data(argc, argv, &cfg, &s) != 0)
        return 1;
    snprintf(dir, sizeof dir, "%s/images/recipes", repo);
    char names[64][48];
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 64) {
        size_t l = strlen(e->d_name);
        if (l > 3 && !strcmp(e->d_name + l - 3, ".sh") && l - 3 < sizeof names[0]) {
            snprintf(names[n], sizeof names[n], "%.*s", (int)(l - 3), e->d_name);
            n++;
        }
    }
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    for (int i = -1; i < n; i++) {
        const char *name = i < 0 ? "tiny" : names[i];
        char mpath[PATH_MAX + 128], id[20] = "";
        snprintf(mpath, sizeof mpath, "%s/images/%s/manifest.json", cfg.data_dir, name);
        json_t *m = json_load_file(mpath, 0, NULL);
        int reg = catalog_builtin_id(s, name, id) == STORE_FOUND;
        char state[32] = "";
        if (reg) {
            struct store_stmt *q = store_query(s, "SELECT state FROM images WHERE image_id = ?", "s", id);
            if (q && store_step(q) == 1)
                snprintf(state, sizeof state, "%s", store_text(q, 0));
            store_done(q);
        }
        json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "Name", name, "Built", m || (i < 0 && reg) ? "yes" : "no", "ImageId",
                              id, "ImageState", state);
        if (m) {
            json_object_set(j, "BlueprintType", json_object_get(m, "blueprint_type"));
            json_object_set(j, "DisplayName", json_object_get(m, "display_name"));
            json_object_set(j, "Scene", json_object_get(m, "scene"));
            json_object_set(j, "Version", json_object_get(m, "version"));
        }
        char *text = json_dumps(j, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
        json_decref(j);
        json_decref(m);
    }
    store_close(s);
    return 0;
}

int cli_admin_images(int argc, char **argv)
{
    const char *verb = positional(argc, argv, 0);
    if (verb && !strcmp(verb, "list"))
        return list(argc, argv);
    if (verb && !strcmp(verb, "build") && positional(argc, argv, 1))
        return build(argc, argv, positional(argc, argv, 1));
    fprintf(stderr, "usage: yun admin images --data DIR build NAME [--verbose]\n"
                    "       yun admin images --data DIR list\n");
    return 2;
}
