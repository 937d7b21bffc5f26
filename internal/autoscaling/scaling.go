package autoscaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/store"
)

// reasonData is what scaling reads of an alarm's StateReasonData: the datapoints the
// alarm evaluated (oldest first) and its threshold.
type reasonData struct {
	RecentDatapoints []float64 `json:"recentDatapoints"`
	Threshold        *float64  `json:"threshold"`
}

// parseReasonData reads StateReasonData; anything unreadable yields no datapoints.
func parseReasonData(raw string) reasonData {
	var rd reasonData
	if err := json.Unmarshal([]byte(raw), &rd); err != nil {
		return reasonData{}
	}
	kept := rd.RecentDatapoints[:0]
	for _, v := range rd.RecentDatapoints {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			kept = append(kept, v)
		}
	}
	rd.RecentDatapoints = kept
	if rd.Threshold != nil && (math.IsNaN(*rd.Threshold) || math.IsInf(*rd.Threshold, 0)) {
		rd.Threshold = nil
	}
	return rd
}

// notScaled is why a scaling decision did not change the capacity.
type notScaled struct {
	code    string // AWS's NotScaledReason code, or "" when AWS has none
	reason  string // identifies the decision for deduplication
	message string
	reasons []NotScaledReason
}

// decision is the outcome of a policy's evaluation of an alarm.
type decision struct {
	scale  bool
	want   int32
	out    bool
	inCool bool // a scale-out that happens during the scale-out cooldown
	not    *notScaled
}

// DispatchAlarmAction performs the alarm action of a scaling policy: CloudWatch
// calls it when an alarm whose AlarmActions name the policy's ARN (with or without
// the :createdBy/<uuid> suffix of managed alarms) goes into ALARM, and again every
// minute while it stays there. Other states are ignored. It returns an error only when
// the ARN names no scaling policy; scaling failures are recorded as activities.
func (s *Service) DispatchAlarmAction(ctx context.Context, a cloudwatch.AlarmAction) error {
	ref, ok := parsePolicyARN(a.ActionARN)
	if !ok || ref.Region != s.region || ref.Account != s.account {
		return fmt.Errorf("autoscaling: %s is not a scaling policy of this account and region", a.ActionARN)
	}
	if a.NewState != cloudwatch.StateAlarm {
		return nil
	}
	k := targetKey{Namespace: ref.Namespace, ResourceID: ref.ResourceID, Dimension: DimensionECSDesired}
	if ref.Namespace != NamespaceECS || !validECSResourceID(ref.ResourceID) {
		return fmt.Errorf("autoscaling: no scaling policy %s", a.ActionARN)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var t *targetRecord
	var p *policyRecord
	var cd cooldownRecord
	err := s.view(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = getTarget(tx, k); err != nil || t == nil {
			return err
		}
		if p, err = getPolicy(tx, k, ref.Name); err != nil || p == nil {
			return err
		}
		if err := tx.Get(bucketCooldowns, p.key(), &cd); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if t == nil || p == nil || p.ID != ref.ID {
		return fmt.Errorf("autoscaling: no scaling policy %s", a.ActionARN)
	}
	cause := "monitor alarm " + a.AlarmName + " in state ALARM triggered policy " + p.Name
	now := s.now()
	current, err := s.scaler.DesiredCount(ctx, t.cluster(), t.service())
	if err != nil {
		s.recordNotScaled(ctx, t, now, cause, &notScaled{code: NotScaledUnscalable, reason: "read-failed",
			message: "Failed to read the desired count of ECS service " + t.ResourceID + ": " + errMessage(err),
			reasons: []NotScaledReason{{Code: NotScaledUnscalable}}})
		return nil
	}
	rd := parseReasonData(a.ReasonData)
	var d decision
	switch p.Type {
	case PolicyTypeTargetTracking:
		d = s.decideTracking(p, t, &cd, current, rd, a.AlarmName, now)
	case PolicyTypeStep:
		d = s.decideStep(p, t, &cd, current, rd, now)
	default:
		return nil
	}
	if d.not != nil {
		s.recordNotScaled(ctx, t, now, cause, d.not)
		return nil
	}
	act, err := s.scaleTo(ctx, t, d.want, cause)
	if err != nil {
		s.record(ctx, act, nil)
		return nil
	}
	if d.out {
		if !d.inCool {
			cd.OutBase = current
		}
		cd.OutAt, cd.InAt = now, time.Time{} // a scale-out ends a scale-in cooldown
	} else {
		cd.InAt = now
	}
	s.record(ctx, act, func(tx *store.Tx) error {
		if !tx.Has(bucketPolicies, p.key()) {
			return nil
		}
		return tx.Put(bucketCooldowns, p.key(), &cd)
	})
	return nil
}

// recordNotScaled records a decision not to scale.
func (s *Service) recordNotScaled(ctx context.Context, t *targetRecord, now time.Time, cause string, n *notScaled) {
	act := newActivity(t.targetKey, now, "Attempting to scale due to alarm triggered", cause)
	act.StatusCode, act.NotScaled, act.Reason = StatusFailed, true, n.reason
	if n.code != "" {
		act.Reason = n.code
	}
	act.NotScaledReasons = n.reasons
	if n.message != "" {
		act.StatusMessage = ptr(n.message)
	}
	s.log.Debug("autoscaling: not scaled", "resource_id", t.ResourceID, "cause", cause, "reason", act.Reason)
	s.record(ctx, act, nil)
}

// cooldownOf returns a policy's cooldown in real time: seconds, or ECS's default of
// 300 when unset, divided by the time scale.
func (s *Service) cooldownOf(v *int32) time.Duration {
	if v == nil {
		return s.scaled(defaultCooldown)
	}
	return s.scaled(int64(*v))
}

func cooling(at time.Time, d time.Duration, now time.Time) bool {
	return !at.IsZero() && now.Before(at.Add(d))
}

func notScaledMsg(reason, format string, args ...any) *notScaled {
	return &notScaled{reason: reason, message: fmt.Sprintf(format, args...)}
}

// decideTracking applies a target tracking policy to the metric of one of its alarms:
// proportional scale-out when the high alarm fires, conservative scale-in when the
// low one does, with the cooldowns and suspensions.
func (s *Service) decideTracking(p *policyRecord, t *targetRecord, cd *cooldownRecord, current int32, rd reasonData, alarm string, now time.Time) decision {
	c := p.Tracking
	target := *c.TargetValue
	if len(rd.RecentDatapoints) == 0 {
		return decision{not: notScaledMsg("no-data", "The alarm evaluated no datapoints to scale on.")}
	}
	metric := rd.RecentDatapoints[len(rd.RecentDatapoints)-1]
	var out bool
	switch {
	case alarm == p.AlarmHigh && p.AlarmHigh != "":
		out = true
	case alarm == p.AlarmLow && p.AlarmLow != "":
		out = false
	case metric > target:
		out = true
	case metric < target:
		out = false
	default:
		return decision{not: atDesired(current)}
	}
	outCool := s.cooldownOf(c.ScaleOutCooldown)
	if out {
		if t.OutSusp {
			return decision{not: notScaledMsg("out-suspended", "Dynamic scale-out is suspended on the scalable target.")}
		}
		base, inCool := current, cooling(cd.OutAt, outCool, now)
		if inCool {
			base = cd.OutBase
		}
		want := satInt32(math.Max(float64(base)+1, math.Ceil(float64(base)*metric/target-1e-9)))
		d := clampOut(t, current, want)
		if d.not != nil && inCool && d.not.code == NotScaledDesired {
			d.not = notScaledMsg("out-cooldown", "The scale-out cooldown lasts until %s; a larger scale-out than %d would proceed.",
				cd.OutAt.Add(outCool).Format(time.RFC3339), current)
		}
		d.inCool = inCool
		return d
	}
	if deref(c.DisableScaleIn) {
		return decision{not: notScaledMsg("scale-in-disabled", "The policy disables scale-in (DisableScaleIn).")}
	}
	if t.InSusp {
		return decision{not: notScaledMsg("in-suspended", "Dynamic scale-in is suspended on the scalable target.")}
	}
	if current <= t.Min {
		return clampIn(t, current, current)
	}
	if cooling(cd.OutAt, outCool, now) {
		return decision{not: notScaledMsg("in-blocked-by-out-cooldown", "Scale-in waits for the scale-out cooldown, until %s.",
			cd.OutAt.Add(outCool).Format(time.RFC3339))}
	}
	if inCool := s.cooldownOf(c.ScaleInCooldown); cooling(cd.InAt, inCool, now) {
		return decision{not: notScaledMsg("in-cooldown", "The scale-in cooldown lasts until %s.", cd.InAt.Add(inCool).Format(time.RFC3339))}
	}
	// The smallest capacity whose projected metric stays at or below the target.
	want := satInt32(math.Ceil(float64(current)*metric/target - 1e-9))
	if want >= current && current > t.Min {
		return decision{not: &notScaled{code: NotScaledFlapping, reasons: []NotScaledReason{{Code: NotScaledFlapping, CurrentCapacity: ptr(current)}}}}
	}
	return clampIn(t, current, want)
}

// decideStep applies a step scaling policy: the step whose range holds the difference
// between the aggregated metric and the alarm threshold sets the adjustment.
func (s *Service) decideStep(p *policyRecord, t *targetRecord, cd *cooldownRecord, current int32, rd reasonData, now time.Time) decision {
	c := p.Step
	if len(rd.RecentDatapoints) == 0 || rd.Threshold == nil {
		return decision{not: notScaledMsg("no-data", "The alarm evaluated no datapoints to scale on.")}
	}
	metric := aggregate(rd.RecentDatapoints, c.MetricAggregationType)
	adj, ok := pickStep(c.StepAdjustments, metric, *rd.Threshold)
	if !ok {
		return decision{not: notScaledMsg("no-step", "No step adjustment matches the metric value %g (threshold %g).", metric, *rd.Threshold)}
	}
	cool := s.cooldownOf(c.Cooldown)
	want := applyAdjustment(current, adj, c)
	switch {
	case want > current:
		if t.OutSusp {
			return decision{not: notScaledMsg("out-suspended", "Dynamic scale-out is suspended on the scalable target.")}
		}
		inCool := cooling(cd.OutAt, cool, now)
		if inCool {
			want = applyAdjustment(cd.OutBase, adj, c)
		}
		d := clampOut(t, current, want)
		if d.not != nil && inCool && d.not.code == NotScaledDesired {
			d.not = notScaledMsg("out-cooldown", "The cooldown lasts until %s; a larger scale-out than %d would proceed.",
				cd.OutAt.Add(cool).Format(time.RFC3339), current)
		}
		d.inCool = inCool
		return d
	case want < current:
		if t.InSusp {
			return decision{not: notScaledMsg("in-suspended", "Dynamic scale-in is suspended on the scalable target.")}
		}
		if current <= t.Min {
			return clampIn(t, current, want)
		}
		if last := later(cd.OutAt, cd.InAt); cooling(last, cool, now) {
			return decision{not: notScaledMsg("in-cooldown", "The cooldown lasts until %s.", last.Add(cool).Format(time.RFC3339))}
		}
		return clampIn(t, current, want)
	}
	return decision{not: atDesired(current)}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func atDesired(current int32) *notScaled {
	return &notScaled{code: NotScaledDesired, reasons: []NotScaledReason{{Code: NotScaledDesired, CurrentCapacity: ptr(current)}}}
}

// clampOut decides a scale-out to want within the target's bounds.
func clampOut(t *targetRecord, current, want int32) decision {
	n := max(min(want, t.Max), t.Min)
	if n > current {
		return decision{scale: true, want: n, out: true}
	}
	if current >= t.Max {
		return decision{not: &notScaled{code: NotScaledMax, reasons: []NotScaledReason{{Code: NotScaledMax, MaxCapacity: ptr(t.Max)}}}}
	}
	return decision{not: atDesired(current)}
}

// clampIn decides a scale-in to want within the target's bounds.
func clampIn(t *targetRecord, current, want int32) decision {
	n := min(max(want, t.Min), t.Max)
	if n < current {
		return decision{scale: true, want: n}
	}
	if current <= t.Min {
		return decision{not: &notScaled{code: NotScaledMin, reasons: []NotScaledReason{{Code: NotScaledMin, MinCapacity: ptr(t.Min)}}}}
	}
	return decision{not: atDesired(current)}
}

// aggregate combines the datapoints of an alarm as MetricAggregationType says
// (Average when unset).
func aggregate(vs []float64, how string) float64 {
	out := vs[0]
	sum := 0.0
	for _, v := range vs {
		sum += v
		switch how {
		case "Minimum":
			out = math.Min(out, v)
		case "Maximum":
			out = math.Max(out, v)
		}
	}
	if how == "Minimum" || how == "Maximum" {
		return out
	}
	return sum / float64(len(vs))
}

// pickStep returns the adjustment of the step whose interval holds metric−threshold.
// Above the threshold a step's lower bound is inclusive and its upper bound exclusive;
// below it, the other way round, as AWS documents.
func pickStep(steps []StepAdjustment, metric, threshold float64) (int32, bool) {
	diff := metric - threshold
	above := metric >= threshold
	for _, st := range steps {
		lo, hi := st.MetricIntervalLowerBound, st.MetricIntervalUpperBound
		loOK := lo == nil || above && diff >= *lo || !above && diff > *lo
		hiOK := hi == nil || above && diff < *hi || !above && diff <= *hi
		if loOK && hiOK && st.ScalingAdjustment != nil {
			return *st.ScalingAdjustment, true
		}
	}
	return 0, false
}

// applyAdjustment computes the capacity a step adjustment asks for. Percentages are
// rounded as AWS documents: above 1 down, between 0 and 1 to 1, between −1 and 0 to
// −1, below −1 up; MinAdjustmentMagnitude is the least change a percentage makes.
func applyAdjustment(current, adj int32, c *StepScalingPolicyConfiguration) int32 {
	switch c.AdjustmentType {
	case AdjustmentExactCapacity:
		return adj
	case AdjustmentPercentChangeInCapacity:
		delta := float64(current) * float64(adj) / 100
		var d float64
		switch {
		case delta >= 1:
			d = math.Floor(delta)
		case delta > 0:
			d = 1
		case delta <= -1:
			d = math.Ceil(delta)
		case delta < 0:
			d = -1
		}
		if m := c.MinAdjustmentMagnitude; m != nil && adj != 0 && math.Abs(d) < float64(*m) {
			d = math.Copysign(float64(*m), float64(adj))
		}
		return satInt32(float64(current) + d)
	}
	return satInt32(float64(current) + float64(adj))
}

// satInt32 converts to int32, saturating.
func satInt32(v float64) int32 {
	switch {
	case math.IsNaN(v):
		return 0
	case v >= math.MaxInt32:
		return math.MaxInt32
	case v <= math.MinInt32:
		return math.MinInt32
	}
	return int32(v)
}
