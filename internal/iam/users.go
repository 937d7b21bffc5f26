package iam

import (
	"context"
	"errors"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Inputs and outputs of the user operations.
type (
	// CreateUserInput is the input of CreateUser.
	CreateUserInput struct {
		UserName *string `json:"UserName,omitempty"`
		Path     *string `json:"Path,omitempty"`
		Tags     []Tag   `json:"Tags,omitempty"`
	}
	// CreateUserOutput is the output of CreateUser.
	CreateUserOutput struct {
		User *User `json:"User,omitempty"`
	}
	// GetUserInput is the input of GetUser; without a name it is the caller.
	GetUserInput struct {
		UserName *string `json:"UserName,omitempty"`
	}
	// GetUserOutput is the output of GetUser.
	GetUserOutput struct {
		User *User `json:"User,omitempty"`
	}
	// ListUsersInput is the input of ListUsers.
	ListUsersInput struct {
		PathPrefix *string `json:"PathPrefix,omitempty"`
		Marker     *string `json:"Marker,omitempty"`
		MaxItems   *int32  `json:"MaxItems,omitempty"`
	}
	// ListUsersOutput is the output of ListUsers.
	ListUsersOutput struct {
		Users       []User  `json:"Users"`
		IsTruncated bool    `json:"IsTruncated"`
		Marker      *string `json:"Marker,omitempty"`
	}
	// UpdateUserInput is the input of UpdateUser.
	UpdateUserInput struct {
		UserName    *string `json:"UserName,omitempty"`
		NewUserName *string `json:"NewUserName,omitempty"`
		NewPath     *string `json:"NewPath,omitempty"`
	}
	// DeleteUserInput is the input of DeleteUser.
	DeleteUserInput struct {
		UserName *string `json:"UserName,omitempty"`
	}
	// TagUserInput is the input of TagUser.
	TagUserInput struct {
		UserName *string `json:"UserName,omitempty"`
		Tags     []Tag   `json:"Tags,omitempty"`
	}
	// UntagUserInput is the input of UntagUser.
	UntagUserInput struct {
		UserName *string  `json:"UserName,omitempty"`
		TagKeys  []string `json:"TagKeys,omitempty"`
	}
	// ListUserTagsInput is the input of ListUserTags.
	ListUserTagsInput struct {
		UserName *string `json:"UserName,omitempty"`
		Marker   *string `json:"Marker,omitempty"`
		MaxItems *int32  `json:"MaxItems,omitempty"`
	}
	// ListTagsOutput is the output of ListUserTags, ListRoleTags and ListPolicyTags.
	ListTagsOutput struct {
		Tags        []Tag   `json:"Tags"`
		IsTruncated bool    `json:"IsTruncated"`
		Marker      *string `json:"Marker,omitempty"`
	}
	// Empty is the output of the operations that return nothing.
	Empty struct{}
)

// getUser loads a user by name or fails with NoSuchEntity.
func getUser(tx *store.Tx, name string) (userRec, error) {
	var u userRec
	err := tx.Get(usersBucket, lower(name), &u)
	if errors.Is(err, store.ErrNotFound) {
		return u, errNoSuchEntity("The user with name %s cannot be found.", name)
	}
	return u, err
}

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, in *CreateUserInput) (*CreateUserOutput, error) {
	name, err := checkName("userName", in.UserName, 64)
	if err != nil {
		return nil, err
	}
	path, err := checkPath("path", in.Path)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	u := userRec{User: User{Path: path, UserName: name, UserId: NewID("AIDA", 17), Arn: s.arn("user", path, name), CreateDate: s.now(), Tags: in.Tags}}
	err = s.update(ctx, func(tx *store.Tx) error {
		if tx.Has(usersBucket, lower(name)) {
			return errExists("User with name %s already exists.", name)
		}
		return tx.Put(usersBucket, lower(name), u)
	})
	if err != nil {
		return nil, err
	}
	return &CreateUserOutput{User: &u.User}, nil
}

// GetUser describes a user; without a name, the IAM user who signed the request.
func (s *Service) GetUser(ctx context.Context, in *GetUserInput) (*GetUserOutput, error) {
	name := deref(in.UserName)
	if in.UserName == nil {
		p, _ := awsapi.PrincipalFrom(ctx)
		i := strings.Index(p.ARN, ":user/")
		if i < 0 || p.Root {
			if p.Root {
				return &GetUserOutput{User: &User{UserId: p.AccountID, Arn: p.ARN, CreateDate: s.now(), Path: "/"}}, nil
			}
			return nil, errValidation("Must specify userName when calling with non-User credentials")
		}
		name = p.ARN[strings.LastIndex(p.ARN, "/")+1:]
	}
	var u userRec
	err := s.view(ctx, func(tx *store.Tx) (err error) { u, err = getUser(tx, name); return err })
	if err != nil {
		return nil, err
	}
	return &GetUserOutput{User: &u.User}, nil
}

// ListUsers lists the users whose path starts with PathPrefix, by name.
func (s *Service) ListUsers(ctx context.Context, in *ListUsersInput) (*ListUsersOutput, error) {
	var users []User
	err := s.view(ctx, func(tx *store.Tx) error {
		recs, err := store.List[userRec](tx, usersBucket, "")
		for _, u := range recs {
			if strings.HasPrefix(u.Path, deref(in.PathPrefix)) {
				u.Tags = nil // ListUsers does not show tags
				users = append(users, u.User)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	items, next, more, err := page(users, func(u User) string { return lower(u.UserName) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &ListUsersOutput{Users: items, IsTruncated: more, Marker: next}, nil
}

// UpdateUser renames a user or changes its path; its keys follow.
func (s *Service) UpdateUser(ctx context.Context, in *UpdateUserInput) (*Empty, error) {
	name, err := checkName("userName", in.UserName, 64)
	if err != nil {
		return nil, err
	}
	newName := name
	if in.NewUserName != nil {
		if newName, err = checkName("newUserName", in.NewUserName, 64); err != nil {
			return nil, err
		}
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		path := u.Path
		if in.NewPath != nil {
			if path, err = checkPath("newPath", in.NewPath); err != nil {
				return err
			}
		}
		if lower(newName) != lower(name) && tx.Has(usersBucket, lower(newName)) {
			return errExists("User with name %s already exists.", newName)
		}
		if err := tx.Delete(usersBucket, lower(name)); err != nil {
			return err
		}
		u.UserName, u.Path, u.Arn = newName, path, s.arn("user", path, newName)
		if err := tx.Put(usersBucket, lower(newName), u); err != nil {
			return err
		}
		keys, err := userKeys(tx, name)
		if err != nil {
			return err
		}
		for _, k := range keys {
			k.UserName, k.Principal.ARN = newName, u.Arn
			if err := tx.Put(keysBucket, k.AccessKeyID, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DeleteUser deletes a user that has no access keys, policies or groups left.
func (s *Service) DeleteUser(ctx context.Context, in *DeleteUserInput) (*Empty, error) {
	name, err := checkName("userName", in.UserName, 64)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		keys, err := userKeys(tx, name)
		if err != nil {
			return err
		}
		switch {
		case len(keys) > 0:
			return errConflict("Cannot delete entity, must delete access keys first.")
		case len(u.Inline) > 0:
			return errConflict("Cannot delete entity, must delete policies first.")
		case len(u.Attached) > 0:
			return errConflict("Cannot delete entity, must detach all policies first.")
		case len(u.Groups) > 0:
			return errConflict("Cannot delete entity, must remove users from group first.")
		}
		return tx.Delete(usersBucket, lower(name))
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// TagUser adds or replaces tags of a user.
func (s *Service) TagUser(ctx context.Context, in *TagUserInput) (*Empty, error) {
	return s.editUserTags(ctx, in.UserName, func(cur []Tag) ([]Tag, error) { return mergeTags(cur, in.Tags) })
}

// UntagUser removes tags of a user.
func (s *Service) UntagUser(ctx context.Context, in *UntagUserInput) (*Empty, error) {
	return s.editUserTags(ctx, in.UserName, func(cur []Tag) ([]Tag, error) { return removeTags(cur, in.TagKeys), nil })
}

func (s *Service) editUserTags(ctx context.Context, userName *string, edit func([]Tag) ([]Tag, error)) (*Empty, error) {
	name, err := checkName("userName", userName, 64)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		if u.Tags, err = edit(u.Tags); err != nil {
			return err
		}
		return tx.Put(usersBucket, lower(name), u)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListUserTags lists the tags of a user.
func (s *Service) ListUserTags(ctx context.Context, in *ListUserTagsInput) (*ListTagsOutput, error) {
	name, err := checkName("userName", in.UserName, 64)
	if err != nil {
		return nil, err
	}
	var u userRec
	if err := s.view(ctx, func(tx *store.Tx) (err error) { u, err = getUser(tx, name); return err }); err != nil {
		return nil, err
	}
	return tagPage(u.Tags, in.Marker, in.MaxItems)
}

func tagPage(tags []Tag, marker *string, maxItems *int32) (*ListTagsOutput, error) {
	items, next, more, err := page(tags, func(t Tag) string { return t.Key }, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return &ListTagsOutput{Tags: items, IsTruncated: more, Marker: next}, nil
}
