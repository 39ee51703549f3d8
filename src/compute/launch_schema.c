/*
 * launch_schema: the request fields of a launch, shared by RunInstances and
 * InquiryPriceRunInstances (one table each, so a quote takes exactly what a launch takes).
 */
#include "api/filters.h"
#include "compute/compute.h"

const char *const launch_charge_types[] = {"PREPAID", "POSTPAID_BY_HOUR", "SPOTPAID", "CDHPAID", "CDCPAID", NULL};
const char *const launch_disk_types[] = {"LOCAL_BASIC", "LOCAL_SSD",  "CLOUD_BASIC", "CLOUD_SSD", "CLOUD_PREMIUM",
                                         "CLOUD_BSSD",  "CLOUD_HSSD", "CLOUD_TSSD",  NULL};
const char *const launch_renew_flags[] = {"NOTIFY_AND_AUTO_RENEW", "NOTIFY_AND_MANUAL_RENEW",
                                          "DISABLE_NOTIFY_AND_MANUAL_RENEW", NULL};
const char *const launch_internet_charge[] = {"BANDWIDTH_PREPAID", "TRAFFIC_POSTPAID_BY_HOUR",
                                              "BANDWIDTH_POSTPAID_BY_HOUR", "BANDWIDTH_PACKAGE", NULL};
const struct param launch_placement[] = {P_STR("Zone", P_REQUIRED, 1, 64), P_INT("ProjectId", 0, 0, INT32_MAX),
                                         P_STRS("HostIds", 0, 100, 64), P_END};
const struct param launch_prepaid[] = {P_INT("Period", P_REQUIRED, 1, 60), P_ENUM("RenewFlag", 0, launch_renew_flags),
                                       P_END};
const struct param launch_system_disk[] = {P_ENUM("DiskType", 0, launch_disk_types), P_STR("DiskId", 0, 0, 32),
                                           P_INT("DiskSize", 0, 1, 2048), P_END};
const struct param launch_data_disk[] = {P_INT("DiskSize", P_REQUIRED, 10, 32000),
                                         P_ENUM("DiskType", 0, launch_disk_types),
                                         P_STR("DiskId", 0, 0, 32),
                                         P_BOOL("DeleteWithInstance", 0),
                                         P_STR("SnapshotId", 0, 0, 32),
                                         P_BOOL("Encrypt", 0),
                                         P_END};
const struct param launch_vpc[] = {P_STR("VpcId", P_REQUIRED, 1, 32),   P_STR("SubnetId", P_REQUIRED, 1, 32),
                                   P_BOOL("AsVpcGateway", 0),           P_STRS("PrivateIpAddresses", 0, 100, 16),
                                   P_INT("Ipv6AddressCount", 0, 0, 10), P_END};
const struct param launch_internet[] = {P_ENUM("InternetChargeType", 0, launch_internet_charge),
                                        P_INT("InternetMaxBandwidthOut", 0, 0, 100000), P_BOOL("PublicIpAssigned", 0),
                                        P_STR("BandwidthPackageId", 0, 0, 64), P_END};
const struct param launch_login[] = {P_STR("Password", 0, 0, 64), P_STRS("KeyIds", 0, 1, 32),
                                     P_STR("KeepImageLogin", 0, 0, 8), P_END};
const struct param launch_enabled[] = {P_BOOL("Enabled", 0), P_END};
const struct param launch_enhanced[] = {P_OBJ("SecurityService", 0, launch_enabled),
                                        P_OBJ("MonitorService", 0, launch_enabled),
                                        P_OBJ("AutomationService", 0, launch_enabled), P_END};
