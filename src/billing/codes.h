/*
 * codes: the error codes billing answers, by Tencent's names. Codes every service shares are in
 * api/codes.h.
 */
#ifndef YUN_BILLING_CODES_H
#define YUN_BILLING_CODES_H

#define E_INSUFFICIENT_BALANCE     "InvalidAccount.InsufficientBalance"
#define E_BILLING_DEAL_NOT_FOUND   "ResourceNotFound"
#define E_BILLING_DEAL_PAID        "FailedOperation.DealPaid"
#define E_BILLING_DEAL_EXPIRED     "FailedOperation.DealExpired"
#define E_FAILED_OPERATION_PRICE   "FailedOperation.InquiryPriceFailed"
#define E_INVALID_PERIOD           "InvalidPeriod"
#define E_FAILED_OPERATION_ARREARS "FailedOperation.AccountArrears"

#endif
