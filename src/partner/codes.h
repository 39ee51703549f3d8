/*
 * codes: the error codes the partners service answers, by Tencent's names. Codes every service
 * shares are in api/codes.h; a transfer the balance does not cover answers billing's code.
 */
#ifndef YUN_PARTNER_CODES_H
#define YUN_PARTNER_CODES_H

#include "api/codes.h"
#include "billing/codes.h"

#define E_PARTNER_NOT_PARTNER      E_UNAUTHORIZED_OPERATION /* the caller is no partner (a customer, say) */
#define E_PARTNER_SECOND_LEVEL     "UnauthorizedOperation.SecondLevelReseller"
#define E_PARTNER_CLIENT_UNKNOWN   E_RESOURCE_NOT_FOUND /* not this partner's customer (or applicant) */
#define E_PARTNER_BAD_CODE         "InvalidParameterValue.InvitationCode"
#define E_PARTNER_ALREADY_BOUND    "FailedOperation.ClientAlreadyBound"
#define E_PARTNER_NOTE_REQUIRED    "InvalidParameterValue.NoteRequired"
#define E_PARTNER_BELOW_OWN        "InvalidParameterValue.DiscountBelowPartner"
#define E_PARTNER_FAILED           "FailedOperation"
#define E_INTL_INSUFFICIENT_CREDIT "FailedOperation.InsufficientCredit" /* yun's: Tencent lists none */

#endif
