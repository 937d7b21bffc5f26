package autoscaling

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// maxTargets is the quota of scalable targets per namespace and region.
const maxTargets = 3000

// ecsServiceRole is the service-linked role AWS reports for ECS scalable targets.
const ecsServiceRole = "role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"

// RegisterScalableTarget registers a scalable target or updates one: members left
// out keep their values. A new target needs MinCapacity and MaxCapacity and an ECS
// service that exists. The service's desired count is brought inside [min, max].
func (s *Service) RegisterScalableTarget(ctx context.Context, in *RegisterScalableTargetInput) (*RegisterScalableTargetOutput, error) {
	k, err := parseTarget(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	for _, c := range []struct {
		name string
		v    *int32
	}{{"minCapacity", in.MinCapacity}, {"maxCapacity", in.MaxCapacity}} {
		if c.v != nil && *c.v < 0 {
			return nil, errValidation("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 0", *c.v, c.name)
		}
	}
	if r := in.RoleARN; r != nil && (len(*r) > 1600 || !strings.HasPrefix(*r, "arn:") || strings.Count(*r, ":") < 5) {
		return nil, errValidation("1 validation error detected: Value '%s' at 'roleARN' failed to satisfy constraint: Member must be an IAM role ARN", clip(*r))
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var old *targetRecord
	count := 0
	err = s.view(ctx, func(tx *store.Tx) error {
		var err error
		old, err = getTarget(tx, k)
		count = tx.Count(bucketTargets, namespacePrefix(k.Namespace))
		return err
	})
	if err != nil {
		return nil, err
	}
	now := s.now()
	t := old
	if t == nil {
		if in.MinCapacity == nil || in.MaxCapacity == nil {
			return nil, errValidation("MinCapacity and MaxCapacity are required when you register a new scalable target.")
		}
		if count >= maxTargets {
			return nil, errLimit("You have reached the maximum number of scalable targets (%d) for service namespace %s.", maxTargets, k.Namespace)
		}
		if _, err := s.scaler.DesiredCount(ctx, k.cluster(), k.service()); err != nil {
			if notFound(err) {
				return nil, errValidation("ECS service doesn't exist: %s", k.ResourceID)
			}
			return nil, errFailedAccess("Failed to read the desired count of ECS service %s: %s", k.ResourceID, errMessage(err))
		}
		t = &targetRecord{targetKey: k, ID: s.targetID(k), Created: now,
			RoleARN: "arn:aws:iam::" + s.account + ":" + ecsServiceRole}
	}
	if in.MinCapacity != nil {
		t.Min = *in.MinCapacity
	}
	if in.MaxCapacity != nil {
		t.Max = *in.MaxCapacity
	}
	if t.Min > t.Max {
		return nil, errValidation("Minimum capacity cannot be greater than maximum capacity (MinCapacity %d, MaxCapacity %d).", t.Min, t.Max)
	}
	if in.RoleARN != nil {
		t.RoleARN = *in.RoleARN
	}
	if ss := in.SuspendedState; ss != nil {
		if ss.DynamicScalingInSuspended != nil {
			t.InSusp = *ss.DynamicScalingInSuspended
		}
		if ss.DynamicScalingOutSuspended != nil {
			t.OutSusp = *ss.DynamicScalingOutSuspended
		}
		if ss.ScheduledScalingSuspended != nil {
			t.SchedSusp = *ss.ScheduledScalingSuspended
		}
	}
	if len(in.Tags) > 0 {
		merged := maps.Clone(t.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, in.Tags)
		if len(merged) > 50 {
			return nil, errTooManyTags()
		}
		t.Tags = merged
	}
	t.Registered = now
	err = s.update(ctx, func(tx *store.Tx) error {
		if err := tx.Put(bucketTargets, k.key(), t); err != nil {
			return err
		}
		return tx.Put(bucketTargetIDs, t.ID, k.key())
	})
	if err != nil {
		return nil, err
	}
	s.enforceBounds(ctx, t)
	return &RegisterScalableTargetOutput{ScalableTargetARN: ptr(s.targetARN(t.ID))}, nil
}

// enforceBounds brings the desired count of a target's service inside its minimum
// and maximum capacity, as AWS does when a target is registered or its bounds change,
// and records the scaling activity. Failures are recorded, not returned. s.mu is held.
func (s *Service) enforceBounds(ctx context.Context, t *targetRecord) {
	current, err := s.scaler.DesiredCount(ctx, t.cluster(), t.service())
	if err != nil {
		s.log.Warn("autoscaling: read desired count", "resource_id", t.ResourceID, "err", err)
		return
	}
	switch {
	case current < t.Min:
		s.setCapacity(ctx, t, t.Min, "minimum capacity was set to "+itoa(t.Min))
	case current > t.Max:
		s.setCapacity(ctx, t, t.Max, "maximum capacity was set to "+itoa(t.Max))
	}
}

// DescribeScalableTargets lists the scalable targets of a namespace, optionally only
// those with the given resource ids and dimension, in pages.
func (s *Service) DescribeScalableTargets(ctx context.Context, in *DescribeScalableTargetsInput) (*DescribeScalableTargetsOutput, error) {
	if err := checkNamespace(in.ServiceNamespace); err != nil {
		return nil, err
	}
	if err := checkDimension(in.ScalableDimension); err != nil {
		return nil, err
	}
	limit, err := maxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := parseToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeScalableTargetsOutput{ScalableTargets: []ScalableTarget{}}
	err = s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketTargets, namespacePrefix(in.ServiceNamespace), func(key string, raw []byte) error {
			if key <= after {
				return nil
			}
			var t targetRecord
			if err := store.Decode(raw, &t); err != nil {
				return err
			}
			if len(in.ResourceIds) > 0 && !slices.Contains(in.ResourceIds, t.ResourceID) ||
				in.ScalableDimension != "" && in.ScalableDimension != t.Dimension {
				return nil
			}
			if len(out.ScalableTargets) == limit {
				out.NextToken = pageToken(after)
				return store.ErrStop
			}
			out.ScalableTargets = append(out.ScalableTargets, s.targetOutput(&t))
			after = key
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) targetOutput(t *targetRecord) ScalableTarget {
	return ScalableTarget{
		CreationTime: ptr(t.Created), MinCapacity: ptr(t.Min), MaxCapacity: ptr(t.Max),
		ResourceId: t.ResourceID, RoleARN: t.RoleARN, ScalableDimension: t.Dimension, ServiceNamespace: t.Namespace,
		ScalableTargetARN: s.targetARN(t.ID),
		SuspendedState: &SuspendedState{DynamicScalingInSuspended: ptr(t.InSusp), DynamicScalingOutSuspended: ptr(t.OutSusp),
			ScheduledScalingSuspended: ptr(t.SchedSusp)},
	}
}

// DeregisterScalableTarget deregisters a scalable target with its scaling policies
// (and their alarms), scheduled actions and tags. Its scaling activities remain.
func (s *Service) DeregisterScalableTarget(ctx context.Context, in *DeregisterScalableTargetInput) (*EmptyOutput, error) {
	k, err := parseTarget(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var t *targetRecord
	var policies []policyRecord
	err = s.view(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = getTarget(tx, k); err != nil || t == nil {
			return err
		}
		policies, err = store.List[policyRecord](tx, bucketPolicies, childPrefix(k))
		return err
	})
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errTargetNotFound(k)
	}
	for i := range policies {
		if err := s.deleteAlarms(ctx, policyAlarmNames(&policies[i])); err != nil {
			return nil, err
		}
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		for _, b := range []string{bucketPolicies, bucketCooldowns, bucketScheduled} {
			var keys []string
			if err := tx.Scan(b, childPrefix(k), func(key string, _ []byte) error { keys = append(keys, key); return nil }); err != nil {
				return err
			}
			for _, key := range keys {
				if err := tx.Delete(b, key); err != nil {
					return err
				}
			}
		}
		if err := tx.Delete(bucketTargetIDs, t.ID); err != nil {
			return err
		}
		return tx.Delete(bucketTargets, k.key())
	})
	if err != nil {
		return nil, err
	}
	return &EmptyOutput{}, nil
}

// targetByARN finds the scalable target an ARN names; nil when there is none.
func (s *Service) targetByARN(tx *store.Tx, arn string) (*targetRecord, error) {
	id, ok := strings.CutPrefix(arn, s.targetARN(""))
	if !ok || id == "" {
		return nil, nil
	}
	var key string
	if err := tx.Get(bucketTargetIDs, id, &key); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	parts := strings.SplitN(key, "\x00", 3)
	if len(parts) != 3 {
		return nil, nil
	}
	return getTarget(tx, targetKey{Namespace: parts[0], ResourceID: parts[1], Dimension: parts[2]})
}

// checkARN validates the ResourceARN of a tagging call.
func checkARN(arn string) error {
	if arn == "" {
		return errNull("resourceARN")
	}
	if len(arn) > 1011 {
		return errLength("resourceARN", arn, 1, 1011)
	}
	if !strings.HasPrefix(arn, "arn:") || strings.Count(arn, ":") < 5 {
		return errValidation("Invalid ARN: %s", clip(arn))
	}
	return nil
}

// TagResource adds tags to a scalable target or changes their values.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*EmptyOutput, error) {
	if err := checkARN(in.ResourceARN); err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errNull("tags")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.update(ctx, func(tx *store.Tx) error {
		t, err := s.targetByARN(tx, in.ResourceARN)
		if err != nil {
			return err
		}
		if t == nil {
			return errResourceNotFound(in.ResourceARN)
		}
		if t.Tags == nil {
			t.Tags = map[string]string{}
		}
		maps.Copy(t.Tags, in.Tags)
		if len(t.Tags) > 50 {
			return errTooManyTags()
		}
		return tx.Put(bucketTargets, t.key(), t)
	})
	if err != nil {
		return nil, err
	}
	return &EmptyOutput{}, nil
}

// UntagResource removes tags from a scalable target; absent keys are ignored.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*EmptyOutput, error) {
	if err := checkARN(in.ResourceARN); err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, errNull("tagKeys")
	}
	if len(in.TagKeys) > 200 {
		return nil, errValidation("1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 200")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.update(ctx, func(tx *store.Tx) error {
		t, err := s.targetByARN(tx, in.ResourceARN)
		if err != nil {
			return err
		}
		if t == nil {
			return errResourceNotFound(in.ResourceARN)
		}
		for _, key := range in.TagKeys {
			delete(t.Tags, key)
		}
		return tx.Put(bucketTargets, t.key(), t)
	})
	if err != nil {
		return nil, err
	}
	return &EmptyOutput{}, nil
}

// ListTagsForResource returns the tags of a scalable target.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	if err := checkARN(in.ResourceARN); err != nil {
		return nil, err
	}
	out := &ListTagsForResourceOutput{Tags: map[string]string{}}
	err := s.view(ctx, func(tx *store.Tx) error {
		t, err := s.targetByARN(tx, in.ResourceARN)
		if err != nil {
			return err
		}
		if t == nil {
			return errResourceNotFound(in.ResourceARN)
		}
		maps.Copy(out.Tags, t.Tags)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ResourceTags returns the tags of the scalable target an ARN names, for
// aws:ResourceTag/<key>.
func (s *Service) ResourceTags(ctx context.Context, arn string) map[string]string {
	var tags map[string]string
	_ = s.view(ctx, func(tx *store.Tx) error {
		t, err := s.targetByARN(tx, arn)
		if t != nil {
			tags = maps.Clone(t.Tags)
			if tags == nil {
				tags = map[string]string{}
			}
		}
		return err
	})
	return tags
}
