/*
 * organization (service organization, 2021-03-31): a management account groups member root
 * accounts under a tree of nodes and bounds what every identity of a member may do with service
 * control policies (SCPs) attached to nodes and members. The SCPs are evaluated by identity's one
 * policy engine (src/identity/policy.c) on every API and object-store call; this service owns the
 * tree, the policies and their attachments, and answers identity's question "which SCPs lie on
 * this account's path" (scp.c).
 */
#ifndef YUN_ORGANIZATION_H
#define YUN_ORGANIZATION_H

#include "api/api.h"

#define ORGANIZATION "2021-03-31"

int organization_migrate(struct store *s, char *err, size_t errlen);
void organization_register(void); /* the actions, and the SCP source identity asks */

#endif
