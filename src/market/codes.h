/* codes: the error codes the market service answers (shared ones are in api/codes.h). */
#ifndef YUN_MARKET_CODES_H
#define YUN_MARKET_CODES_H

#include "api/codes.h"

#define E_MARKET_NOT_ISV       E_UNAUTHORIZED_OPERATION
#define E_MARKET_NOT_FOUND     E_RESOURCE_NOT_FOUND
#define E_MARKET_BAD_TEMPLATE  E_INVALID_PARAMETER       /* the template itself is malformed */
#define E_MARKET_BAD_PARAMETER E_INVALID_PARAMETER_VALUE /* a deployment parameter breaks its constraint */
#define E_MARKET_WRONG_STATE   "FailedOperation.InvalidState"
#define E_MARKET_FAILED        "FailedOperation"

#endif
