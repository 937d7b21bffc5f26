package cloudwatch

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// TagResourceInput is the input of TagResource.
type TagResourceInput struct {
	ResourceARN string `json:"ResourceARN"`
	Tags        []Tag  `json:"Tags"`
}

// UntagResourceInput is the input of UntagResource.
type UntagResourceInput struct {
	ResourceARN string   `json:"ResourceARN"`
	TagKeys     []string `json:"TagKeys"`
}

// ListTagsForResourceInput is the input of ListTagsForResource.
type ListTagsForResourceInput struct {
	ResourceARN string `json:"ResourceARN"`
}

// ListTagsForResourceOutput is the output of ListTagsForResource.
type ListTagsForResourceOutput struct {
	Tags []Tag `json:"Tags"`
}

// taggedAlarm resolves a resource ARN to an alarm of this account and region.
func (s *Service) taggedAlarm(tx *store.Tx, arn string) (*alarmRecord, error) {
	if arn == "" {
		return nil, errMissing("ResourceARN")
	}
	prefix := "arn:aws:cloudwatch:" + s.region + ":" + s.account + ":alarm:"
	if !strings.HasPrefix(arn, prefix) {
		if strings.HasPrefix(arn, "arn:") {
			return nil, errResourceNotFound(arn)
		}
		return nil, errInvalidValue("The value %s for parameter ResourceARN is not a valid ARN.", arn)
	}
	r, err := getAlarm(tx, arn[len(prefix):])
	if errors.Is(err, store.ErrNotFound) {
		return nil, errResourceNotFound(arn)
	}
	return r, err
}

// TagResource adds or replaces tags on an alarm.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*EmptyOutput, error) {
	if len(in.Tags) == 0 {
		return nil, errMissing("Tags")
	}
	if err := validTags(in.Tags, "Tags"); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		r, err := s.taggedAlarm(tx, in.ResourceARN)
		if err != nil {
			return err
		}
		for _, t := range in.Tags {
			if i := slices.IndexFunc(r.Tags, func(x Tag) bool { return x.Key == t.Key }); i >= 0 {
				r.Tags[i].Value = t.Value
			} else {
				r.Tags = append(r.Tags, t)
			}
		}
		if len(r.Tags) > maxTags {
			return errInvalidValue("An alarm can have at most %d tags.", maxTags)
		}
		return tx.Put(bucketAlarms, r.Name, r)
	})
	if err != nil {
		return nil, err
	}
	return &EmptyOutput{}, nil
}

// UntagResource removes tags from an alarm by key; absent keys are ignored.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*EmptyOutput, error) {
	if len(in.TagKeys) == 0 {
		return nil, errMissing("TagKeys")
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		r, err := s.taggedAlarm(tx, in.ResourceARN)
		if err != nil {
			return err
		}
		r.Tags = slices.DeleteFunc(r.Tags, func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
		return tx.Put(bucketAlarms, r.Name, r)
	})
	if err != nil {
		return nil, err
	}
	return &EmptyOutput{}, nil
}

// ListTagsForResource lists an alarm's tags.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	out := &ListTagsForResourceOutput{Tags: []Tag{}}
	err := s.view(ctx, func(tx *store.Tx) error {
		r, err := s.taggedAlarm(tx, in.ResourceARN)
		if err != nil {
			return err
		}
		out.Tags = append(out.Tags, r.Tags...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
