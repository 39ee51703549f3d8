/* realise: what a joined host does with the documents it is told (realise.c). */
#ifndef YUN_HOST_REALISE_H
#define YUN_HOST_REALISE_H

#include <stddef.h>

#include <jansson.h>

#include "host/metadata_listen.h"

/* A host's realiser: a joined host's (agent.c: image parts and metadata answers asked over the channel, ask.c) or
 * the built-in host's (compute/host_local.c: the same, answered in-process). */
struct realise_conf {
    const char *data;  /* DIR: instances/, images/, disks/, snapshots/, migration-tls/ */
    const char *accel; /* kvm or tcg; NULL: detected */
    int boot_limit;    /* guests booting at once (from QEMU's start to their ready marker); 0: the host's cores */
    int own_network;   /* the network is this host's alone: its plan is applied even when it names no instance */
    /* DIR/images/IMAGE/PART or wherever the part is (path set): 0, or -1 with err */
    int (*image_part)(const char *image, const char *part, char *path, size_t len, char *err, size_t errlen);
    host_md_fn metadata; /* what the VPCs' metadata listeners answer */
    void (*wake)(void);  /* called after a pass that changed the report */
};
/* Acting on the documents offered (realise_offer). */
int realise_start(const struct realise_conf *conf);
void realise_offer(json_t *doc, const char *version); /* the newest document (a reference is taken) */
json_t *realise_report(char have[]);                  /* the last pass's report (NULL: none yet), the version held */
int realise_urgent(void); /* 1: a migration here waits on the control plane (heartbeat often) */
void realise_stop(void);
/* NULL when an instance spec of a document is one this host would act on, else why not (the simulated hosts'
 * check, simulate.c, is this one). */
const char *realise_spec_check(json_t *spec);

#endif
