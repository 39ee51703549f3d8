/*
 * codes: the error codes lighthouse answers, by Tencent's names (lighthouse 2020-03-24). Codes
 * every service shares are in api/codes.h.
 */
#ifndef YUN_LIGHTHOUSE_CODES_H
#define YUN_LIGHTHOUSE_CODES_H

#define E_LH_BLUEPRINT_NOT_FOUND       "ResourceNotFound.BlueprintIdNotFound"
#define E_LH_BLUEPRINT_ID_MALFORMED    "InvalidParameterValue.BlueprintIdMalformed"
#define E_LH_BUNDLE_NOT_FOUND          "InvalidParameter.BundleIdNotFound"
#define E_LH_BUNDLE_BLUEPRINT_MISMATCH "InvalidParameterValue.BundleAndBlueprintNotMatch"
#define E_LH_BLUEPRINT_UNAVAILABLE     "ResourceUnavailable.BlueprintUnavailable"
#define E_LH_INSTANCE_NOT_FOUND        "ResourceNotFound.InstanceIdNotFound"
#define E_LH_INSTANCE_ID_MALFORMED     "InvalidParameterValue.InstanceIdMalformed"
#define E_LH_INVALID_ZONE              "InvalidParameterValue.ZoneInvalid"
#define E_LH_INVALID_PASSWORD          "InvalidParameterValue.InvalidPassword"
#define E_LH_PARAMETER_CONFLICT        "InvalidParameter.ParameterConflict"
#define E_LH_INVALID_FILTER            "InvalidParameter.InvalidFilterNotSupportedName"
#define E_LH_INSUFFICIENT_BALANCE      "FailedOperation.InsufficientBalance"
#define E_LH_INVALID_INSTANCE_STATE    "UnsupportedOperation.InvalidInstanceState"
#define E_LH_LATEST_OP_UNFINISHED      "UnsupportedOperation.LatestOperationUnfinished"
#define E_LH_FIREWALL_RULES_EXIST      "InvalidParameter.FirewallRulesExist"
#define E_LH_FIREWALL_RULES_DUPLICATED "InvalidParameter.FirewallRulesDuplicated"
#define E_LH_FIREWALL_RULES_NOT_FOUND  "ResourceNotFound.FirewallRulesNotFound"
#define E_LH_FIREWALL_VERSION_MISMATCH "UnsupportedOperation.FirewallVersionMismatch"
#define E_LH_FIREWALL_RULES_LIMIT      "LimitExceeded.FirewallRulesLimitExceeded"
#define E_LH_FIREWALL_DESC_TOO_LONG    "InvalidParameterValue.FirewallRuleDescriptionTooLong"
#define E_LH_SCENE_NOT_FOUND           "ResourceNotFound.SceneIdNotFound"
#define E_LH_SCENE_ID_MALFORMED        "InvalidParameterValue.InvalidSceneIdMalformed"
#define E_LH_CREATE_FAILED             "FailedOperation.CreateInstancesFailed"
#define E_LH_DOCKER_UNAVAILABLE        "ResourceUnavailable.DockerUnavailable"
#define E_LH_MUST_SPECIFY_ATTRIBUTE    "InvalidParameter.MustSpecifyOneAttributeToModify"
#define E_LH_TRADE_PRICE_FAILED        "FailedOperation.TradeGetPriceFailed"

#endif
