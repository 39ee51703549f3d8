/*
 * qmp.h - a small synchronous QMP (QEMU Machine Protocol) client over a unix socket.
 * One connection per operation: QEMU serves one QMP client at a time, so callers open, execute, close.
 */
#ifndef YUN_HOST_QMP_H
#define YUN_HOST_QMP_H

#include <jansson.h>
#include <stddef.h>

struct qmp {
    int fd;
    char *buf; /* bytes received but not yet parsed into a message */
    size_t len, cap;
};

/* connect, read the greeting, negotiate capabilities; 0 or -1 with err */
int qmp_open(struct qmp *q, const char *socket_path, int timeout_ms, char *err, size_t errlen);
/* run one command (arguments borrowed, may be NULL); asynchronous events are skipped.
 * On success *ret (if not NULL) owns the "return" value. On a QMP error err holds its desc. */
int qmp_execute(struct qmp *q, const char *command, json_t *arguments, int timeout_ms, json_t **ret, char *err,
                size_t errlen);
void qmp_close(struct qmp *q);

#endif
