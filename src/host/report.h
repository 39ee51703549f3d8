/* report: what a host tells the control plane of its instances (report.c). */
#ifndef YUN_HOST_REPORT_H
#define YUN_HOST_REPORT_H

#include <jansson.h>

/* One instance of a report: what the host saw (seen) after acting for the state for_state of request. */
json_t *host_report_item(const char *id, const char *for_state, const char *seen, const char *request,
                         const char *detail);
/* A pass's report: the version of the document it acted on (Done) and its items (taken). */
json_t *host_report_new(const char *done_version, json_t *items);
/* A heartbeat: the version the host holds, its last report (taken; NULL before its first pass). */
json_t *host_heartbeat_msg(const char *have, json_t *report);

#endif
