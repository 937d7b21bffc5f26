package elbv2

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/store"
)

// AddTagsInput is the input of AddTags.
type AddTagsInput struct {
	ResourceArns []string `json:"ResourceArns,omitempty"`
	Tags         []Tag    `json:"Tags,omitempty"`
}

// AddTagsOutput is the (empty) output of AddTags.
type AddTagsOutput struct{}

// RemoveTagsInput is the input of RemoveTags.
type RemoveTagsInput struct {
	ResourceArns []string `json:"ResourceArns,omitempty"`
	TagKeys      []string `json:"TagKeys,omitempty"`
}

// RemoveTagsOutput is the (empty) output of RemoveTags.
type RemoveTagsOutput struct{}

// DescribeTagsInput is the input of DescribeTags.
type DescribeTagsInput struct {
	ResourceArns []string `json:"ResourceArns,omitempty"`
}

// DescribeTagsOutput is the output of DescribeTags.
type DescribeTagsOutput struct {
	TagDescriptions []TagDescription `json:"TagDescriptions"`
}

// validateTags checks tags given to a create operation or AddTags: keys of 1 to 128
// characters, values of up to 256, no "aws:" prefix, no key twice, at most 50.
func validateTags(tags []Tag) error {
	if len(tags) > quotaTags {
		return errCode("TooManyTags", "A resource can have at most %d tags; %d were given", quotaTags, len(tags))
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == nil {
			return errValidation("A tag key must be specified")
		}
		if err := validateTagKey(*t.Key); err != nil {
			return err
		}
		if v := deref(t.Value); utf8.RuneCountInString(v) > 256 {
			return errValidation("The value of tag '%s' is longer than 256 characters", *t.Key)
		}
		if seen[*t.Key] {
			return errCode("DuplicateTagKeys", "Tag key '%s' was specified more than once", *t.Key)
		}
		seen[*t.Key] = true
	}
	return nil
}

func validateTagKey(key string) error {
	if n := utf8.RuneCountInString(key); n < 1 || n > 128 {
		return errValidation("Tag key '%s' must be 1 to 128 characters long", key)
	}
	if strings.HasPrefix(strings.ToLower(key), "aws:") {
		return errValidation("Tag key '%s' cannot begin with 'aws:', which is reserved for AWS use", key)
	}
	return nil
}

func checkResourceArns(arns []string) error {
	if len(arns) == 0 {
		return errRequired("resourceArns")
	}
	if len(arns) > 20 {
		return errValidation("At most 20 resource ARNs can be given at once; %d were given", len(arns))
	}
	return nil
}

// AddTags adds tags to load balancers, target groups, listeners and rules, or changes
// the values of tags they have. A resource can have at most 50 tags (TooManyTags).
func (s *Service) AddTags(ctx context.Context, in *AddTagsInput) (*AddTagsOutput, error) {
	if err := checkResourceArns(in.ResourceArns); err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errRequired("tags")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		for _, arn := range in.ResourceArns {
			err := s.editTags(tx, arn, true, func(tags *[]Tag) error {
				merged := slices.Clone(*tags)
				for _, t := range in.Tags {
					i := slices.IndexFunc(merged, func(o Tag) bool { return *o.Key == *t.Key })
					nt := Tag{Key: ptr(*t.Key), Value: ptr(deref(t.Value))}
					if i >= 0 {
						merged[i] = nt
					} else {
						merged = append(merged, nt)
					}
				}
				if len(merged) > quotaTags {
					return errCode("TooManyTags", "The quota for the number of tags that can be assigned to a resource has been reached: '%s' would have %d tags and can have %d", arn, len(merged), quotaTags)
				}
				*tags = merged
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &AddTagsOutput{}, nil
}

// RemoveTags removes tags from resources; keys they do not have are ignored.
func (s *Service) RemoveTags(ctx context.Context, in *RemoveTagsInput) (*RemoveTagsOutput, error) {
	if err := checkResourceArns(in.ResourceArns); err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, errRequired("tagKeys")
	}
	for _, k := range in.TagKeys {
		if err := validateTagKey(k); err != nil {
			return nil, err
		}
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		for _, arn := range in.ResourceArns {
			err := s.editTags(tx, arn, true, func(tags *[]Tag) error {
				*tags = slices.DeleteFunc(slices.Clone(*tags), func(t Tag) bool { return slices.Contains(in.TagKeys, *t.Key) })
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &RemoveTagsOutput{}, nil
}

// DescribeTags lists the tags of resources.
func (s *Service) DescribeTags(ctx context.Context, in *DescribeTagsInput) (*DescribeTagsOutput, error) {
	if err := checkResourceArns(in.ResourceArns); err != nil {
		return nil, err
	}
	out := &DescribeTagsOutput{TagDescriptions: []TagDescription{}}
	err := s.view(ctx, func(tx *store.Tx) error {
		for _, arn := range in.ResourceArns {
			err := s.editTags(tx, arn, false, func(tags *[]Tag) error {
				out.TagDescriptions = append(out.TagDescriptions, TagDescription{ResourceArn: arn, Tags: append([]Tag{}, *tags...)})
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// editTags calls fn with the tags of the resource named by arn, and writes the resource
// back when write is set.
func (s *Service) editTags(tx *store.Tx, arn string, write bool, fn func(*[]Tag) error) error {
	r, ok := s.parseARN(arn)
	if !ok {
		for _, kind := range []string{kindLoadBalancer, kindTargetGroup, kindListener, kindRule} {
			if looksLikeARN(arn, kind) {
				return tagNotFound(kind, arn)
			}
		}
		return errValidation("'%s' is not a valid load balancer, target group, listener or rule ARN", arn)
	}
	switch r.kind {
	case kindLoadBalancer:
		rec, found, err := s.loadBalancer(tx, arn)
		if err != nil || !found {
			return orNotFound(err, r.kind, arn)
		}
		return edit(tx, bucketLBs, r.name, rec, &rec.Tags, write, fn)
	case kindTargetGroup:
		rec, found, err := s.targetGroup(tx, arn)
		if err != nil || !found {
			return orNotFound(err, r.kind, arn)
		}
		return edit(tx, bucketTGs, r.name, rec, &rec.Tags, write, fn)
	case kindListener:
		rec, found, err := s.listener(tx, arn)
		if err != nil || !found {
			return orNotFound(err, r.kind, arn)
		}
		return edit(tx, bucketListeners, listenerKey(r.name, r.listenerID), rec, &rec.Tags, write, fn)
	default: // kindRule
		rr, found, err := s.findRule(tx, arn)
		if err != nil || !found {
			return orNotFound(err, r.kind, arn)
		}
		if rr.rule == nil {
			return edit(tx, bucketListeners, listenerKey(r.name, r.listenerID), rr.listener, &rr.listener.DefaultRuleTags, write, fn)
		}
		return edit(tx, bucketRules, rr.key, rr.rule, &rr.rule.Tags, write, fn)
	}
}

// edit calls fn with tags (which belong to rec) and writes rec back when asked.
func edit(tx *store.Tx, bucket, key string, rec any, tags *[]Tag, write bool, fn func(*[]Tag) error) error {
	if err := fn(tags); err != nil {
		return err
	}
	if !write {
		return nil
	}
	return tx.Put(bucket, key, rec)
}

func orNotFound(err error, kind, arn string) error {
	if err != nil {
		return err
	}
	return tagNotFound(kind, arn)
}

func tagNotFound(kind, arn string) error {
	switch kind {
	case kindLoadBalancer:
		return errCode("LoadBalancerNotFound", "Load balancer '%s' not found", arn)
	case kindTargetGroup:
		return errCode("TargetGroupNotFound", "Target group '%s' not found", arn)
	case kindListener:
		return errCode("ListenerNotFound", "Listener '%s' not found", arn)
	default:
		return errCode("RuleNotFound", "Rule '%s' not found", arn)
	}
}

// ResourceTags returns the tags of the load balancer, target group, listener or rule an
// ARN names, for aws:ResourceTag/<key>; nil when there is no such resource.
func (s *Service) ResourceTags(ctx context.Context, arn string) map[string]string {
	var tags map[string]string
	_ = s.view(ctx, func(tx *store.Tx) error {
		return s.editTags(tx, arn, false, func(t *[]Tag) error {
			tags = make(map[string]string, len(*t))
			for _, tag := range *t {
				if tag.Key != nil {
					tags[*tag.Key] = deref(tag.Value)
				}
			}
			return nil
		})
	})
	return tags
}
