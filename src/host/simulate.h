/* simulate: many simulated hosts in one process, for scale tests only (`yun host simulate`, simulate.c). */
#ifndef YUN_HOST_SIMULATE_H
#define YUN_HOST_SIMULATE_H

struct sim_options {
    const char *control; /* HOST:PORT[,HOST:PORT...] */
    const char *tokens;  /* a file of join tokens, one a line: the i-th joins the i-th host */
    const char *data;    /* DIR: host i's identity in DIR/h<i> */
    const char *zones;   /* Z1,Z2,...: host i joins in the (i mod n)-th; NULL: the region's first */
    int count;           /* hosts */
    int cores;           /* each host's facts */
    long long memory_mib;
    int boot_ms;           /* how long a simulated boot takes (PENDING/STARTING -> RUNNING) */
    int threads;           /* event loops, each driving every threads-th host */
    const char *bind_from; /* NULL, or an IPv4 address: host i connects from it + i (its underlay) */
};

/* Joins the hosts that hold no identity yet, then runs them all until SIGTERM/SIGINT; the exit status. */
int host_simulate_run(const struct sim_options *o);

#endif
