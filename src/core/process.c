/*
 * process: runs a program to completion (fork/exec of an argument vector, never a shell), with
 * optional stdin text, its stdout captured, and its stderr put into err when it fails. The one way
 * yun runs ip, nft, qemu-img and the image recipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"

/* Runs argv; stdin from `input` (may be NULL), stdout into out (may be NULL). 0 if exit status 0. */
int run_command(char *const argv[], const char *input, char *out, size_t outlen, char *err, size_t errlen)
{
    int in_pipe[2] = {-1, -1}, out_pipe[2], err_pipe[2];
    if ((input && pipe2(in_pipe, O_CLOEXEC) != 0) || pipe2(out_pipe, O_CLOEXEC) != 0 ||
        pipe2(err_pipe, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(input ? in_pipe[0] : devnull, 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        sigset_t none; /* the daemon blocks SIGTERM/SIGINT in every thread; a child must not inherit that */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (input) {
        close(in_pipe[0]);
        size_t len = strlen(input), off = 0;
        while (off < len) {
            ssize_t w = write(in_pipe[1], input + off, len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        close(in_pipe[1]);
    }
    /* outputs are small; read stdout fully, then stderr */
    size_t n = 0;
    char sink[4096];
    for (;;) {
        char *dst = out && n + 1 < outlen ? out + n : sink;
        size_t room = out && n + 1 < outlen ? outlen - n - 1 : sizeof sink;
        ssize_t r = read(out_pipe[0], dst, room);
        if (r <= 0)
            break;
        if (dst != sink)
            n += (size_t)r;
    }
    if (out)
        out[n] = 0;
    char ebuf[1024];
    size_t en = 0;
    for (;;) {
        ssize_t r = read(err_pipe[0], en + 1 < sizeof ebuf ? ebuf + en : sink,
                         en + 1 < sizeof ebuf ? sizeof ebuf - en - 1 : sizeof sink);
        if (r <= 0)
            break;
        if (en + 1 < sizeof ebuf)
            en += (size_t)r;
    }
    ebuf[en < sizeof ebuf ? en : sizeof ebuf - 1] = 0;
    close(out_pipe[0]);
    close(err_pipe[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char cmd[256] = "";
    size_t c = 0;
    for (int i = 0; argv[i] && c < sizeof cmd - 2; i++)
        c += (size_t)snprintf(cmd + c, sizeof cmd - c, "%s%s", i ? " " : "", argv[i]);
    snprintf(err, errlen, "`%.200s` failed: %.300s", cmd, ebuf);
    return -1;
}
