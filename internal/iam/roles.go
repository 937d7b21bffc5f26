package iam

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// Inputs and outputs of the role operations.
type (
	// CreateRoleInput is the input of CreateRole.
	CreateRoleInput struct {
		RoleName                 *string `json:"RoleName,omitempty"`
		Path                     *string `json:"Path,omitempty"`
		AssumeRolePolicyDocument *string `json:"AssumeRolePolicyDocument,omitempty"`
		Description              *string `json:"Description,omitempty"`
		MaxSessionDuration       *int32  `json:"MaxSessionDuration,omitempty"`
		PermissionsBoundary      *string `json:"PermissionsBoundary,omitempty"`
		Tags                     []Tag   `json:"Tags,omitempty"`
	}
	// RoleOutput is the output of CreateRole and GetRole.
	RoleOutput struct {
		Role *Role `json:"Role,omitempty"`
	}
	// RoleNameInput is the input of GetRole, DeleteRole and ListRoleTags.
	RoleNameInput struct {
		RoleName *string `json:"RoleName,omitempty"`
		Marker   *string `json:"Marker,omitempty"`
		MaxItems *int32  `json:"MaxItems,omitempty"`
	}
	// ListRolesInput is the input of ListRoles.
	ListRolesInput struct {
		PathPrefix *string `json:"PathPrefix,omitempty"`
		Marker     *string `json:"Marker,omitempty"`
		MaxItems   *int32  `json:"MaxItems,omitempty"`
	}
	// ListRolesOutput is the output of ListRoles.
	ListRolesOutput struct {
		Roles       []Role  `json:"Roles"`
		IsTruncated bool    `json:"IsTruncated"`
		Marker      *string `json:"Marker,omitempty"`
	}
	// UpdateRoleInput is the input of UpdateRole.
	UpdateRoleInput struct {
		RoleName           *string `json:"RoleName,omitempty"`
		Description        *string `json:"Description,omitempty"`
		MaxSessionDuration *int32  `json:"MaxSessionDuration,omitempty"`
	}
	// UpdateAssumeRolePolicyInput is the input of UpdateAssumeRolePolicy.
	UpdateAssumeRolePolicyInput struct {
		RoleName       *string `json:"RoleName,omitempty"`
		PolicyDocument *string `json:"PolicyDocument,omitempty"`
	}
	// TagRoleInput is the input of TagRole.
	TagRoleInput struct {
		RoleName *string `json:"RoleName,omitempty"`
		Tags     []Tag   `json:"Tags,omitempty"`
	}
	// UntagRoleInput is the input of UntagRole.
	UntagRoleInput struct {
		RoleName *string  `json:"RoleName,omitempty"`
		TagKeys  []string `json:"TagKeys,omitempty"`
	}
)

// wire returns the role as the API shows it: the trust policy URL-encoded.
func (r Role) wire() Role {
	r.AssumeRolePolicyDocument = encodeDocument(r.AssumeRolePolicyDocument)
	r.RoleLastUsed = &RoleLastUsed{}
	return r
}

func checkSessionDuration(v *int32) (int32, error) {
	if v == nil {
		return 3600, nil
	}
	if *v < 3600 {
		return 0, errValidation("1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600", *v)
	}
	if *v > 43200 {
		return 0, errValidation("1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200", *v)
	}
	return *v, nil
}

func getRole(tx *store.Tx, name string) (*roleRec, error) {
	e, err := roleKind.load(tx, name)
	if err != nil {
		return nil, err
	}
	return e.(*roleRec), nil
}

// CreateRole creates a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, in *CreateRoleInput) (*RoleOutput, error) {
	name, err := checkName("roleName", in.RoleName, 64)
	if err != nil {
		return nil, err
	}
	path, err := checkPath("path", in.Path)
	if err != nil {
		return nil, err
	}
	doc, err := s.checkDocument("assumeRolePolicyDocument", in.AssumeRolePolicyDocument, 2048, "ACLSizePerRole", true)
	if err != nil {
		return nil, err
	}
	dur, err := checkSessionDuration(in.MaxSessionDuration)
	if err != nil {
		return nil, err
	}
	if len(deref(in.Description)) > 1000 {
		return nil, errValidation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
	}
	if in.PermissionsBoundary != nil {
		return nil, errInvalid("Wharf does not support permissions boundaries.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	r := roleRec{Role: Role{Path: path, RoleName: name, RoleId: NewID("AROA", 17), Arn: s.arn("role", path, name), CreateDate: s.now(),
		AssumeRolePolicyDocument: doc, Description: deref(in.Description), MaxSessionDuration: dur, Tags: in.Tags}}
	err = s.update(ctx, func(tx *store.Tx) error {
		if tx.Has(rolesBucket, lower(name)) {
			return errExists("Role with name %s already exists.", name)
		}
		return tx.Put(rolesBucket, lower(name), r)
	})
	if err != nil {
		return nil, err
	}
	w := r.Role.wire()
	w.RoleLastUsed = nil
	return &RoleOutput{Role: &w}, nil
}

// GetRole describes a role.
func (s *Service) GetRole(ctx context.Context, in *RoleNameInput) (*RoleOutput, error) {
	name, err := checkName("roleName", in.RoleName, 64)
	if err != nil {
		return nil, err
	}
	var r *roleRec
	if err := s.view(ctx, func(tx *store.Tx) (err error) { r, err = getRole(tx, name); return err }); err != nil {
		return nil, err
	}
	w := r.Role.wire()
	return &RoleOutput{Role: &w}, nil
}

// ListRoles lists the roles whose path starts with PathPrefix, by name.
func (s *Service) ListRoles(ctx context.Context, in *ListRolesInput) (*ListRolesOutput, error) {
	var roles []Role
	err := s.view(ctx, func(tx *store.Tx) error {
		recs, err := store.List[roleRec](tx, rolesBucket, "")
		for _, r := range recs {
			if strings.HasPrefix(r.Path, deref(in.PathPrefix)) {
				w := r.Role.wire()
				w.Tags, w.RoleLastUsed = nil, nil // ListRoles shows neither
				roles = append(roles, w)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	items, next, more, err := page(roles, func(r Role) string { return lower(r.RoleName) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &ListRolesOutput{Roles: items, IsTruncated: more, Marker: next}, nil
}

// DeleteRole deletes a role without policies.
func (s *Service) DeleteRole(ctx context.Context, in *RoleNameInput) (*Empty, error) {
	return s.editRole(ctx, in.RoleName, func(tx *store.Tx, r *roleRec) error {
		switch {
		case len(r.Inline) > 0:
			return errConflict("Cannot delete entity, must delete policies first.")
		case len(r.Attached) > 0:
			return errConflict("Cannot delete entity, must detach all policies first.")
		}
		return tx.Delete(rolesBucket, lower(r.RoleName))
	})
}

// UpdateRole changes a role's description or maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, in *UpdateRoleInput) (*Empty, error) {
	return s.editRole(ctx, in.RoleName, func(tx *store.Tx, r *roleRec) error {
		if in.MaxSessionDuration != nil {
			d, err := checkSessionDuration(in.MaxSessionDuration)
			if err != nil {
				return err
			}
			r.MaxSessionDuration = d
		}
		if in.Description != nil {
			r.Description = *in.Description
		}
		return tx.Put(rolesBucket, lower(r.RoleName), r)
	})
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, in *UpdateAssumeRolePolicyInput) (*Empty, error) {
	doc, err := s.checkDocument("policyDocument", in.PolicyDocument, 2048, "ACLSizePerRole", true)
	if err != nil {
		return nil, err
	}
	return s.editRole(ctx, in.RoleName, func(tx *store.Tx, r *roleRec) error {
		r.AssumeRolePolicyDocument = doc
		return tx.Put(rolesBucket, lower(r.RoleName), r)
	})
}

// TagRole adds or replaces tags of a role.
func (s *Service) TagRole(ctx context.Context, in *TagRoleInput) (*Empty, error) {
	return s.editRole(ctx, in.RoleName, func(tx *store.Tx, r *roleRec) (err error) {
		if r.Tags, err = mergeTags(r.Tags, in.Tags); err != nil {
			return err
		}
		return tx.Put(rolesBucket, lower(r.RoleName), r)
	})
}

// UntagRole removes tags of a role.
func (s *Service) UntagRole(ctx context.Context, in *UntagRoleInput) (*Empty, error) {
	return s.editRole(ctx, in.RoleName, func(tx *store.Tx, r *roleRec) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return tx.Put(rolesBucket, lower(r.RoleName), r)
	})
}

// ListRoleTags lists the tags of a role.
func (s *Service) ListRoleTags(ctx context.Context, in *RoleNameInput) (*ListTagsOutput, error) {
	name, err := checkName("roleName", in.RoleName, 64)
	if err != nil {
		return nil, err
	}
	var r *roleRec
	if err := s.view(ctx, func(tx *store.Tx) (err error) { r, err = getRole(tx, name); return err }); err != nil {
		return nil, err
	}
	return tagPage(r.Tags, in.Marker, in.MaxItems)
}

func (s *Service) editRole(ctx context.Context, roleName *string, fn func(tx *store.Tx, r *roleRec) error) (*Empty, error) {
	name, err := checkName("roleName", roleName, 64)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		r, err := getRole(tx, name)
		if err != nil {
			return err
		}
		return fn(tx, r)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}
