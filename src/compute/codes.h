/*
 * codes: the error codes cvm (compute) answers, by Tencent's names. Code uses these
 * names, never the literals, so a misspelt code does not compile. Codes every service shares are in api/codes.h.
 */
#ifndef YUN_COMPUTE_CODES_H
#define YUN_COMPUTE_CODES_H

#define E_FAILED_OPERATION                                   "FailedOperation"
#define E_FAILED_OPERATION_DISASTER_RECOVER_GROUP_NOT_FOUND  "FailedOperation.DisasterRecoverGroupNotFound"
#define E_FAILED_OPERATION_PLACEMENT_SET_NOT_EMPTY           "FailedOperation.PlacementSetNotEmpty"
#define E_INVALID_ACCOUNT_INSUFFICIENT_BALANCE               "InvalidAccount.InsufficientBalance"
#define E_INVALID_IMAGE_ID_NOT_FOUND                         "InvalidImageId.NotFound"
#define E_INVALID_IMAGE_STATE                                "InvalidImageState"
#define E_INVALID_KEY_PAIR_ID_NOT_FOUND                      "InvalidKeyPairId.NotFound"
#define E_INVALID_KEY_PAIR_NAME                              "InvalidKeyPairName"
#define E_INVALID_KEY_PAIR_NAME_DUPLICATE                    "InvalidKeyPairName.Duplicate"
#define E_INVALID_PARAMETER_VALUE_DR_GROUP_ID_MALFORMED      "InvalidParameterValue.DisasterRecoverGroupIdMalformed"
#define E_INVALID_PARAMETER_VALUE_INSTANCE_TYPE_NOT_FOUND    "InvalidParameterValue.InstanceTypeNotFound"
#define E_INVALID_IMAGE_FOR_INSTANCE_TYPE                    "InvalidParameterValue.InvalidImageForGivenInstanceType"
#define E_INVALID_PARAMETER_VALUE_INVALID_USER_DATA_FORMAT   "InvalidParameterValue.InvalidUserDataFormat"
#define E_INVALID_PARAMETER_VALUE_SYSTEM_DISK_SIZE_TOO_SMALL "InvalidParameterValue.SystemDiskSizeTooSmall"
#define E_INVALID_PARAMETER_VALUE_TOO_LONG                   "InvalidParameterValue.TooLong"
#define E_INVALID_PARAMETER_VALUE_VPC_ID_NOT_MATCH_SUBNET_ID "InvalidParameterValue.VpcIdNotMatchSubnetId"
#define E_INVALID_PARAMETER_VALUE_VPC_ID_ZONE_ID_NOT_MATCH   "InvalidParameterValue.VpcIdZoneIdNotMatch"
#define E_INVALID_PASSWORD                                   "InvalidPassword"
#define E_INVALID_PUBLIC_KEY_MALFORMED                       "InvalidPublicKey.Malformed"
#define E_INVALID_ZONE_MISMATCH_REGION                       "InvalidZone.MismatchRegion"
#define E_LIMIT_EXCEEDED_DISASTER_RECOVER_GROUP              "LimitExceeded.DisasterRecoverGroup"
#define E_LIMIT_EXCEEDED_INSTANCE_QUOTA                      "LimitExceeded.InstanceQuota"
#define E_RESOURCE_INSUFFICIENT_DR_GROUP_CVM_QUOTA           "ResourceInsufficient.DisasterRecoverGroupCvmQuota"
#define E_RESOURCE_UNAVAILABLE                               "ResourceUnavailable"
#define E_RESOURCE_INSUFFICIENT_SPECIFIED_INSTANCE_TYPE      "ResourceInsufficient.SpecifiedInstanceType"
#define E_RESOURCE_NOT_FOUND_INVALID_PLACEMENT_SET           "ResourceNotFound.InvalidPlacementSet"
#define E_UNSUPPORTED_OPERATION_INSTANCE_CHARGE_TYPE         "UnsupportedOperation.InstanceChargeType"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE               "UnsupportedOperation.InstanceState"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE_ISOLATING     "UnsupportedOperation.InstanceStateIsolating"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE_LAUNCH_FAILED "UnsupportedOperation.InstanceStateLaunchFailed"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE_PENDING       "UnsupportedOperation.InstanceStatePending"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE_REBOOTING     "UnsupportedOperation.InstanceStateRebooting"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE_RUNNING       "UnsupportedOperation.InstanceStateRunning"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE_SHUTDOWN      "UnsupportedOperation.InstanceStateShutdown"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE_STARTING      "UnsupportedOperation.InstanceStateStarting"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE_STOPPED       "UnsupportedOperation.InstanceStateStopped"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE_STOPPING      "UnsupportedOperation.InstanceStateStopping"
#define E_UNSUPPORTED_OPERATION_INSTANCE_STATE_TERMINATING   "UnsupportedOperation.InstanceStateTerminating"

#endif
