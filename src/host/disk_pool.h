/*
 * disk_pool: system disks made ahead of the launches that need them. A launch's qcow2 overlay of its
 * image (a qemu-img process: ~12 ms on an idle host, several times that on a busy one) sits on the
 * boot's critical path; the pool keeps one ready overlay per recent (base file, size) and hands it
 * over with a rename, then makes the next one in the background.
 */
#ifndef YUN_HOST_DISK_POOL_H
#define YUN_HOST_DISK_POOL_H

#include <stddef.h>

/* The pool in dir (on the instances' filesystem, made 0700), emptied: 0, or -1 with err. */
int disk_pool_init(const char *dir, char *err, size_t errlen);
/* An overlay of base (size_bytes, 0 = the base's size) at dest: 1 taken from the pool, 0 made now (the
 * pool had none), -1 with err. Either way the pool makes the next one of that key in the background.
 * Without disk_pool_init, always made now. */
int disk_pool_take(const char *base, long long size_bytes, const char *dest, char *err, size_t errlen);
/* Waits for the overlay being made, if any, and stops the background thread (init starts it again). */
void disk_pool_stop(void);

#endif
