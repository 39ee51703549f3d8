/*
 * dedicated (service cdc, 2020-12-14): dedicated clusters. A site is a customer's machine room; a
 * dedicated cluster (CDC) belongs to one site and one zone; the operator assigns physical hosts to
 * it (`yun admin hosts assign HOST --cluster ID`), and only the cluster's owner launches there
 * (RunInstances DedicatedClusterId, InstanceChargeType CDCPAID, placed by compute's scheduler on
 * the cluster's pool). Hosts stay compute's rows; this service owns sites and clusters.
 */
#ifndef YUN_DEDICATED_H
#define YUN_DEDICATED_H

#include "api/api.h"

#define CDC "2020-12-14"

int dedicated_migrate(struct store *s, char *err, size_t errlen);
void dedicated_register(void);
/* The zone of owner's cluster: 1 found, 0 not (or another account's), -1 error. */
int dedicated_cluster_zone(struct store *s, const char *owner_uin, const char *cluster_id, char zone[64]);
/* The operator's view (no tenancy): the cluster's owner and zone; 1, 0, -1. */
int dedicated_cluster_owner(struct store *s, const char *cluster_id, char owner[24], char zone[64]);

#endif
