/*
 * codes: the error codes vpc (network) answers, by Tencent's names. Code uses these
 * names, never the literals, so a misspelt code does not compile. Codes every service shares are in api/codes.h.
 */
#ifndef YUN_NETWORK_CODES_H
#define YUN_NETWORK_CODES_H

#define E_INVALID_ADDRESS_ID_NOT_FOUND                     "InvalidAddressId.NotFound"
#define E_INVALID_ADDRESS_ID_STATUS_NOT_PERMIT             "InvalidAddressIdStatus.NotPermit"
#define E_INVALID_INSTANCE_ID_ALREADY_BIND_EIP             "InvalidInstanceId.AlreadyBindEip"
#define E_INVALID_NETWORK_INTERFACE_ID_NOT_FOUND           "InvalidNetworkInterfaceId.NotFound"
#define E_INVALID_PARAMETER_CONFLICT                       "InvalidParameterConflict"
#define E_INVALID_PARAMETER_VALUE_ADDRESS_ID_MALFORMED     "InvalidParameterValue.AddressIdMalformed"
#define E_INVALID_PARAMETER_VALUE_EMPTY                    "InvalidParameterValue.Empty"
#define E_INVALID_PARAMETER_VALUE_MALFORMED                "InvalidParameterValue.Malformed"
#define E_INVALID_PARAMETER_VALUE_MISSING_ASSOCIATE_ENTITY "InvalidParameterValue.MissingAssociateEntity"
#define E_INVALID_PARAMETER_VALUE_RANGE                    "InvalidParameterValue.Range"
#define E_INVALID_PARAMETER_VALUE_SUBNET_CONFLICT          "InvalidParameterValue.SubnetConflict"
#define E_INVALID_PARAMETER_VALUE_SUBNET_RANGE             "InvalidParameterValue.SubnetRange"
#define E_INVALID_PARAMETER_VALUE_UNAVAILABLE_ZONE         "InvalidParameterValue.UnavailableZone"
#define E_INVALID_SECURITY_GROUP_CAPITAL_ID_NOT_FOUND      "InvalidSecurityGroupID.NotFound"
#define E_INVALID_SECURITY_GROUP_ID_NOT_FOUND              "InvalidSecurityGroupId.NotFound"
#define E_LIMIT_EXCEEDED_ADDRESS_QUOTA_LIMIT_EXCEEDED      "LimitExceeded.AddressQuotaLimitExceeded"
#define E_LIMIT_EXCEEDED_SECURITY_GROUP_POLICY_SET         "LimitExceeded.SecurityGroupPolicySet"
#define E_RESOURCE_IN_USE_ADDRESS                          "ResourceInUse.Address"
#define E_RESOURCE_INSUFFICIENT_CIDR_BLOCK                 "ResourceInsufficient.CidrBlock"
#define E_RESOURCE_INSUFFICIENT_SUBNET                     "ResourceInsufficient.Subnet"
#define E_UNSUPPORTED_OPERATION_ADDRESS_STATUS_NOT_PERMIT  "UnsupportedOperation.AddressStatusNotPermit"
#define E_UNSUPPORTED_OPERATION_DUPLICATE_POLICY           "UnsupportedOperation.DuplicatePolicy"
#define E_UNSUPPORTED_OPERATION_VERSION_MISMATCH           "UnsupportedOperation.VersionMismatch"

#endif
