/*
 * codes: the error codes the organization service answers, by Tencent's names (its
 * organization error list); the codes every service shares are in api/codes.h.
 */
#ifndef YUN_ORGANIZATION_CODES_H
#define YUN_ORGANIZATION_CODES_H

#include "api/codes.h"

#define E_ORG_EXISTS           "FailedOperation.OrganizationExistAlready"
#define E_ORG_NOT_EXIST        "ResourceNotFound.OrganizationNotExist"
#define E_ORG_NOT_MANAGER      "UnauthorizedOperation" /* a member asks what only the management account may */
#define E_ORG_IN_ORGANIZATION  "FailedOperation.AccountAlreadyInOrganization"
#define E_ORG_NODE_NOT_EXIST   "ResourceNotFound.OrganizationNodeNotExist"
#define E_ORG_NODE_NAME_USED   "FailedOperation.OrganizationNodeNameUsed"
#define E_ORG_NODE_NOT_EMPTY   "FailedOperation.OrganizationNodeNotEmpty"
#define E_ORG_NODE_ROOT        "FailedOperation.OrganizationNodeDeleteRoot"
#define E_ORG_MEMBER_NOT_EXIST "ResourceNotFound.OrganizationMemberNotExist"
#define E_ORG_MEMBER_NAME_USED "FailedOperation.OrganizationMemberNameUsed"
#define E_ORG_POLICY_NOT_EXIST "ResourceNotFound.PolicyNotExist"
#define E_ORG_POLICY_NAME_USED "FailedOperation.PolicyNameInUse"
#define E_ORG_POLICY_IN_USE    "FailedOperation.PolicyInUse"
#define E_ORG_POLICY_BAD       "InvalidParameter.PolicyDocument"
#define E_ORG_POLICY_ATTACHED  "FailedOperation.PolicyAttachedAlready"
#define E_ORG_POLICY_NOT_BOUND "FailedOperation.PolicyNotAttached"
#define E_ORG_POLICY_TYPE      "FailedOperation.PolicyTypeNotEnabled"
#define E_ORG_TAG_POLICY       "UnsupportedOperation.TagPolicy" /* yun: tag policies are not evaluated */
#define E_ORG_NODE_DEPTH       "LimitExceeded.NodeDepthExceedLimit"

#endif
