package autoscaling

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

const (
	// maxActivities is how many scaling activities a target keeps.
	maxActivities = 1000
	// activityRetention is how long scaling activities are kept: six weeks, as AWS
	// describes them.
	activityRetention = 6 * 7 * 24 * time.Hour
)

// activityRecord is a scaling activity as the store keeps it.
type activityRecord struct {
	ScalingActivity
	// NotScaled marks an activity that did not scale, listed only with
	// IncludeNotScaledActivities.
	NotScaled bool `json:"not_scaled,omitempty"`
	// Reason identifies a not-scaled decision, so that the same decision repeated
	// every minute while an alarm stays in ALARM is recorded once.
	Reason string `json:"reason,omitempty"`
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// newActivity starts an activity of a target.
func newActivity(k targetKey, start time.Time, description, cause string) *activityRecord {
	return &activityRecord{ScalingActivity: ScalingActivity{
		ActivityId: newUUID(), ServiceNamespace: k.Namespace, ResourceId: k.ResourceID, ScalableDimension: k.Dimension,
		Description: description, Cause: cause, StartTime: ptr(start), StatusCode: StatusInProgress,
	}}
}

// setCapacity sets the desired count of a target's service to n and records the
// scaling activity, successful or failed. s.mu is held.
func (s *Service) setCapacity(ctx context.Context, t *targetRecord, n int32, cause string) error {
	act, err := s.scaleTo(ctx, t, n, cause)
	s.record(ctx, act, nil)
	return err
}

// scaleTo sets the desired count of a target's service to n and returns the scaling
// activity to record, successful or failed. s.mu is held.
func (s *Service) scaleTo(ctx context.Context, t *targetRecord, n int32, cause string) (*activityRecord, error) {
	act := newActivity(t.targetKey, s.now(), "Setting desired count to "+itoa(n)+".", cause)
	err := s.scaler.SetDesiredCount(ctx, t.cluster(), t.service(), n)
	act.EndTime = ptr(s.now())
	if err != nil {
		act.StatusCode = StatusFailed
		act.StatusMessage = ptr("Failed to set desired count to " + itoa(n) + ". Reason: " + errMessage(err))
		s.log.Warn("autoscaling: set desired count", "resource_id", t.ResourceID, "desired_count", n, "err", err)
	} else {
		act.StatusCode = StatusSuccessful
		act.StatusMessage = ptr("Successfully set desired count to " + itoa(n) + ". Change successfully fulfilled by ecs.")
		s.log.Info("autoscaling: scaled", "resource_id", t.ResourceID, "desired_count", n, "cause", cause)
	}
	return act, err
}

// activityKey returns the store key of an activity: newest first within a target.
func activityKey(k targetKey, start time.Time, seq uint64) string {
	return childPrefix(k) + fmt.Sprintf("%020d%020d", math.MaxInt64-start.UnixNano(), math.MaxInt64-int64(seq&math.MaxInt64))
}

// record stores an activity, keeping a target's latest maxActivities, and runs also
// (when not nil) in the same transaction. A not-scaled activity that repeats the
// target's latest one is dropped.
func (s *Service) record(ctx context.Context, a *activityRecord, also func(tx *store.Tx) error) {
	k := targetKey{Namespace: a.ServiceNamespace, ResourceID: a.ResourceId, Dimension: a.ScalableDimension}
	prefix := childPrefix(k)
	err := s.update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if a.NotScaled {
			var latest activityRecord
			found := false
			err := tx.Scan(bucketActivity, prefix, func(_ string, raw []byte) error {
				found = true
				if err := store.Decode(raw, &latest); err != nil {
					return err
				}
				return store.ErrStop
			})
			if err != nil {
				return err
			}
			if found && latest.NotScaled && latest.Reason == a.Reason && latest.Cause == a.Cause {
				if also != nil {
					return also(tx)
				}
				return nil
			}
		}
		seq, err := tx.NextSequence(bucketActivity)
		if err != nil {
			return err
		}
		if err := tx.Put(bucketActivity, activityKey(k, *a.StartTime, seq), a); err != nil {
			return err
		}
		var old []string
		n := 0
		err = tx.Scan(bucketActivity, prefix, func(key string, _ []byte) error {
			if n++; n > maxActivities {
				old = append(old, key)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, key := range old {
			if err := tx.Delete(bucketActivity, key); err != nil {
				return err
			}
		}
		if also != nil {
			return also(tx)
		}
		return nil
	})
	if err != nil {
		s.log.Error("autoscaling: record scaling activity", "resource_id", k.ResourceID, "err", err)
	}
}

// DescribeScalingActivities lists the scaling activities of a namespace from the
// last six weeks, newest first, optionally of one resource and dimension; not-scaled
// activities only with IncludeNotScaledActivities.
func (s *Service) DescribeScalingActivities(ctx context.Context, in *DescribeScalingActivitiesInput) (*DescribeScalingActivitiesOutput, error) {
	if err := checkNamespace(in.ServiceNamespace); err != nil {
		return nil, err
	}
	if err := checkDimension(in.ScalableDimension); err != nil {
		return nil, err
	}
	if len(in.ResourceId) > 1600 {
		return nil, errLength("resourceId", in.ResourceId, 1, 1600)
	}
	limit, err := maxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := parseToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	include := deref(in.IncludeNotScaledActivities)
	cutoff := s.clock.Now().Add(-activityRetention)
	keep := func(a *activityRecord) bool {
		return (include || !a.NotScaled) && (in.ScalableDimension == "" || a.ScalableDimension == in.ScalableDimension) &&
			(in.ResourceId == "" || a.ResourceId == in.ResourceId) && a.StartTime != nil && !a.StartTime.Before(cutoff)
	}
	out := &DescribeScalingActivitiesOutput{ScalingActivities: []ScalingActivity{}}
	if in.ResourceId != "" {
		// One ECS service has one target, whose keys are newest first: read one page.
		if after != "" && after[0] != 'r' {
			return nil, errNextToken()
		}
		after = strings.TrimPrefix(after, "r")
		err = s.view(ctx, func(tx *store.Tx) error {
			return tx.Scan(bucketActivity, resourcePrefix(in.ServiceNamespace, in.ResourceId), func(key string, raw []byte) error {
				if key <= after {
					return nil
				}
				var a activityRecord
				if err := store.Decode(raw, &a); err != nil {
					return err
				}
				if !keep(&a) {
					return nil
				}
				if len(out.ScalingActivities) == limit {
					out.NextToken = pageToken("r" + after)
					return store.ErrStop
				}
				out.ScalingActivities = append(out.ScalingActivities, a.ScalingActivity)
				after = key
				return nil
			})
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	// Across targets: newest first by the time and sequence part of the keys.
	if after != "" && after[0] != 'a' {
		return nil, errNextToken()
	}
	after = strings.TrimPrefix(after, "a")
	type item struct {
		sortKey string
		act     ScalingActivity
	}
	var items []item
	err = s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketActivity, namespacePrefix(in.ServiceNamespace), func(key string, raw []byte) error {
			if len(key) < 40 {
				return nil
			}
			sk := key[len(key)-40:] + "\x00" + key
			if sk <= after {
				return nil
			}
			var a activityRecord
			if err := store.Decode(raw, &a); err != nil {
				return err
			}
			if keep(&a) {
				items = append(items, item{sortKey: sk, act: a.ScalingActivity})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(items, func(i, j int) bool { return items[i].sortKey < items[j].sortKey })
	for i, it := range items {
		if i == limit {
			out.NextToken = pageToken("a" + items[i-1].sortKey)
			break
		}
		out.ScalingActivities = append(out.ScalingActivities, it.act)
	}
	return out, nil
}

// purgeActivities drops the activities older than six weeks.
func (s *Service) purgeActivities(ctx context.Context, now time.Time) error {
	limit := math.MaxInt64 - now.Add(-activityRetention).UnixNano()
	return s.update(ctx, func(tx *store.Tx) error {
		var old []string
		err := tx.Scan(bucketActivity, "", func(key string, _ []byte) error {
			if len(key) < 40 {
				return nil
			}
			inv, err := strconv.ParseInt(strings.TrimLeft(key[len(key)-40:len(key)-20], "0"), 10, 64)
			if err == nil && inv > limit {
				old = append(old, key)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, key := range old {
			if err := tx.Delete(bucketActivity, key); err != nil {
				return err
			}
		}
		return nil
	})
}
