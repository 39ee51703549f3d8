/*
 * codes: the error codes every service (the request path and the codes all products share) answers, by Tencent's names.
 * Code uses these names, never the literals, so a misspelt code does not compile.
 */
#ifndef YUN_API_CODES_H
#define YUN_API_CODES_H

#define E_AUTH_FAILURE                             "AuthFailure"
#define E_AUTH_FAILURE_INVALID_AUTHORIZATION       "AuthFailure.InvalidAuthorization"
#define E_AUTH_FAILURE_SECRET_ID_NOT_FOUND         "AuthFailure.SecretIdNotFound"
#define E_AUTH_FAILURE_SIGNATURE_EXPIRE            "AuthFailure.SignatureExpire"
#define E_AUTH_FAILURE_SIGNATURE_FAILURE           "AuthFailure.SignatureFailure"
#define E_AUTH_FAILURE_TOKEN_FAILURE               "AuthFailure.TokenFailure"
#define E_INTERNAL_ERROR                           "InternalError"
#define E_INVALID_ACTION                           "InvalidAction"
#define E_INVALID_FILTER                           "InvalidFilter"
#define E_INVALID_INSTANCE_ID_NOT_FOUND            "InvalidInstanceId.NotFound"
#define E_INVALID_PARAMETER                        "InvalidParameter"
#define E_INVALID_PARAMETER_COEXIST                "InvalidParameter.Coexist"
#define E_INVALID_PARAMETER_FILTER_INVALID_KEY     "InvalidParameter.FilterInvalidKey"
#define E_INVALID_PARAMETER_VALUE                  "InvalidParameterValue"
#define E_INVALID_PARAMETER_VALUE_SUBNET_NOT_EXIST "InvalidParameterValue.SubnetNotExist"
#define E_LIMIT_EXCEEDED                           "LimitExceeded"
#define E_MISSING_PARAMETER                        "MissingParameter"
#define E_REQUEST_LIMIT_EXCEEDED                   "RequestLimitExceeded"
#define E_REQUEST_SIZE_LIMIT_EXCEEDED              "RequestSizeLimitExceeded"
#define E_RESOURCE_IN_USE                          "ResourceInUse"
#define E_RESOURCE_INSUFFICIENT                    "ResourceInsufficient"
#define E_RESOURCE_NOT_FOUND                       "ResourceNotFound"
#define E_UNAUTHORIZED_OPERATION                   "UnauthorizedOperation"
#define E_UNKNOWN_PARAMETER                        "UnknownParameter"
#define E_UNSUPPORTED_OPERATION                    "UnsupportedOperation"
#define E_UNSUPPORTED_PROTOCOL                     "UnsupportedProtocol"
#define E_UNSUPPORTED_REGION                       "UnsupportedRegion"

#endif
