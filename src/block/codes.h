/*
 * codes: the error codes cbs (block storage) answers, by Tencent's names. Code uses these
 * names, never the literals, so a misspelt code does not compile. Codes every service shares are in api/codes.h.
 */
#ifndef YUN_BLOCK_CODES_H
#define YUN_BLOCK_CODES_H

#define E_INTERNAL_ERROR_RESOURCE_OP_FAILED           "InternalError.ResourceOpFailed"
#define E_INVALID_ACCOUNT_INSUFFICIENT_BALANCE        "InvalidAccount.InsufficientBalance"
#define E_INVALID_DISK_ATTACHED                       "InvalidDisk.Attached"
#define E_INVALID_DISK_BUSY                           "InvalidDisk.Busy"
#define E_INVALID_DISK_EXPIRE                         "InvalidDisk.Expire"
#define E_INVALID_DISK_SNAPSHOT_CREATING              "InvalidDisk.SnapshotCreating"
#define E_INVALID_DISK_ID_NOT_FOUND                   "InvalidDiskId.NotFound"
#define E_INVALID_PARAMETER_DISK_CONFIG_NOT_SUPPORTED "InvalidParameter.DiskConfigNotSupported"
#define E_INVALID_PARAMETER_DISK_SIZE_NOT_MATCH       "InvalidParameter.DiskSizeNotMatch"
#define E_INVALID_SNAPSHOT_ID_NOT_FOUND               "InvalidSnapshotId.NotFound"
#define E_LIMIT_EXCEEDED_DISK_QUOTA                   "LimitExceeded.DiskQuota"
#define E_LIMIT_EXCEEDED_DISK_SIZE_QUOTA              "LimitExceeded.DiskSizeQuota"
#define E_LIMIT_EXCEEDED_INSTANCE_ATTACHED_DISK       "LimitExceeded.InstanceAttachedDisk"
#define E_RESOURCE_UNAVAILABLE_ATTACHED               "ResourceUnavailable.Attached"
#define E_RESOURCE_UNAVAILABLE_NOT_PORTABLE           "ResourceUnavailable.NotPortable"
#define E_RESOURCE_UNAVAILABLE_SNAPSHOT_CREATING      "ResourceUnavailable.SnapshotCreating"
#define E_UNSUPPORTED_OPERATION_STATE_ERROR           "UnsupportedOperation.StateError"

#endif
