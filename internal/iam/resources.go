package iam

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// resources returns the ARNs an IAM operation is authorized on, as the service
// authorization reference for IAM lists them: the user, group or role the call is
// about, the managed policy of the policy calls, the owner of the access key of the
// access key calls, and nil ("*") for the listings without a target (ListUsers,
// ListRoles, ListGroups, ListPolicies, GetAccountSummary). The Attach*, Put* and other
// policy calls of a user, group or role have identityResources instead. UpdateUser that
// renames or moves a user is also authorized on the user's new ARN: the IAM API
// reference has the requester need permission on both the source and the target.
func (s *Service) resources(ctx context.Context, in any) []string {
	var arn string
	switch v := in.(type) {
	case *CreateUserInput:
		arn = s.newARN("user", v.Path, v.UserName)
	case *GetUserInput:
		arn = s.userOrCaller(ctx, v.UserName, true)
	case *UpdateUserInput:
		return s.updateUserARNs(v)
	case *DeleteUserInput:
		arn = s.storedARN(userKind, v.UserName)
	case *TagUserInput:
		arn = s.storedARN(userKind, v.UserName)
	case *UntagUserInput:
		arn = s.storedARN(userKind, v.UserName)
	case *ListUserTagsInput:
		arn = s.storedARN(userKind, v.UserName)
	case *ListGroupsForUserInput:
		arn = s.storedARN(userKind, v.UserName)

	case *CreateAccessKeyInput:
		arn = s.userOrCaller(ctx, v.UserName, false)
	case *ListAccessKeysInput:
		arn = s.userOrCaller(ctx, v.UserName, false)
	case *UpdateAccessKeyInput:
		arn = s.userOrCaller(ctx, v.UserName, false)
	case *DeleteAccessKeyInput:
		arn = s.userOrCaller(ctx, v.UserName, false)
	case *GetAccessKeyLastUsedInput:
		arn = s.keyOwnerARN(v.AccessKeyId)

	case *CreatePolicyInput:
		arn = s.newARN("policy", v.Path, v.PolicyName)
	case *PolicyArnInput:
		arn = deref(v.PolicyArn)
	case *CreatePolicyVersionInput:
		arn = deref(v.PolicyArn)
	case *PolicyVersionInput:
		arn = deref(v.PolicyArn)

	case *CreateGroupInput:
		arn = s.newARN("group", v.Path, v.GroupName)
	case *GroupNameInput:
		arn = s.storedARN(groupKind, v.GroupName)
	case *GroupUserInput:
		arn = s.storedARN(groupKind, v.GroupName)

	case *CreateRoleInput:
		arn = s.newARN("role", v.Path, v.RoleName)
	case *RoleNameInput:
		arn = s.storedARN(roleKind, v.RoleName)
	case *UpdateRoleInput:
		arn = s.storedARN(roleKind, v.RoleName)
	case *UpdateAssumeRolePolicyInput:
		arn = s.storedARN(roleKind, v.RoleName)
	case *TagRoleInput:
		arn = s.storedARN(roleKind, v.RoleName)
	case *UntagRoleInput:
		arn = s.storedARN(roleKind, v.RoleName)
	}
	if arn == "" {
		return nil
	}
	return []string{arn}
}

// updateUserARNs returns the ARNs UpdateUser is authorized on: the user's, and when
// NewUserName or NewPath changes it, the ARN the user will have (nil without a name).
func (s *Service) updateUserARNs(in *UpdateUserInput) []string {
	old := s.storedARN(userKind, in.UserName)
	if old == "" {
		return nil
	}
	i := strings.Index(old, ":user/")
	if i < 0 || (deref(in.NewUserName) == "" && deref(in.NewPath) == "") {
		return []string{old}
	}
	rest := old[i+len(":user"):] // "/path/name"
	j := strings.LastIndexByte(rest, '/')
	path, name := rest[:j+1], rest[j+1:]
	if p := deref(in.NewPath); p != "" {
		path = p
	}
	if n := deref(in.NewUserName); n != "" {
		name = n
	}
	if renamed := s.arn("user", path, name); renamed != old {
		return []string{old, renamed}
	}
	return []string{old}
}

// newARN is the ARN an entity created with path and name will have ("" without a name).
func (s *Service) newARN(kind string, path, name *string) string {
	if deref(name) == "" {
		return ""
	}
	p := deref(path)
	if p == "" {
		p = "/"
	}
	return s.arn(kind, p, *name)
}

// storedARN is the ARN of the named user, group or role: the stored one, which has the
// entity's path, or "<kind>/<name>" when it does not exist ("" without a name).
func (s *Service) storedARN(k kind, name *string) string {
	n := deref(name)
	if n == "" {
		return ""
	}
	var arn string
	// A failed read leaves arn empty; the operation itself reports the store's error.
	_ = s.db.View(func(tx *store.Tx) error {
		e, err := k.load(tx, n)
		if err != nil {
			return err
		}
		switch r := e.(type) {
		case *userRec:
			arn = r.Arn
		case *groupRec:
			arn = r.Arn
		case *roleRec:
			arn = r.Arn
		}
		return nil
	})
	if arn == "" {
		arn = s.arn(k.label, "/", n)
	}
	return arn
}

// identityResources returns the Resources function of the attached and inline policy
// operations of identities of kind k (policyOps): they are authorized on the user,
// group or role named by k's member, the one the operation acts on. Their inputs carry
// all three members, so the operation, not the input, must pick it: AttachRolePolicy
// with a UserName as well is still about the role.
func (s *Service) identityResources(k kind) func(context.Context, any) []string {
	return func(ctx context.Context, in any) []string {
		var user, group, role *string
		switch v := in.(type) {
		case *AttachPolicyInput:
			user, group, role = v.UserName, v.GroupName, v.RoleName
		case *ListAttachedPoliciesInput:
			user, group, role = v.UserName, v.GroupName, v.RoleName
		case *InlinePolicyInput:
			user, group, role = v.UserName, v.GroupName, v.RoleName
		case *ListInlinePoliciesInput:
			user, group, role = v.UserName, v.GroupName, v.RoleName
		default:
			return s.resources(ctx, in)
		}
		name := map[string]*string{"user": user, "group": group, "role": role}[k.label]
		if arn := s.storedARN(k, name); arn != "" {
			return []string{arn}
		}
		return nil
	}
}

// identityKind returns the kind of identity a policy operation of policyOps acts on.
func identityKind(op string) (kind, bool) {
	for _, c := range []struct {
		title string
		k     kind
	}{{"User", userKind}, {"Group", groupKind}, {"Role", roleKind}} {
		switch op {
		case "Attach" + c.title + "Policy", "Detach" + c.title + "Policy", "ListAttached" + c.title + "Policies",
			"Put" + c.title + "Policy", "Get" + c.title + "Policy", "List" + c.title + "Policies", "Delete" + c.title + "Policy":
			return c.k, true
		}
	}
	return kind{}, false
}

// userOrCaller is the named user's ARN or, without a name, the caller's own: any
// principal's when anyPrincipal (GetUser), else only an IAM user's (the access key
// calls, which fail for other callers).
func (s *Service) userOrCaller(ctx context.Context, name *string, anyPrincipal bool) string {
	if name != nil {
		return s.storedARN(userKind, name)
	}
	p, ok := awsapi.PrincipalFrom(ctx)
	if !ok {
		return ""
	}
	if anyPrincipal || (!p.Root && isUserARN(p.ARN)) {
		return p.ARN
	}
	return ""
}

// isUserARN reports whether arn names an IAM user.
func isUserARN(arn string) bool {
	return strings.Contains(arn, ":user/")
}

// keyOwnerARN is the ARN of the user owning an access key ("" when unknown).
func (s *Service) keyOwnerARN(id *string) string {
	if deref(id) == "" {
		return ""
	}
	var k AccessKey
	if err := s.db.View(func(tx *store.Tx) error { return tx.Get(keysBucket, *id, &k) }); err != nil || k.UserName == "" {
		return ""
	}
	return s.storedARN(userKind, &k.UserName)
}

// withResources sets the authorization resources of every operation of the table; the
// operations without a target get nil ("*") from resources.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		op.Resources = s.resources
		if k, ok := identityKind(name); ok {
			op.Resources = s.identityResources(k)
		}
		ops[name] = op
	}
	return ops
}

// ResourceTags returns the tags of the user or role an IAM ARN names, for
// aws:ResourceTag/<key>; nil for other resources.
func (s *Service) ResourceTags(ctx context.Context, arn string) map[string]string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" {
		return nil
	}
	kind, rest, _ := strings.Cut(parts[5], "/")
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	var tags []Tag
	_ = s.view(ctx, func(tx *store.Tx) error {
		switch kind {
		case "user":
			if u, err := getUser(tx, name); err == nil {
				tags = u.Tags
			}
		case "role":
			if r, err := getRole(tx, name); err == nil {
				tags = r.Tags
			}
		}
		return nil
	})
	if tags == nil {
		return nil
	}
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[t.Key] = t.Value
	}
	return out
}
