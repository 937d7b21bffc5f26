package iam

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// kind is one of the identities that hold policies: users, groups and roles.
type kind struct {
	label       string // "user"
	bucket      string
	member      string // "userName"
	maxName     int
	inlineMax   int    // characters of an inline policy, spaces not counted
	inlineQuota string // "UserPolicySize"
	attachQuota string // "PoliciesPerUser"
}

var (
	userKind  = kind{"user", usersBucket, "userName", 64, 2048, "UserPolicySize", "PoliciesPerUser"}
	groupKind = kind{"group", groupsBucket, "groupName", 128, 5120, "GroupPolicySize", "PoliciesPerGroup"}
	roleKind  = kind{"role", rolesBucket, "roleName", 64, 10240, "RolePolicySize", "PoliciesPerRole"}
)

// maxAttached is IAM's default quota of managed policies per user, group or role.
const maxAttached = 10

// entity is a stored user, group or role.
type entity interface{ pols() *policies }

// load loads the named identity of kind k or fails with NoSuchEntity.
func (k kind) load(tx *store.Tx, name string) (entity, error) {
	var e entity
	switch k.label {
	case "user":
		e = &userRec{}
	case "group":
		e = &groupRec{}
	default:
		e = &roleRec{}
	}
	err := tx.Get(k.bucket, lower(name), e)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSuchEntity("The %s with name %s cannot be found.", k.label, name)
	}
	return e, err
}

// name picks and checks the member of in that names an identity of kind k.
func (k kind) name(user, group, role *string) (string, error) {
	v := map[string]*string{"user": user, "group": group, "role": role}[k.label]
	return checkName(k.member, v, k.maxName)
}

// Inputs and outputs of the policy operations on users, groups and roles; each carries
// the one of UserName, GroupName and RoleName its operation takes.
type (
	// AttachPolicyInput is the input of Attach/Detach{User,Group,Role}Policy.
	AttachPolicyInput struct {
		UserName  *string `json:"UserName,omitempty"`
		GroupName *string `json:"GroupName,omitempty"`
		RoleName  *string `json:"RoleName,omitempty"`
		PolicyArn *string `json:"PolicyArn,omitempty"`
	}
	// ListAttachedPoliciesInput is the input of ListAttached{User,Group,Role}Policies.
	ListAttachedPoliciesInput struct {
		UserName   *string `json:"UserName,omitempty"`
		GroupName  *string `json:"GroupName,omitempty"`
		RoleName   *string `json:"RoleName,omitempty"`
		PathPrefix *string `json:"PathPrefix,omitempty"`
		Marker     *string `json:"Marker,omitempty"`
		MaxItems   *int32  `json:"MaxItems,omitempty"`
	}
	// ListAttachedPoliciesOutput is the output of ListAttached{User,Group,Role}Policies.
	ListAttachedPoliciesOutput struct {
		AttachedPolicies []AttachedPolicy `json:"AttachedPolicies"`
		IsTruncated      bool             `json:"IsTruncated"`
		Marker           *string          `json:"Marker,omitempty"`
	}
	// InlinePolicyInput is the input of Put/Get/Delete{User,Group,Role}Policy.
	InlinePolicyInput struct {
		UserName       *string `json:"UserName,omitempty"`
		GroupName      *string `json:"GroupName,omitempty"`
		RoleName       *string `json:"RoleName,omitempty"`
		PolicyName     *string `json:"PolicyName,omitempty"`
		PolicyDocument *string `json:"PolicyDocument,omitempty"`
	}
	// InlinePolicyOutput is the output of Get{User,Group,Role}Policy; the document is
	// URL-encoded.
	InlinePolicyOutput struct {
		UserName       *string `json:"UserName,omitempty"`
		GroupName      *string `json:"GroupName,omitempty"`
		RoleName       *string `json:"RoleName,omitempty"`
		PolicyName     string  `json:"PolicyName"`
		PolicyDocument string  `json:"PolicyDocument"`
	}
	// ListInlinePoliciesInput is the input of List{User,Group,Role}Policies.
	ListInlinePoliciesInput struct {
		UserName  *string `json:"UserName,omitempty"`
		GroupName *string `json:"GroupName,omitempty"`
		RoleName  *string `json:"RoleName,omitempty"`
		Marker    *string `json:"Marker,omitempty"`
		MaxItems  *int32  `json:"MaxItems,omitempty"`
	}
	// ListInlinePoliciesOutput is the output of List{User,Group,Role}Policies.
	ListInlinePoliciesOutput struct {
		PolicyNames []string `json:"PolicyNames"`
		IsTruncated bool     `json:"IsTruncated"`
		Marker      *string  `json:"Marker,omitempty"`
	}
)

// attachOp is Attach{User,Group,Role}Policy.
func (s *Service) attachOp(k kind) func(context.Context, *AttachPolicyInput) (*Empty, error) {
	return func(ctx context.Context, in *AttachPolicyInput) (*Empty, error) {
		name, err := k.name(in.UserName, in.GroupName, in.RoleName)
		if err != nil {
			return nil, err
		}
		if in.PolicyArn == nil {
			return nil, errRequired("policyArn")
		}
		err = s.update(ctx, func(tx *store.Tx) error {
			e, err := k.load(tx, name)
			if err != nil {
				return err
			}
			if _, err := getPolicy(tx, *in.PolicyArn); err != nil {
				return errNoSuchEntity("Policy %s does not exist or is not attachable.", *in.PolicyArn)
			}
			p := e.pols()
			if slices.Contains(p.Attached, *in.PolicyArn) {
				return nil
			}
			if len(p.Attached) >= maxAttached {
				return errLimit("Cannot exceed quota for %s: %d", k.attachQuota, maxAttached)
			}
			p.Attached = append(p.Attached, *in.PolicyArn)
			return tx.Put(k.bucket, lower(name), e)
		})
		if err != nil {
			return nil, err
		}
		return &Empty{}, nil
	}
}

// detachOp is Detach{User,Group,Role}Policy.
func (s *Service) detachOp(k kind) func(context.Context, *AttachPolicyInput) (*Empty, error) {
	return func(ctx context.Context, in *AttachPolicyInput) (*Empty, error) {
		name, err := k.name(in.UserName, in.GroupName, in.RoleName)
		if err != nil {
			return nil, err
		}
		if in.PolicyArn == nil {
			return nil, errRequired("policyArn")
		}
		err = s.update(ctx, func(tx *store.Tx) error {
			e, err := k.load(tx, name)
			if err != nil {
				return err
			}
			p := e.pols()
			i := slices.Index(p.Attached, *in.PolicyArn)
			if i < 0 {
				return errNoSuchEntity("Policy %s was not found.", *in.PolicyArn)
			}
			p.Attached = slices.Delete(p.Attached, i, i+1)
			return tx.Put(k.bucket, lower(name), e)
		})
		if err != nil {
			return nil, err
		}
		return &Empty{}, nil
	}
}

// listAttachedOp is ListAttached{User,Group,Role}Policies.
func (s *Service) listAttachedOp(k kind) func(context.Context, *ListAttachedPoliciesInput) (*ListAttachedPoliciesOutput, error) {
	return func(ctx context.Context, in *ListAttachedPoliciesInput) (*ListAttachedPoliciesOutput, error) {
		name, err := k.name(in.UserName, in.GroupName, in.RoleName)
		if err != nil {
			return nil, err
		}
		var out []AttachedPolicy
		err = s.view(ctx, func(tx *store.Tx) error {
			e, err := k.load(tx, name)
			if err != nil {
				return err
			}
			for _, arn := range e.pols().Attached {
				p, err := getPolicy(tx, arn)
				if err != nil {
					continue // deleted meanwhile: DeletePolicy refuses, so this is rare
				}
				if strings.HasPrefix(p.Path, deref(in.PathPrefix)) {
					out = append(out, AttachedPolicy{PolicyName: p.PolicyName, PolicyArn: p.Arn})
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		items, next, more, err := page(out, func(p AttachedPolicy) string { return p.PolicyName + "\x00" + p.PolicyArn }, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &ListAttachedPoliciesOutput{AttachedPolicies: items, IsTruncated: more, Marker: next}, nil
	}
}

// putInlineOp is Put{User,Group,Role}Policy: it creates or replaces an inline policy.
func (s *Service) putInlineOp(k kind) func(context.Context, *InlinePolicyInput) (*Empty, error) {
	return func(ctx context.Context, in *InlinePolicyInput) (*Empty, error) {
		name, err := k.name(in.UserName, in.GroupName, in.RoleName)
		if err != nil {
			return nil, err
		}
		pname, err := checkName("policyName", in.PolicyName, 128)
		if err != nil {
			return nil, err
		}
		doc, err := s.checkDocument("policyDocument", in.PolicyDocument, k.inlineMax, k.inlineQuota, false)
		if err != nil {
			return nil, err
		}
		err = s.update(ctx, func(tx *store.Tx) error {
			e, err := k.load(tx, name)
			if err != nil {
				return err
			}
			p := e.pols()
			if p.Inline == nil {
				p.Inline = map[string]string{}
			}
			p.Inline[pname] = doc
			return tx.Put(k.bucket, lower(name), e)
		})
		if err != nil {
			return nil, err
		}
		return &Empty{}, nil
	}
}

// getInlineOp is Get{User,Group,Role}Policy.
func (s *Service) getInlineOp(k kind) func(context.Context, *InlinePolicyInput) (*InlinePolicyOutput, error) {
	return func(ctx context.Context, in *InlinePolicyInput) (*InlinePolicyOutput, error) {
		name, err := k.name(in.UserName, in.GroupName, in.RoleName)
		if err != nil {
			return nil, err
		}
		pname, err := checkName("policyName", in.PolicyName, 128)
		if err != nil {
			return nil, err
		}
		var doc string
		err = s.view(ctx, func(tx *store.Tx) error {
			e, err := k.load(tx, name)
			if err != nil {
				return err
			}
			d, ok := e.pols().Inline[pname]
			if !ok {
				return errNoSuchEntity("The %s policy with name %s cannot be found.", k.label, pname)
			}
			doc = d
			return nil
		})
		if err != nil {
			return nil, err
		}
		out := &InlinePolicyOutput{PolicyName: pname, PolicyDocument: encodeDocument(doc)}
		switch k.label {
		case "user":
			out.UserName = &name
		case "group":
			out.GroupName = &name
		default:
			out.RoleName = &name
		}
		return out, nil
	}
}

// listInlineOp is List{User,Group,Role}Policies.
func (s *Service) listInlineOp(k kind) func(context.Context, *ListInlinePoliciesInput) (*ListInlinePoliciesOutput, error) {
	return func(ctx context.Context, in *ListInlinePoliciesInput) (*ListInlinePoliciesOutput, error) {
		name, err := k.name(in.UserName, in.GroupName, in.RoleName)
		if err != nil {
			return nil, err
		}
		var names []string
		err = s.view(ctx, func(tx *store.Tx) error {
			e, err := k.load(tx, name)
			if err == nil {
				names = slices.Collect(maps.Keys(e.pols().Inline))
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		items, next, more, err := page(names, func(n string) string { return n }, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &ListInlinePoliciesOutput{PolicyNames: items, IsTruncated: more, Marker: next}, nil
	}
}

// deleteInlineOp is Delete{User,Group,Role}Policy.
func (s *Service) deleteInlineOp(k kind) func(context.Context, *InlinePolicyInput) (*Empty, error) {
	return func(ctx context.Context, in *InlinePolicyInput) (*Empty, error) {
		name, err := k.name(in.UserName, in.GroupName, in.RoleName)
		if err != nil {
			return nil, err
		}
		pname, err := checkName("policyName", in.PolicyName, 128)
		if err != nil {
			return nil, err
		}
		err = s.update(ctx, func(tx *store.Tx) error {
			e, err := k.load(tx, name)
			if err != nil {
				return err
			}
			p := e.pols()
			if _, ok := p.Inline[pname]; !ok {
				return errNoSuchEntity("The %s policy with name %s cannot be found.", k.label, pname)
			}
			delete(p.Inline, pname)
			return tx.Put(k.bucket, lower(name), e)
		})
		if err != nil {
			return nil, err
		}
		return &Empty{}, nil
	}
}

// policyOps registers the eight policy operations of kind k ("User", "Group", "Role").
func (s *Service) policyOps(k kind, title string) []awsapi.Operation {
	return []awsapi.Operation{
		awsapi.Op("Attach"+title+"Policy", s.attachOp(k)),
		awsapi.Op("Detach"+title+"Policy", s.detachOp(k)),
		awsapi.Op("ListAttached"+title+"Policies", s.listAttachedOp(k)),
		awsapi.Op("Put"+title+"Policy", s.putInlineOp(k)),
		awsapi.Op("Get"+title+"Policy", s.getInlineOp(k)),
		awsapi.Op("List"+title+"Policies", s.listInlineOp(k)),
		awsapi.Op("Delete"+title+"Policy", s.deleteInlineOp(k)),
	}
}
