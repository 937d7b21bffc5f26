package logs

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// getGroup reads a log group record; a missing one is ResourceNotFoundException.
func getGroup(tx *store.Tx, name string) (groupRecord, error) {
	var g groupRecord
	err := tx.Get(bucketGroups, name, &g)
	if errors.Is(err, store.ErrNotFound) {
		return g, errGroupNotFound()
	}
	return g, err
}

// CreateLogGroup creates a log group. A KMS key id is recorded and reported, not
// used: events are stored unencrypted.
func (s *Service) CreateLogGroup(ctx context.Context, in *CreateLogGroupInput) (*CreateLogGroupOutput, error) {
	name, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if in.KmsKeyId != nil {
		if err := checkLen("kmsKeyId", *in.KmsKeyId, 0, 256); err != nil {
			return nil, err
		}
	}
	class, err := validGroupClass(in.LogGroupClass)
	if err != nil {
		return nil, err
	}
	if in.Tags != nil && len(in.Tags) == 0 {
		return nil, errInvalid("1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := validTags("tags", in.Tags); err != nil {
		return nil, err
	}
	if deref(in.DeletionProtectionEnabled) {
		return nil, errInvalid("Deletion protection is not supported by Wharf.")
	}
	return &CreateLogGroupOutput{}, s.createGroup(ctx, groupRecord{
		Name: name, CreationTime: s.nowMillis(), KmsKeyID: deref(in.KmsKeyId), Class: class, Tags: maps.Clone(in.Tags),
	})
}

// createGroup stores a new group.
func (s *Service) createGroup(ctx context.Context, g groupRecord) error {
	return s.update(ctx, func(tx *store.Tx) error {
		if tx.Has(bucketGroups, g.Name) {
			return awsapi.Errorf("ResourceAlreadyExistsException", "The specified log group already exists")
		}
		id, err := tx.NextSequence(bucketSeq)
		if err != nil {
			return err
		}
		g.ID = id
		return tx.Put(bucketGroups, g.Name, g)
	})
}

// DeleteLogGroup deletes a log group with its streams, metric filters and events.
func (s *Service) DeleteLogGroup(ctx context.Context, in *DeleteLogGroupInput) (*DeleteLogGroupOutput, error) {
	name, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	var g groupRecord
	if err := s.update(ctx, func(tx *store.Tx) error {
		var err error
		if g, err = getGroup(tx, name); err != nil {
			return err
		}
		for _, bucket := range []string{bucketStreams, bucketFilters} {
			var keys []string
			if err := tx.Scan(bucket, childPrefix(g.ID), func(k string, _ []byte) error {
				keys = append(keys, k)
				return nil
			}); err != nil {
				return err
			}
			for _, k := range keys {
				if err := tx.Delete(bucket, k); err != nil {
					return err
				}
			}
		}
		return tx.Delete(bucketGroups, name)
	}); err != nil {
		return nil, err
	}
	s.mu.Lock()
	l := s.groups[g.ID]
	delete(s.groups, g.ID)
	delete(s.filters, g.ID)
	s.deletedGroup(g.ID)
	s.mu.Unlock()
	if l == nil {
		l = &eventLog{dir: s.groupDir(g.ID)}
	}
	if err := l.destroy(); err != nil {
		// The group is gone; New removes the directory of a deleted group.
		s.log.Error("logs: cannot remove the events of a deleted log group", "log_group", name, "err", err)
	}
	return &DeleteLogGroupOutput{}, nil
}

// groupToken is DescribeLogGroups' position: the last name returned.
type groupToken struct {
	After string `json:"a"`
}

// DescribeLogGroups lists log groups in ASCII order of their names.
func (s *Service) DescribeLogGroups(ctx context.Context, in *DescribeLogGroupsInput) (*DescribeLogGroupsOutput, error) {
	limit, err := validLimit("limit", in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	prefix, pattern := deref(in.LogGroupNamePrefix), deref(in.LogGroupNamePattern)
	if in.LogGroupNamePrefix != nil {
		if _, err := validGroupName("logGroupNamePrefix", in.LogGroupNamePrefix); err != nil {
			return nil, err
		}
	}
	if in.LogGroupNamePattern != nil {
		if err := checkLen("logGroupNamePattern", pattern, 0, maxNameLen); err != nil {
			return nil, err
		}
		if !groupPatRE.MatchString(pattern) {
			return nil, errPatternMismatch("logGroupNamePattern", pattern, `[\.\-_/#A-Za-z0-9]*`)
		}
	}
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, errInvalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	var class string
	if in.LogGroupClass != "" {
		if class, err = validGroupClass(in.LogGroupClass); err != nil {
			return nil, err
		}
	}
	var wanted map[string]bool
	if in.LogGroupIdentifiers != nil {
		if len(in.LogGroupIdentifiers) < 1 || len(in.LogGroupIdentifiers) > 50 {
			return nil, errInvalid("1 validation error detected: Value at 'logGroupIdentifiers' failed to satisfy constraint: Member must have length between 1 and 50")
		}
		if in.LogGroupNamePrefix != nil || in.LogGroupNamePattern != nil {
			return nil, errInvalid("logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern.")
		}
		wanted = map[string]bool{}
		for _, id := range in.LogGroupIdentifiers {
			name, err := s.resolveGroup(nil, &id)
			if err != nil {
				if _, ok := awsapi.As(err); ok && strings.HasPrefix(id, "arn:") {
					continue // another account's group: not listed
				}
				return nil, err
			}
			wanted[name] = true
		}
	}
	var tok groupToken
	if err := decodeToken(in.NextToken, &tok); err != nil {
		return nil, err
	}
	out := &DescribeLogGroupsOutput{LogGroups: []LogGroup{}}
	type found struct {
		g       groupRecord
		filters int
	}
	var page []found
	more := false
	if err := s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketGroups, prefix, func(key string, raw []byte) error {
			if key <= tok.After && tok.After != "" {
				return nil
			}
			if pattern != "" && !strings.Contains(key, pattern) {
				return nil
			}
			if wanted != nil && !wanted[key] {
				return nil
			}
			var g groupRecord
			if err := store.Decode(raw, &g); err != nil {
				return err
			}
			if class != "" && g.Class != class {
				return nil
			}
			if len(page) == limit {
				more = true
				return store.ErrStop
			}
			page = append(page, found{g: g, filters: tx.Count(bucketFilters, childPrefix(g.ID))})
			return nil
		})
	}); err != nil {
		return nil, err
	}
	for _, f := range page {
		g := f.g
		lg := LogGroup{Arn: ptr(s.groupARN(g.Name)), CreationTime: ptr(g.CreationTime), LogGroupName: ptr(g.Name)}
		if in.LogGroupNamePattern == nil {
			lg.LogGroupArn = ptr(s.groupBareARN(g.Name))
			lg.LogGroupClass = g.Class
			lg.MetricFilterCount = ptr(int32(f.filters))
			lg.StoredBytes = ptr(int64(0))
			if l := s.eventLog(g.ID); l != nil {
				lg.StoredBytes = ptr(l.storedBytes())
			}
			lg.DeletionProtectionEnabled = ptr(false)
			if g.RetentionInDays > 0 {
				lg.RetentionInDays = ptr(g.RetentionInDays)
			}
			if g.KmsKeyID != "" {
				lg.KmsKeyId = ptr(g.KmsKeyID)
			}
		}
		out.LogGroups = append(out.LogGroups, lg)
	}
	if more && len(page) > 0 {
		out.NextToken = encodeToken(groupToken{After: page[len(page)-1].g.Name})
	}
	return out, nil
}

// modifyGroup applies fn to a stored group and writes it back.
func (s *Service) modifyGroup(ctx context.Context, name string, fn func(g *groupRecord) error) error {
	return s.update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, name)
		if err != nil {
			return err
		}
		if err := fn(&g); err != nil {
			return err
		}
		return tx.Put(bucketGroups, name, g)
	})
}

// PutRetentionPolicy sets how many days a group keeps its events.
func (s *Service) PutRetentionPolicy(ctx context.Context, in *PutRetentionPolicyInput) (*PutRetentionPolicyOutput, error) {
	name, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	days, err := validRetention(in.RetentionInDays)
	if err != nil {
		return nil, err
	}
	if err := s.modifyGroup(ctx, name, func(g *groupRecord) error {
		g.RetentionInDays = days
		return nil
	}); err != nil {
		return nil, err
	}
	return &PutRetentionPolicyOutput{}, nil
}

// DeleteRetentionPolicy makes a group keep its events forever.
func (s *Service) DeleteRetentionPolicy(ctx context.Context, in *DeleteRetentionPolicyInput) (*DeleteRetentionPolicyOutput, error) {
	name, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if err := s.modifyGroup(ctx, name, func(g *groupRecord) error {
		g.RetentionInDays = 0
		return nil
	}); err != nil {
		return nil, err
	}
	return &DeleteRetentionPolicyOutput{}, nil
}

// addTags merges tags into a group's, keeping at most 50.
func addTags(g *groupRecord, tags map[string]string, tooMany func() error) error {
	merged := maps.Clone(g.Tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	if len(merged) > maxTags {
		return tooMany()
	}
	g.Tags = merged
	return nil
}

// TagLogGroup adds or replaces tags of a log group (the older API).
func (s *Service) TagLogGroup(ctx context.Context, in *TagLogGroupInput) (*TagLogGroupOutput, error) {
	name, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errNull("tags")
	}
	if err := validTags("tags", in.Tags); err != nil {
		return nil, err
	}
	if err := s.modifyGroup(ctx, name, func(g *groupRecord) error {
		return addTags(g, in.Tags, func() error {
			return errInvalid("A log group can have no more than %d tags.", maxTags)
		})
	}); err != nil {
		return nil, err
	}
	return &TagLogGroupOutput{}, nil
}

// UntagLogGroup removes tags of a log group (the older API).
func (s *Service) UntagLogGroup(ctx context.Context, in *UntagLogGroupInput) (*UntagLogGroupOutput, error) {
	name, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errNull("tags")
	}
	if err := s.modifyGroup(ctx, name, func(g *groupRecord) error {
		for _, k := range in.Tags {
			delete(g.Tags, k)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return &UntagLogGroupOutput{}, nil
}

// groupTags returns a group's tags (never nil).
func (s *Service) groupTags(ctx context.Context, name string) (map[string]string, error) {
	var tags map[string]string
	err := s.view(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, name)
		tags = g.Tags
		return err
	})
	if tags == nil {
		tags = map[string]string{}
	}
	return tags, err
}

// ListTagsLogGroup lists the tags of a log group (the older API).
func (s *Service) ListTagsLogGroup(ctx context.Context, in *ListTagsLogGroupInput) (*ListTagsLogGroupOutput, error) {
	name, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	tags, err := s.groupTags(ctx, name)
	if err != nil {
		return nil, err
	}
	return &ListTagsLogGroupOutput{Tags: tags}, nil
}

// taggedGroup returns the log group a TagResource-style ARN names.
func (s *Service) taggedGroup(p *string) (string, error) {
	if p == nil {
		return "", errNull("resourceArn")
	}
	arn := *p
	if err := checkLen("resourceArn", arn, 1, 1011); err != nil {
		return "", err
	}
	if !resourceArnRE.MatchString(arn) {
		return "", errPatternMismatch("resourceArn", arn, `[\w+=/:,.@-]*`)
	}
	if !strings.HasPrefix(arn, "arn:") || strings.Count(arn, ":") < 5 {
		return "", errInvalid("Invalid ARN: %s", arn)
	}
	name, ok := s.groupFromARN(arn)
	if !ok {
		return "", errResourceNotFound()
	}
	return name, nil
}

// TagResource adds or replaces tags of a log group named by its ARN.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*TagResourceOutput, error) {
	name, err := s.taggedGroup(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errNull("tags")
	}
	if err := validTags("tags", in.Tags); err != nil {
		return nil, err
	}
	if err := s.modifyGroup(ctx, name, func(g *groupRecord) error {
		return addTags(g, in.Tags, func() error {
			return awsapi.Errorf("TooManyTagsException", "A resource can have no more than %d tags.", maxTags)
		})
	}); err != nil {
		return nil, notFoundAsResource(err)
	}
	return &TagResourceOutput{}, nil
}

// UntagResource removes tags of a log group named by its ARN.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*UntagResourceOutput, error) {
	name, err := s.taggedGroup(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		return nil, errNull("tagKeys")
	}
	if len(in.TagKeys) > maxTags {
		return nil, errInvalid("1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to %d", maxTags)
	}
	if err := s.modifyGroup(ctx, name, func(g *groupRecord) error {
		for _, k := range in.TagKeys {
			delete(g.Tags, k)
		}
		return nil
	}); err != nil {
		return nil, notFoundAsResource(err)
	}
	return &UntagResourceOutput{}, nil
}

// ListTagsForResource lists the tags of a log group named by its ARN.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	name, err := s.taggedGroup(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags, err := s.groupTags(ctx, name)
	if err != nil {
		return nil, notFoundAsResource(err)
	}
	return &ListTagsForResourceOutput{Tags: tags}, nil
}

// notFoundAsResource rewords a missing group as the resource APIs do.
func notFoundAsResource(err error) error {
	if e, ok := awsapi.As(err); ok && e.Code == "ResourceNotFoundException" {
		return errResourceNotFound()
	}
	return err
}
