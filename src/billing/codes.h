/*
 * codes: the error codes billing answers, by Tencent's names. Codes every service shares are in
 * api/codes.h.
 */
#ifndef YUN_BILLING_CODES_H
#define YUN_BILLING_CODES_H

#define E_INSUFFICIENT_BALANCE     "InvalidAccount.InsufficientBalance"
#define E_FAILED_OPERATION_PRICE   "FailedOperation.InquiryPriceFailed"
#define E_INVALID_PERIOD           "InvalidPeriod"
#define E_FAILED_OPERATION_ARREARS "FailedOperation.AccountArrears"

#endif
