/*
 * report: the shape of what a host says on its session (compute/host_channel.h), written once for
 * the realiser of a joined host (realise.c, agent.c) and the simulated hosts of a scale test
 * (simulate.c), so a simulated host's report is the real one's and host_doc.c's rules apply to it
 * unchanged.
 */
#include "host/report.h"

json_t *host_report_item(const char *id, const char *for_state, const char *seen, const char *request,
                         const char *detail)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "InstanceId", id, "For", for_state ? for_state : "", "Seen", seen,
                     "Request", request ? request : "", "Detail", detail ? detail : "");
}

json_t *host_report_new(const char *done_version, json_t *items)
{
    return json_pack("{s:s,s:o}", "Done", done_version, "Instances", items);
}

json_t *host_heartbeat_msg(const char *have, json_t *report)
{
    json_t *msg = json_pack("{s:s,s:s}", "op", "heartbeat", "Have", have);
    if (report)
        json_object_set_new(msg, "Report", report);
    return msg;
}
