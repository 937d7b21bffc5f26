package iam_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/iam"
)

func TestResources(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	if _, err := e.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/teams/")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), Path: aws.String("/ci/"), AssumeRolePolicyDocument: aws.String(trustAll)}); err != nil {
		t.Fatal(err)
	}
	key, err := e.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	keyID := aws.String(key.AccessKey.AccessKeyId)

	const (
		arn     = "arn:aws:iam::123456789012:"
		alice   = arn + "user/eng/alice"
		devs    = arn + "group/teams/devs"
		role    = arn + "role/ci/deployer"
		policy  = arn + "policy/ops/p"
		managed = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	)
	asAlice := awsapi.WithPrincipal(ctx, awsapi.Principal{AccountID: account, ARN: alice})
	asRoot := awsapi.WithPrincipal(ctx, awsapi.Principal{AccountID: account, ARN: arn + "root", Root: true})
	ops := e.iam.API().Operations

	for _, tc := range []struct {
		op   string
		ctx  context.Context
		in   any
		want []string
	}{
		{"CreateUser", ctx, &iam.CreateUserInput{UserName: aws.String("bob"), Path: aws.String("/ops/")}, []string{arn + "user/ops/bob"}},
		{"CreateUser", ctx, &iam.CreateUserInput{UserName: aws.String("bob")}, []string{arn + "user/bob"}},
		{"GetUser", ctx, &iam.GetUserInput{UserName: aws.String("alice")}, []string{alice}},
		{"GetUser", ctx, &iam.GetUserInput{UserName: aws.String("ALICE")}, []string{alice}},
		{"GetUser", ctx, &iam.GetUserInput{UserName: aws.String("ghost")}, []string{arn + "user/ghost"}},
		{"GetUser", asRoot, &iam.GetUserInput{}, []string{arn + "root"}},
		// Renaming or moving a user needs permission on the user and on its new ARN.
		{"UpdateUser", ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("al")}, []string{alice, arn + "user/eng/al"}},
		{"UpdateUser", ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewPath: aws.String("/ops/")}, []string{alice, arn + "user/ops/alice"}},
		{"UpdateUser", ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("al"), NewPath: aws.String("/")}, []string{alice, arn + "user/al"}},
		{"UpdateUser", ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewPath: aws.String("/eng/")}, []string{alice}},
		{"UpdateUser", ctx, &iam.UpdateUserInput{UserName: aws.String("alice")}, []string{alice}},
		{"UpdateUser", ctx, &iam.UpdateUserInput{UserName: aws.String("ghost"), NewUserName: aws.String("spirit")}, []string{arn + "user/ghost", arn + "user/spirit"}},
		{"UpdateUser", ctx, &iam.UpdateUserInput{}, nil},
		{"DeleteUser", ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}, []string{alice}},
		{"TagUser", ctx, &iam.TagUserInput{UserName: aws.String("alice")}, []string{alice}},
		{"ListUserTags", ctx, &iam.ListUserTagsInput{UserName: aws.String("alice")}, []string{alice}},
		{"ListGroupsForUser", ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")}, []string{alice}},
		{"ListUsers", ctx, &iam.ListUsersInput{}, nil},

		{"CreateAccessKey", ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}, []string{alice}},
		{"CreateAccessKey", asAlice, &iam.CreateAccessKeyInput{}, []string{alice}},
		{"CreateAccessKey", asRoot, &iam.CreateAccessKeyInput{}, nil},
		{"ListAccessKeys", asAlice, &iam.ListAccessKeysInput{}, []string{alice}},
		{"UpdateAccessKey", ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: keyID}, []string{alice}},
		{"DeleteAccessKey", asAlice, &iam.DeleteAccessKeyInput{AccessKeyId: keyID}, []string{alice}},
		{"GetAccessKeyLastUsed", ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: keyID}, []string{alice}},
		{"GetAccessKeyLastUsed", ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIANOSUCHKEY0000000")}, nil},

		{"CreatePolicy", ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), Path: aws.String("/ops/")}, []string{policy}},
		{"CreatePolicy", ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p")}, []string{arn + "policy/p"}},
		{"GetPolicy", ctx, &iam.PolicyArnInput{PolicyArn: aws.String(managed)}, []string{managed}},
		{"DeletePolicy", ctx, &iam.PolicyArnInput{PolicyArn: aws.String(policy)}, []string{policy}},
		{"CreatePolicyVersion", ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policy)}, []string{policy}},
		{"SetDefaultPolicyVersion", ctx, &iam.PolicyVersionInput{PolicyArn: aws.String(policy), VersionId: aws.String("v2")}, []string{policy}},
		{"ListPolicyVersions", ctx, &iam.PolicyArnInput{PolicyArn: aws.String(policy)}, []string{policy}},
		{"ListPolicies", ctx, &iam.ListPoliciesInput{}, nil},

		{"CreateGroup", ctx, &iam.CreateGroupInput{GroupName: aws.String("qa")}, []string{arn + "group/qa"}},
		{"GetGroup", ctx, &iam.GroupNameInput{GroupName: aws.String("devs")}, []string{devs}},
		{"AddUserToGroup", ctx, &iam.GroupUserInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}, []string{devs}},
		{"ListGroups", ctx, &iam.ListGroupsInput{}, nil},

		{"CreateRole", ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), Path: aws.String("/x/y/")}, []string{arn + "role/x/y/r"}},
		{"GetRole", ctx, &iam.RoleNameInput{RoleName: aws.String("deployer")}, []string{role}},
		{"DeleteRole", ctx, &iam.RoleNameInput{RoleName: aws.String("gone")}, []string{arn + "role/gone"}},
		{"UpdateAssumeRolePolicy", ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deployer")}, []string{role}},
		{"UntagRole", ctx, &iam.UntagRoleInput{RoleName: aws.String("deployer")}, []string{role}},
		{"ListRoles", ctx, &iam.ListRolesInput{}, nil},

		{"AttachUserPolicy", ctx, &iam.AttachPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(managed)}, []string{alice}},
		{"DetachGroupPolicy", ctx, &iam.AttachPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(managed)}, []string{devs}},
		{"ListAttachedRolePolicies", ctx, &iam.ListAttachedPoliciesInput{RoleName: aws.String("deployer")}, []string{role}},
		{"PutRolePolicy", ctx, &iam.InlinePolicyInput{RoleName: aws.String("deployer"), PolicyName: aws.String("i")}, []string{role}},
		{"GetUserPolicy", ctx, &iam.InlinePolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("i")}, []string{alice}},
		{"ListGroupPolicies", ctx, &iam.ListInlinePoliciesInput{GroupName: aws.String("devs")}, []string{devs}},
		// The operation, not the input, picks the identity: a stray member of another kind
		// does not move the authorization to another resource.
		{"AttachRolePolicy", ctx, &iam.AttachPolicyInput{UserName: aws.String("alice"), RoleName: aws.String("deployer"), PolicyArn: aws.String(managed)}, []string{role}},
		{"DetachRolePolicy", ctx, &iam.AttachPolicyInput{GroupName: aws.String("devs"), RoleName: aws.String("deployer"), PolicyArn: aws.String(managed)}, []string{role}},
		{"PutGroupPolicy", ctx, &iam.InlinePolicyInput{UserName: aws.String("alice"), GroupName: aws.String("devs"), PolicyName: aws.String("i")}, []string{devs}},
		{"ListRolePolicies", ctx, &iam.ListInlinePoliciesInput{UserName: aws.String("alice"), RoleName: aws.String("deployer")}, []string{role}},
		{"ListAttachedGroupPolicies", ctx, &iam.ListAttachedPoliciesInput{RoleName: aws.String("deployer"), GroupName: aws.String("devs")}, []string{devs}},
		{"DeleteUserPolicy", ctx, &iam.InlinePolicyInput{RoleName: aws.String("deployer"), UserName: aws.String("alice"), PolicyName: aws.String("i")}, []string{alice}},
		{"AttachRolePolicy", ctx, &iam.AttachPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(managed)}, nil},

		{"GetAccountSummary", ctx, &iam.GetAccountSummaryInput{}, nil},
	} {
		op, ok := ops[tc.op]
		if !ok || op.Resources == nil {
			t.Errorf("%s: no Resources (operation present: %v)", tc.op, ok)
			continue
		}
		if got := op.Resources(tc.ctx, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%s %+v: resources %q, want %q", tc.op, tc.in, got, tc.want)
		}
	}
}
