/*
 * lighthouse (service lighthouse, 2020-03-24): the small-business servers sold as a bundle (a plan
 * with a monthly price) and a blueprint (an image, plain or with an application). A lighthouse
 * instance is a real yun instance: lighthouse builds it from cvm's and vpc's own action rows (an
 * instance in the account's default VPC, its own security group as the firewall, an EIP as its
 * public address) inside the request's transaction, and bills it as one prepaid order of its own.
 */
#ifndef YUN_LIGHTHOUSE_H
#define YUN_LIGHTHOUSE_H

#include "api/api.h"

#define LIGHTHOUSE "2020-03-24"

/* lighthouse.c: life cycle (migrations, then the default bundle prices in billing's price book) */
int lighthouse_migrate(struct store *s, char *err, size_t errlen);
void lighthouse_register(void);

#endif
