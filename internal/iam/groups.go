package iam

import (
	"context"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// Inputs and outputs of the group operations.
type (
	// CreateGroupInput is the input of CreateGroup.
	CreateGroupInput struct {
		GroupName *string `json:"GroupName,omitempty"`
		Path      *string `json:"Path,omitempty"`
	}
	// CreateGroupOutput is the output of CreateGroup.
	CreateGroupOutput struct {
		Group *Group `json:"Group,omitempty"`
	}
	// GroupNameInput is the input of GetGroup and DeleteGroup.
	GroupNameInput struct {
		GroupName *string `json:"GroupName,omitempty"`
		Marker    *string `json:"Marker,omitempty"`
		MaxItems  *int32  `json:"MaxItems,omitempty"`
	}
	// GetGroupOutput is the output of GetGroup: the group and its users.
	GetGroupOutput struct {
		Group       *Group  `json:"Group,omitempty"`
		Users       []User  `json:"Users"`
		IsTruncated bool    `json:"IsTruncated"`
		Marker      *string `json:"Marker,omitempty"`
	}
	// ListGroupsInput is the input of ListGroups.
	ListGroupsInput struct {
		PathPrefix *string `json:"PathPrefix,omitempty"`
		Marker     *string `json:"Marker,omitempty"`
		MaxItems   *int32  `json:"MaxItems,omitempty"`
	}
	// ListGroupsOutput is the output of ListGroups and ListGroupsForUser.
	ListGroupsOutput struct {
		Groups      []Group `json:"Groups"`
		IsTruncated bool    `json:"IsTruncated"`
		Marker      *string `json:"Marker,omitempty"`
	}
	// GroupUserInput is the input of AddUserToGroup and RemoveUserFromGroup.
	GroupUserInput struct {
		GroupName *string `json:"GroupName,omitempty"`
		UserName  *string `json:"UserName,omitempty"`
	}
	// ListGroupsForUserInput is the input of ListGroupsForUser.
	ListGroupsForUserInput struct {
		UserName *string `json:"UserName,omitempty"`
		Marker   *string `json:"Marker,omitempty"`
		MaxItems *int32  `json:"MaxItems,omitempty"`
	}
)

func getGroup(tx *store.Tx, name string) (*groupRec, error) {
	e, err := groupKind.load(tx, name)
	if err != nil {
		return nil, err
	}
	return e.(*groupRec), nil
}

// groupUsers returns the users in a group.
func groupUsers(tx *store.Tx, group string) ([]User, error) {
	recs, err := store.List[userRec](tx, usersBucket, "")
	var out []User
	for _, u := range recs {
		if slices.ContainsFunc(u.Groups, func(g string) bool { return strings.EqualFold(g, group) }) {
			u.Tags = nil
			out = append(out, u.User)
		}
	}
	return out, err
}

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, in *CreateGroupInput) (*CreateGroupOutput, error) {
	name, err := checkName("groupName", in.GroupName, 128)
	if err != nil {
		return nil, err
	}
	path, err := checkPath("path", in.Path)
	if err != nil {
		return nil, err
	}
	g := groupRec{Group: Group{Path: path, GroupName: name, GroupId: NewID("AGPA", 17), Arn: s.arn("group", path, name), CreateDate: s.now()}}
	err = s.update(ctx, func(tx *store.Tx) error {
		if tx.Has(groupsBucket, lower(name)) {
			return errExists("Group with name %s already exists.", name)
		}
		return tx.Put(groupsBucket, lower(name), g)
	})
	if err != nil {
		return nil, err
	}
	return &CreateGroupOutput{Group: &g.Group}, nil
}

// GetGroup describes a group and lists its users.
func (s *Service) GetGroup(ctx context.Context, in *GroupNameInput) (*GetGroupOutput, error) {
	name, err := checkName("groupName", in.GroupName, 128)
	if err != nil {
		return nil, err
	}
	var g *groupRec
	var users []User
	err = s.view(ctx, func(tx *store.Tx) (err error) {
		if g, err = getGroup(tx, name); err != nil {
			return err
		}
		users, err = groupUsers(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	items, next, more, err := page(users, func(u User) string { return lower(u.UserName) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &GetGroupOutput{Group: &g.Group, Users: items, IsTruncated: more, Marker: next}, nil
}

// ListGroups lists the groups whose path starts with PathPrefix, by name.
func (s *Service) ListGroups(ctx context.Context, in *ListGroupsInput) (*ListGroupsOutput, error) {
	var groups []Group
	err := s.view(ctx, func(tx *store.Tx) error {
		recs, err := store.List[groupRec](tx, groupsBucket, "")
		for _, g := range recs {
			if strings.HasPrefix(g.Path, deref(in.PathPrefix)) {
				groups = append(groups, g.Group)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return groupPage(groups, in.Marker, in.MaxItems)
}

func groupPage(groups []Group, marker *string, maxItems *int32) (*ListGroupsOutput, error) {
	items, next, more, err := page(groups, func(g Group) string { return lower(g.GroupName) }, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return &ListGroupsOutput{Groups: items, IsTruncated: more, Marker: next}, nil
}

// DeleteGroup deletes a group without users or policies.
func (s *Service) DeleteGroup(ctx context.Context, in *GroupNameInput) (*Empty, error) {
	name, err := checkName("groupName", in.GroupName, 128)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, name)
		if err != nil {
			return err
		}
		users, err := groupUsers(tx, name)
		if err != nil {
			return err
		}
		switch {
		case len(users) > 0:
			return errConflict("Cannot delete entity, must remove users from group first.")
		case len(g.Inline) > 0:
			return errConflict("Cannot delete entity, must delete policies first.")
		case len(g.Attached) > 0:
			return errConflict("Cannot delete entity, must detach all policies first.")
		}
		return tx.Delete(groupsBucket, lower(name))
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// AddUserToGroup puts a user in a group (a no-op when it is already there).
func (s *Service) AddUserToGroup(ctx context.Context, in *GroupUserInput) (*Empty, error) {
	return s.editMembership(ctx, in, func(u *userRec, g *groupRec) error {
		if !slices.ContainsFunc(u.Groups, func(n string) bool { return strings.EqualFold(n, g.GroupName) }) {
			if len(u.Groups) >= 10 {
				return errLimit("Cannot exceed quota for GroupsPerUser: 10")
			}
			u.Groups = append(u.Groups, g.GroupName)
		}
		return nil
	})
}

// RemoveUserFromGroup takes a user out of a group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, in *GroupUserInput) (*Empty, error) {
	return s.editMembership(ctx, in, func(u *userRec, g *groupRec) error {
		i := slices.IndexFunc(u.Groups, func(n string) bool { return strings.EqualFold(n, g.GroupName) })
		if i < 0 {
			return errNoSuchEntity("The user with name %s cannot be found in group %s.", u.UserName, g.GroupName)
		}
		u.Groups = slices.Delete(u.Groups, i, i+1)
		return nil
	})
}

func (s *Service) editMembership(ctx context.Context, in *GroupUserInput, fn func(u *userRec, g *groupRec) error) (*Empty, error) {
	gname, err := checkName("groupName", in.GroupName, 128)
	if err != nil {
		return nil, err
	}
	uname, err := checkName("userName", in.UserName, 64)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, gname)
		if err != nil {
			return err
		}
		u, err := getUser(tx, uname)
		if err != nil {
			return err
		}
		if err := fn(&u, g); err != nil {
			return err
		}
		return tx.Put(usersBucket, lower(uname), u)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListGroupsForUser lists the groups a user is in.
func (s *Service) ListGroupsForUser(ctx context.Context, in *ListGroupsForUserInput) (*ListGroupsOutput, error) {
	name, err := checkName("userName", in.UserName, 64)
	if err != nil {
		return nil, err
	}
	var groups []Group
	err = s.view(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		for _, gn := range u.Groups {
			if g, err := getGroup(tx, gn); err == nil {
				groups = append(groups, g.Group)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return groupPage(groups, in.Marker, in.MaxItems)
}
