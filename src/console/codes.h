/* codes: the console's answers, in Tencent's style where an API code fits. */
#ifndef YUN_CONSOLE_CODES_H
#define YUN_CONSOLE_CODES_H

#define E_CONSOLE_LOGIN_FAILED  "AuthFailure.LoginFailed" /* unknown account or wrong password */
#define E_CONSOLE_NO_CONSOLE    "AuthFailure.ConsoleLoginDisabled"
#define E_CONSOLE_MFA_REQUIRED  "AuthFailure.MFARequired"
#define E_CONSOLE_MFA_WRONG     "AuthFailure.MFACodeWrong"
#define E_CONSOLE_NOT_SIGNED_IN "AuthFailure.NotSignedIn"
#define E_CONSOLE_CSRF          "AuthFailure.CSRFTokenInvalid"
#define E_CONSOLE_ORIGIN        "AuthFailure.OriginNotAllowed"
#define E_CONSOLE_LOCKED        "RequestLimitExceeded.LoginAttempts"
#define E_CONSOLE_BUSY          "RequestLimitExceeded"
#define E_CONSOLE_BAD_REQUEST   "InvalidParameter"
#define E_CONSOLE_TOO_LARGE     "RequestSizeLimitExceeded"
#define E_CONSOLE_NOT_FOUND     "ResourceNotFound"
#define E_CONSOLE_INTERNAL      "InternalError"
#define E_CONSOLE_UNSUPPORTED   "UnsupportedOperation"

#endif
