package ssm

import (
	"context"
	"slices"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// The resource types of the tagging API; Wharf serves parameters only, so the others
// never name an existing resource.
var resourceTypes = []string{"Document", "ManagedInstance", "MaintenanceWindow", "Parameter", "PatchBaseline", "OpsItem", "OpsMetadata", "Automation", "Association"}

// taggedParam resolves a tagging request's resource to a parameter name.
func (s *Service) taggedParam(tx *store.Tx, resourceType, resourceID string) (paramRecord, error) {
	if !slices.Contains(resourceTypes, resourceType) {
		return paramRecord{}, awsapi.Errorf("InvalidResourceType", "The resource type %q is not valid.", resourceType)
	}
	errID := awsapi.Errorf("InvalidResourceId", "The resource ID is not valid. Verify that the ID you specified is correct.")
	if resourceType != "Parameter" {
		return paramRecord{}, errID
	}
	ref, err := s.parseReference(resourceID)
	if err != nil || ref.selector != "" {
		return paramRecord{}, errID
	}
	p, _, err := s.find(tx, ref)
	if e, ok := awsapi.As(err); ok && e.Code == "ParameterNotFound" {
		return p, errID
	}
	return p, err
}

// AddTagsToResourceInput is the input of AddTagsToResource.
type AddTagsToResourceInput struct {
	ResourceId   *string `json:"ResourceId"`
	ResourceType string  `json:"ResourceType"`
	Tags         []Tag   `json:"Tags"`
}

// AddTagsToResourceOutput is the (empty) output of AddTagsToResource.
type AddTagsToResourceOutput struct{}

// AddTagsToResource adds or replaces tags on a parameter.
func (s *Service) AddTagsToResource(ctx context.Context, in *AddTagsToResourceInput) (*AddTagsToResourceOutput, error) {
	if len(in.Tags) == 0 {
		return nil, errValidation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		p, err := s.taggedParam(tx, in.ResourceType, deref(in.ResourceId))
		if err != nil {
			return err
		}
		p.Tags = mergeTags(p.Tags, in.Tags)
		if len(p.Tags) > maxTags {
			return awsapi.Errorf("TooManyTagsError", "The Tags parameter can have at most %d tags.", maxTags)
		}
		return tx.Put(bucketParams, p.Name, p)
	})
	if err != nil {
		return nil, err
	}
	return &AddTagsToResourceOutput{}, nil
}

// RemoveTagsFromResourceInput is the input of RemoveTagsFromResource.
type RemoveTagsFromResourceInput struct {
	ResourceId   *string  `json:"ResourceId"`
	ResourceType string   `json:"ResourceType"`
	TagKeys      []string `json:"TagKeys"`
}

// RemoveTagsFromResourceOutput is the (empty) output of RemoveTagsFromResource.
type RemoveTagsFromResourceOutput struct{}

// RemoveTagsFromResource removes tags from a parameter by key; absent keys are ignored.
func (s *Service) RemoveTagsFromResource(ctx context.Context, in *RemoveTagsFromResourceInput) (*RemoveTagsFromResourceOutput, error) {
	err := s.update(ctx, func(tx *store.Tx) error {
		p, err := s.taggedParam(tx, in.ResourceType, deref(in.ResourceId))
		if err != nil {
			return err
		}
		p.Tags = slices.DeleteFunc(p.Tags, func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
		return tx.Put(bucketParams, p.Name, p)
	})
	if err != nil {
		return nil, err
	}
	return &RemoveTagsFromResourceOutput{}, nil
}

// ListTagsForResourceInput is the input of ListTagsForResource.
type ListTagsForResourceInput struct {
	ResourceId   *string `json:"ResourceId"`
	ResourceType string  `json:"ResourceType"`
}

// ListTagsForResourceOutput is the output of ListTagsForResource.
type ListTagsForResourceOutput struct {
	TagList []Tag `json:"TagList"`
}

// ListTagsForResource lists a parameter's tags.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	var out ListTagsForResourceOutput
	err := s.view(ctx, func(tx *store.Tx) error {
		p, err := s.taggedParam(tx, in.ResourceType, deref(in.ResourceId))
		if err != nil {
			return err
		}
		out.TagList = append([]Tag{}, p.Tags...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
