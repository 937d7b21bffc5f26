package kms

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// maxTags is KMS's limit of tags per key.
const maxTags = 50

func errTag(format string, args ...any) error {
	return awsapi.Errorf("TagException", format, args...)
}

// validateTags checks tag keys and values as KMS does.
func validateTags(tags []Tag) error {
	for _, t := range tags {
		if len(t.TagKey) < 1 || len(t.TagKey) > 128 {
			return errValidation("1 validation error detected: Value '%s' at 'tags.member.tagKey' failed to satisfy constraint: Member must have length between 1 and 128", t.TagKey)
		}
		if len(t.TagValue) > 256 {
			return errValidation("1 validation error detected: Value at 'tags.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256")
		}
		if strings.HasPrefix(strings.ToLower(t.TagKey), "aws:") {
			return errTag("Tag keys beginning with aws: are reserved: %s", t.TagKey)
		}
	}
	if len(tags) > maxTags {
		return errTag("A key can have at most %d tags.", maxTags)
	}
	return nil
}

// mergeTags returns tags with add applied: existing keys get the new values.
func mergeTags(tags, add []Tag) []Tag {
	out := append([]Tag(nil), tags...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if out[i].TagKey == t.TagKey {
				out[i].TagValue, replaced = t.TagValue, true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

// TagResourceInput is the input of TagResource.
type TagResourceInput struct {
	KeyId string `json:"KeyId"`
	Tags  []Tag  `json:"Tags"`
}

// TagResource adds or replaces tags of a key.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*Empty, error) {
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	_, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := customerManaged(k, "TagResource"); err != nil {
			return err
		}
		if k.State == statePendingDeletion {
			return usable(k)
		}
		tags := mergeTags(k.Tags, in.Tags)
		if len(tags) > maxTags {
			return errTag("A key can have at most %d tags.", maxTags)
		}
		k.Tags = tags
		return nil
	})
	return &Empty{}, err
}

// UntagResourceInput is the input of UntagResource.
type UntagResourceInput struct {
	KeyId   string   `json:"KeyId"`
	TagKeys []string `json:"TagKeys"`
}

// UntagResource removes tags from a key.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*Empty, error) {
	_, err := s.changeKey(ctx, in.KeyId, func(k *keyRecord) error {
		if err := customerManaged(k, "UntagResource"); err != nil {
			return err
		}
		if k.State == statePendingDeletion {
			return usable(k)
		}
		kept := k.Tags[:0]
		for _, t := range k.Tags {
			drop := false
			for _, key := range in.TagKeys {
				drop = drop || t.TagKey == key
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		k.Tags = kept
		return nil
	})
	return &Empty{}, err
}

// ListResourceTagsOutput is the output of ListResourceTags.
type ListResourceTagsOutput struct {
	NextMarker string `json:"NextMarker,omitempty"`
	Tags       []Tag  `json:"Tags"`
	Truncated  bool   `json:"Truncated"`
}

// ListResourceTags lists a key's tags, sorted by key.
func (s *Service) ListResourceTags(ctx context.Context, in *ListInput) (*ListResourceTagsOutput, error) {
	var k *keyRecord
	if err := s.view(ctx, func(tx *store.Tx) (err error) { k, err = s.resolve(tx, in.KeyId, false); return err }); err != nil {
		return nil, err
	}
	tags := append([]Tag(nil), k.Tags...)
	sortTags(tags)
	pg, next, err := page(tags, func(t Tag) string { return t.TagKey }, in.Marker, in.Limit)
	if err != nil {
		return nil, err
	}
	return &ListResourceTagsOutput{Tags: append([]Tag{}, pg...), NextMarker: next, Truncated: next != ""}, nil
}

func sortTags(tags []Tag) {
	for i := 1; i < len(tags); i++ {
		for j := i; j > 0 && tags[j].TagKey < tags[j-1].TagKey; j-- {
			tags[j], tags[j-1] = tags[j-1], tags[j]
		}
	}
}
