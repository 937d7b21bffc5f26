package iam

import "github.com/wharf-dev/wharf/internal/awsapi"

// API describes the IAM API for the gateway: awsQuery with Version 2010-05-08, SigV4
// name "iam", XML responses in AWS's namespace.
func (s *Service) API() *awsapi.Service {
	ops := []awsapi.Operation{
		awsapi.Op("CreateUser", s.CreateUser),
		awsapi.Op("GetUser", s.GetUser),
		awsapi.Op("ListUsers", s.ListUsers),
		awsapi.Op("UpdateUser", s.UpdateUser),
		awsapi.Op("DeleteUser", s.DeleteUser),
		awsapi.Op("TagUser", s.TagUser),
		awsapi.Op("UntagUser", s.UntagUser),
		awsapi.Op("ListUserTags", s.ListUserTags),

		awsapi.Op("CreateAccessKey", s.CreateAccessKey),
		awsapi.Op("ListAccessKeys", s.ListAccessKeys),
		awsapi.Op("UpdateAccessKey", s.UpdateAccessKey),
		awsapi.Op("DeleteAccessKey", s.DeleteAccessKey),
		awsapi.Op("GetAccessKeyLastUsed", s.GetAccessKeyLastUsed),

		awsapi.Op("CreatePolicy", s.CreatePolicy),
		awsapi.Op("GetPolicy", s.GetPolicy),
		awsapi.Op("ListPolicies", s.ListPolicies),
		awsapi.Op("DeletePolicy", s.DeletePolicy),
		awsapi.Op("CreatePolicyVersion", s.CreatePolicyVersion),
		awsapi.Op("GetPolicyVersion", s.GetPolicyVersion),
		awsapi.Op("ListPolicyVersions", s.ListPolicyVersions),
		awsapi.Op("DeletePolicyVersion", s.DeletePolicyVersion),
		awsapi.Op("SetDefaultPolicyVersion", s.SetDefaultPolicyVersion),

		awsapi.Op("CreateGroup", s.CreateGroup),
		awsapi.Op("GetGroup", s.GetGroup),
		awsapi.Op("ListGroups", s.ListGroups),
		awsapi.Op("DeleteGroup", s.DeleteGroup),
		awsapi.Op("AddUserToGroup", s.AddUserToGroup),
		awsapi.Op("RemoveUserFromGroup", s.RemoveUserFromGroup),
		awsapi.Op("ListGroupsForUser", s.ListGroupsForUser),

		awsapi.Op("CreateRole", s.CreateRole),
		awsapi.Op("GetRole", s.GetRole),
		awsapi.Op("ListRoles", s.ListRoles),
		awsapi.Op("DeleteRole", s.DeleteRole),
		awsapi.Op("UpdateRole", s.UpdateRole),
		awsapi.Op("UpdateAssumeRolePolicy", s.UpdateAssumeRolePolicy),
		awsapi.Op("TagRole", s.TagRole),
		awsapi.Op("UntagRole", s.UntagRole),
		awsapi.Op("ListRoleTags", s.ListRoleTags),

		awsapi.Op("GetAccountSummary", s.GetAccountSummary),
	}
	ops = append(ops, s.policyOps(userKind, "User")...)
	ops = append(ops, s.policyOps(groupKind, "Group")...)
	ops = append(ops, s.policyOps(roleKind, "Role")...)
	return &awsapi.Service{
		SigningName:  "iam",
		QueryVersion: "2010-05-08",
		XMLNamespace: "https://iam.amazonaws.com/doc/2010-05-08/",
		Protocols:    []awsapi.Protocol{awsapi.Query},
		ResourceTags: s.ResourceTags,
		Operations:   s.withResources(awsapi.Operations(ops...)),
	}
}
