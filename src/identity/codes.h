/*
 * codes: the error codes cam (identity) answers, by Tencent's names. Code uses these
 * names, never the literals, so a misspelt code does not compile. sts (AssumeRole) answers from here too. Codes every
 * service shares are in api/codes.h.
 */
#ifndef YUN_IDENTITY_CODES_H
#define YUN_IDENTITY_CODES_H

#define E_FAILED_OPERATION_POLICY_NAME_IN_USE       "FailedOperation.PolicyNameInUse"
#define E_INTERNAL_ERROR_SYSTEM_ERROR               "InternalError.SystemError"
#define E_INVALID_PARAMETER_PASSWORD_VIOLATED_RULES "InvalidParameter.PasswordViolatedRules"
#define E_INVALID_PARAMETER_POLICY_DOCUMENT_ERROR   "InvalidParameter.PolicyDocumentError"
#define E_INVALID_PARAMETER_OVER_TIME_ERROR         "InvalidParameter.OverTimeError"
#define E_INVALID_PARAMETER_PARAM_ERROR             "InvalidParameter.ParamError"
#define E_INVALID_PARAMETER_PRINCIPAL_ERROR         "InvalidParameter.PrincipalError"
#define E_INVALID_PARAMETER_RESOUCE_ERROR           "InvalidParameter.ResouceError" /* sts's own spelling */
#define E_INVALID_PARAMETER_ROLE_FULL               "InvalidParameter.RoleFull"
#define E_INVALID_PARAMETER_ROLE_NAME_ERROR         "InvalidParameter.RoleNameError"
#define E_INVALID_PARAMETER_ROLE_NAME_IN_USE        "InvalidParameter.RoleNameInUse"
#define E_INVALID_PARAMETER_ROLE_NOT_EXIST          "InvalidParameter.RoleNotExist"
#define E_INVALID_PARAMETER_STRATEGY_FORMAT_ERROR   "InvalidParameter.StrategyFormatError"
#define E_INVALID_PARAMETER_SUB_USER_NAME_IN_USE    "InvalidParameter.SubUserNameInUse"
#define E_INVALID_PARAMETER_USER_NAME_ILLEGAL       "InvalidParameter.UserNameIllegal"
#define E_OPERATION_DENIED_ACCESS_KEY_OVER_LIMIT    "OperationDenied.AccessKeyOverLimit"
#define E_OPERATION_DENIED_HAVE_KEYS                "OperationDenied.HaveKeys"
#define E_RESOURCE_NOT_FOUND_NOT_FOUND              "ResourceNotFound.NotFound"
#define E_RESOURCE_NOT_FOUND_POLICY_ID_NOT_FOUND    "ResourceNotFound.PolicyIdNotFound"
#define E_RESOURCE_NOT_FOUND_ROLE_NOT_FOUND         "ResourceNotFound.RoleNotFound" /* sts */
#define E_RESOURCE_NOT_FOUND_USER_NOT_EXIST         "ResourceNotFound.UserNotExist"

#endif
