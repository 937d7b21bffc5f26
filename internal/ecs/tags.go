package ecs

import (
	"context"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// TagResourceInput is the input of TagResource.
type TagResourceInput struct {
	ResourceArn *string `json:"resourceArn,omitempty"`
	Tags        []Tag   `json:"tags,omitempty"`
}

// TagResourceOutput is the (empty) output of TagResource.
type TagResourceOutput struct{}

// UntagResourceInput is the input of UntagResource.
type UntagResourceInput struct {
	ResourceArn *string  `json:"resourceArn,omitempty"`
	TagKeys     []string `json:"tagKeys,omitempty"`
}

// UntagResourceOutput is the (empty) output of UntagResource.
type UntagResourceOutput struct{}

// ListTagsForResourceInput is the input of ListTagsForResource.
type ListTagsForResourceInput struct {
	ResourceArn *string `json:"resourceArn,omitempty"`
}

// ListTagsForResourceOutput is the output of ListTagsForResource.
type ListTagsForResourceOutput struct {
	Tags []Tag `json:"tags"`
}

// TagResource adds tags to (or changes the values of) a cluster, service, task, task
// definition or container instance.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*TagResourceOutput, error) {
	if len(in.Tags) == 0 {
		return nil, errInvalid("tags cannot be empty.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		return s.editTags(tx, deref(in.ResourceArn), true, func(tags *[]Tag) error {
			merged := mergeTags(*tags, in.Tags)
			if len(merged) > maxTags {
				return errInvalid("Too many tags: the resource would have %d and can have at most %d.", len(merged), maxTags)
			}
			*tags = merged
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &TagResourceOutput{}, nil
}

// UntagResource removes tags from a resource; keys it does not have are ignored.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*UntagResourceOutput, error) {
	if len(in.TagKeys) == 0 {
		return nil, errInvalid("tagKeys cannot be empty.")
	}
	for i, k := range in.TagKeys {
		if err := validateTagKey(k, i); err != nil {
			return nil, err
		}
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		return s.editTags(tx, deref(in.ResourceArn), true, func(tags *[]Tag) error {
			*tags = slices.DeleteFunc(slices.Clone(*tags), func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &UntagResourceOutput{}, nil
}

// ListTagsForResource lists the tags of a resource.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	out := &ListTagsForResourceOutput{Tags: []Tag{}}
	err := s.view(ctx, func(tx *store.Tx) error {
		return s.editTags(tx, deref(in.ResourceArn), false, func(tags *[]Tag) error {
			out.Tags = append(out.Tags, *tags...)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// editTags calls fn with the tags of the resource named by arn, and writes the
// resource back when write is set.
func (s *Service) editTags(tx *store.Tx, arn string, write bool, fn func(*[]Tag) error) error {
	if arn == "" {
		return errInvalid("resourceArn is required.")
	}
	r, ok := s.parseARN(arn)
	if !ok {
		if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && parts[0] == "arn" && parts[2] == "ecs" {
			return errResourceNotFound()
		}
		return errInvalid("resourceArn '%s' is not a valid ECS ARN.", arn)
	}
	var found bool
	var err error
	switch r.kind {
	case "cluster":
		found, err = editTagsOf(tx, bucketClusters, r.name, write, func(c *Cluster) *[]Tag {
			if c.Status != "ACTIVE" {
				return nil
			}
			return &c.Tags
		}, fn)
	case "service":
		found, err = editTagsOf(tx, bucketServices, childKey(r.cluster, r.name), write, func(rec *serviceRecord) *[]Tag {
			if rec.Service.Status == "INACTIVE" {
				return nil
			}
			return &rec.Service.Tags
		}, fn)
	case "task":
		found, err = editTagsOf(tx, bucketTasks, childKey(r.cluster, r.name), write, func(rec *taskRecord) *[]Tag { return &rec.Task.Tags }, fn)
	case "container-instance":
		found, err = editTagsOf(tx, bucketInstances, childKey(r.cluster, r.name), write, func(rec *instanceRecord) *[]Tag { return &rec.Instance.Tags }, fn)
	case "task-definition":
		ref, ok := s.parseTaskDefRef(arn)
		if ok && ref.revision > 0 {
			found, err = editTagsOf(tx, bucketTaskDefs, taskDefKey(ref.family, ref.revision), write, func(rec *taskDefRecord) *[]Tag { return &rec.Tags }, fn)
		}
	default:
		return errInvalid("resourceArn '%s' names a %s, which cannot be tagged.", arn, r.kind)
	}
	if err != nil {
		return err
	}
	if !found || (r.kind != "cluster" && r.kind != "task-definition" && r.cluster == "") {
		return errResourceNotFound()
	}
	return nil
}

func errResourceNotFound() error {
	return awsapi.Errorf("ResourceNotFoundException", "The specified resource could not be found.")
}

// editTagsOf reads the record bucket/key, calls fn with its tags (as tags picks them;
// nil means the resource is gone) and writes the record back when write is set.
func editTagsOf[T any](tx *store.Tx, bucket, key string, write bool, tags func(*T) *[]Tag, fn func(*[]Tag) error) (bool, error) {
	var rec T
	found, err := get(tx, bucket, key, &rec)
	if err != nil || !found {
		return false, err
	}
	t := tags(&rec)
	if t == nil {
		return false, nil
	}
	if err := fn(t); err != nil {
		return true, err
	}
	if write {
		return true, tx.Put(bucket, key, &rec)
	}
	return true, nil
}

// ResourceTags returns the tags of the ECS resource an ARN names, for
// aws:ResourceTag/<key>; nil when there is no such resource.
func (s *Service) ResourceTags(ctx context.Context, arn string) map[string]string {
	var tags map[string]string
	_ = s.view(ctx, func(tx *store.Tx) error {
		return s.editTags(tx, arn, false, func(t *[]Tag) error {
			tags = make(map[string]string, len(*t))
			for _, tag := range *t {
				tags[tag.Key] = tag.Value
			}
			return nil
		})
	})
	return tags
}
