package autoscaling

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/store"
)

// maxPolicies is the quota of scaling policies per scalable target.
const maxPolicies = 50

// PutScalingPolicy creates or updates a scaling policy of a registered target. A
// target tracking policy creates its CloudWatch alarms (replacing them on update); a
// step scaling policy is invoked by the alarms whose AlarmActions name its ARN.
func (s *Service) PutScalingPolicy(ctx context.Context, in *PutScalingPolicyInput) (*PutScalingPolicyOutput, error) {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	k, err := parseTarget(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	if in.PolicyType != "" && !slices.Contains(policyTypes, in.PolicyType) {
		return nil, errEnum("policyType", in.PolicyType, policyTypes)
	}
	if in.PolicyType == PolicyTypePredictive || in.PredictiveScalingPolicyConfiguration != nil {
		return nil, errValidation("PredictiveScaling policies are not supported by Wharf.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var old *policyRecord
	var target *targetRecord
	count := 0
	err = s.view(ctx, func(tx *store.Tx) error {
		var err error
		if target, err = getTarget(tx, k); err != nil || target == nil {
			return err
		}
		count = tx.Count(bucketPolicies, childPrefix(k))
		old, err = getPolicy(tx, k, in.PolicyName)
		return err
	})
	if err != nil {
		return nil, err
	}
	if target == nil {
		return nil, errTargetNotFound(k)
	}
	p := &policyRecord{targetKey: k, Name: in.PolicyName, ID: newUUID(), CreatedBy: newUUID(), Created: s.now()}
	if old != nil {
		p.ID, p.CreatedBy, p.Created, p.Type, p.Step, p.Tracking = old.ID, old.CreatedBy, old.Created, old.Type, old.Step, old.Tracking
	} else if count >= maxPolicies {
		return nil, errLimit("A scalable target can have at most %d scaling policies.", maxPolicies)
	}
	if in.PolicyType != "" && in.PolicyType != p.Type {
		p.Type, p.Step, p.Tracking = in.PolicyType, nil, nil
	}
	if p.Type == "" {
		return nil, errNull("policyType")
	}
	switch p.Type {
	case PolicyTypeTargetTracking:
		if in.StepScalingPolicyConfiguration != nil {
			return nil, errValidation("StepScalingPolicyConfiguration is not valid for a TargetTrackingScaling policy.")
		}
		if c := in.TargetTrackingScalingPolicyConfiguration; c != nil {
			p.Tracking = c
		}
		if p.Tracking == nil {
			return nil, errValidation("TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.")
		}
		if err := checkTracking(p.Tracking); err != nil {
			return nil, err
		}
	case PolicyTypeStep:
		if in.TargetTrackingScalingPolicyConfiguration != nil {
			return nil, errValidation("TargetTrackingScalingPolicyConfiguration is not valid for a StepScaling policy.")
		}
		if c := in.StepScalingPolicyConfiguration; c != nil {
			p.Step = c
		}
		if p.Step == nil {
			return nil, errValidation("StepScalingPolicyConfiguration is required for a StepScaling policy.")
		}
		if err := checkStep(p.Step); err != nil {
			return nil, err
		}
	}
	var created []string
	if p.Type == PolicyTypeTargetTracking {
		if created, err = s.putTrackingAlarms(ctx, p); err != nil {
			return nil, err
		}
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		if t, err := getTarget(tx, k); err != nil || t == nil {
			if err == nil {
				err = errTargetNotFound(k)
			}
			return err
		}
		return tx.Put(bucketPolicies, p.key(), p)
	})
	if err != nil {
		_ = s.deleteAlarms(context.WithoutCancel(ctx), created)
		return nil, err
	}
	if old != nil {
		var stale []string
		for _, n := range policyAlarmNames(old) {
			if !slices.Contains(created, n) {
				stale = append(stale, n)
			}
		}
		if err := s.deleteAlarms(ctx, stale); err != nil {
			s.log.Warn("autoscaling: delete replaced alarms", "policy", p.Name, "err", err)
		}
	}
	out := &PutScalingPolicyOutput{PolicyARN: ptr(s.policyARN(p))}
	if p.Type == PolicyTypeTargetTracking {
		out.Alarms = s.managedAlarms(p)
	}
	return out, nil
}

// putTrackingAlarms creates the alarms of a target tracking policy with new names
// (recorded in p) and returns the names.
func (s *Service) putTrackingAlarms(ctx context.Context, p *policyRecord) ([]string, error) {
	if s.alarms == nil {
		return nil, errFailedAccess("Target tracking scaling needs CloudWatch alarms, which this Wharf has not configured.")
	}
	c := p.Tracking
	target := *c.TargetValue
	desc := "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + s.alarmAction(p) + "."
	high := &cloudwatch.PutMetricAlarmInput{
		AlarmName: "TargetTracking-" + p.ResourceID + "-AlarmHigh-" + newUUID(), AlarmDescription: ptr(desc),
		ActionsEnabled: ptr(true), AlarmActions: []string{s.alarmAction(p)},
		EvaluationPeriods: ptr(int32(3)), Threshold: ptr(target), ComparisonOperator: "GreaterThanThreshold",
		TreatMissingData: ptr("missing"),
	}
	alarmMetric(p.targetKey, c, high)
	inputs := []*cloudwatch.PutMetricAlarmInput{high}
	p.AlarmHigh, p.AlarmLow = high.AlarmName, ""
	if !deref(c.DisableScaleIn) {
		low := *high
		low.AlarmName = "TargetTracking-" + p.ResourceID + "-AlarmLow-" + newUUID()
		low.EvaluationPeriods, low.Threshold, low.ComparisonOperator = ptr(int32(15)), ptr(target*9/10), "LessThanThreshold"
		inputs = append(inputs, &low)
		p.AlarmLow = low.AlarmName
	}
	var created []string
	for _, in := range inputs {
		if _, err := s.alarms.PutMetricAlarm(ctx, in); err != nil {
			_ = s.deleteAlarms(context.WithoutCancel(ctx), created)
			return nil, alarmError(in.AlarmName, err)
		}
		created = append(created, in.AlarmName)
	}
	return created, nil
}

// alarmError turns CloudWatch's refusal of an alarm into an Application Auto Scaling
// error: invalid metrics are the caller's (ValidationException), the alarm quota is
// LimitExceededException, the rest FailedResourceAccessException.
func alarmError(name string, err error) error {
	e, ok := awsapi.As(err)
	if !ok {
		return errFailedAccess("Failed to create the CloudWatch alarm %s: %s", name, err.Error())
	}
	switch e.Code {
	case "ValidationException", "InvalidParameterValueException", "InvalidParameterCombinationException",
		"MissingRequiredParameterException":
		return errValidation("CloudWatch rejected the metric of the policy's alarm: %s", e.Message)
	case "LimitExceededFault", "LimitExceededException":
		return errLimit("Failed to create the CloudWatch alarm %s: %s", name, e.Message)
	}
	return errFailedAccess("Failed to create the CloudWatch alarm %s: %s", name, e.Message)
}

// deleteAlarms deletes alarms one by one, ignoring those already gone.
func (s *Service) deleteAlarms(ctx context.Context, names []string) error {
	if s.alarms == nil {
		return nil
	}
	for _, n := range names {
		_, err := s.alarms.DeleteAlarms(ctx, &cloudwatch.AlarmNamesInput{AlarmNames: []string{n}})
		if e, ok := awsapi.As(err); ok && (e.Code == "ResourceNotFound" || e.Code == "ResourceNotFoundException") {
			continue
		}
		if err != nil {
			return errFailedAccess("Failed to delete the CloudWatch alarm %s: %s", n, errMessage(err))
		}
	}
	return nil
}

// policyAlarmNames lists the alarms a policy owns.
func policyAlarmNames(p *policyRecord) []string {
	var out []string
	for _, n := range []string{p.AlarmHigh, p.AlarmLow} {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

func (s *Service) managedAlarms(p *policyRecord) []Alarm {
	out := []Alarm{}
	for _, n := range policyAlarmNames(p) {
		out = append(out, Alarm{AlarmName: n, AlarmARN: s.alarmARN(n)})
	}
	return out
}

// stepAlarms lists the alarms whose AlarmActions name a step policy, when the Alarms
// implementation can describe alarms.
func (s *Service) stepAlarms(ctx context.Context, p *policyRecord) []Alarm {
	d, ok := s.alarms.(AlarmDescriber)
	if !ok {
		return []Alarm{}
	}
	arn := s.policyARN(p)
	out := []Alarm{}
	in := &cloudwatch.DescribeAlarmsInput{ActionPrefix: ptr(arn), AlarmTypes: []string{cloudwatch.AlarmTypeMetric}, MaxRecords: ptr(int32(100))}
	for range 100 {
		res, err := d.DescribeAlarms(ctx, in)
		if err != nil {
			s.log.Warn("autoscaling: describe the alarms of a policy", "policy", p.Name, "err", err)
			return out
		}
		for _, a := range res.MetricAlarms {
			if slices.ContainsFunc(a.AlarmActions, func(act string) bool { return act == arn || strings.HasPrefix(act, arn+":createdBy/") }) {
				out = append(out, Alarm{AlarmName: a.AlarmName, AlarmARN: a.AlarmArn})
			}
		}
		if res.NextToken == nil {
			break
		}
		in.NextToken = res.NextToken
	}
	return out
}

// DescribeScalingPolicies lists the scaling policies of a namespace, optionally only
// those of a resource, dimension and names, in pages.
func (s *Service) DescribeScalingPolicies(ctx context.Context, in *DescribeScalingPoliciesInput) (*DescribeScalingPoliciesOutput, error) {
	if err := checkNamespace(in.ServiceNamespace); err != nil {
		return nil, err
	}
	if err := checkDimension(in.ScalableDimension); err != nil {
		return nil, err
	}
	if len(in.PolicyNames) > 50 {
		return nil, errValidation("1 validation error detected: Value at 'policyNames' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	limit, err := maxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := parseToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	prefix := namespacePrefix(in.ServiceNamespace)
	if in.ResourceId != "" {
		prefix = resourcePrefix(in.ServiceNamespace, in.ResourceId)
	}
	var page []policyRecord
	var next *string
	err = s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketPolicies, prefix, func(key string, raw []byte) error {
			if key <= after {
				return nil
			}
			var p policyRecord
			if err := store.Decode(raw, &p); err != nil {
				return err
			}
			if in.ResourceId != "" && p.ResourceID != in.ResourceId || in.ScalableDimension != "" && p.Dimension != in.ScalableDimension ||
				len(in.PolicyNames) > 0 && !slices.Contains(in.PolicyNames, p.Name) {
				return nil
			}
			if len(page) == limit {
				next = pageToken(after)
				return store.ErrStop
			}
			page = append(page, p)
			after = key
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := &DescribeScalingPoliciesOutput{ScalingPolicies: []ScalingPolicy{}, NextToken: next}
	for i := range page {
		p := &page[i]
		sp := ScalingPolicy{CreationTime: ptr(p.Created), PolicyARN: s.policyARN(p), PolicyName: p.Name, PolicyType: p.Type,
			ResourceId: p.ResourceID, ScalableDimension: p.Dimension, ServiceNamespace: p.Namespace,
			StepScalingPolicyConfiguration: p.Step, TargetTrackingScalingPolicyConfiguration: p.Tracking}
		if p.Type == PolicyTypeTargetTracking {
			sp.Alarms = s.managedAlarms(p)
		} else {
			sp.Alarms = s.stepAlarms(ctx, p)
		}
		out.ScalingPolicies = append(out.ScalingPolicies, sp)
	}
	return out, nil
}

// DeleteScalingPolicy deletes a scaling policy and the alarms it owns. Alarms of
// step policies are the user's and stay.
func (s *Service) DeleteScalingPolicy(ctx context.Context, in *DeleteScalingPolicyInput) (*EmptyOutput, error) {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	k, err := parseTarget(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var p *policyRecord
	err = s.view(ctx, func(tx *store.Tx) error {
		var err error
		p, err = getPolicy(tx, k, in.PolicyName)
		return err
	})
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errObjectNotFound("No scaling policy found for service namespace: %s, resource ID: %s, scalable dimension: %s, policy name: %s",
			k.Namespace, k.ResourceID, k.Dimension, in.PolicyName)
	}
	if err := s.deleteAlarms(ctx, policyAlarmNames(p)); err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx *store.Tx) error {
		if err := tx.Delete(bucketCooldowns, p.key()); err != nil {
			return err
		}
		return tx.Delete(bucketPolicies, p.key())
	})
	if err != nil {
		return nil, err
	}
	return &EmptyOutput{}, nil
}

// GetPredictiveScalingForecast is not served: Wharf has no predictive scaling.
func (s *Service) GetPredictiveScalingForecast(_ context.Context, in *GetPredictiveScalingForecastInput) (*EmptyOutput, error) {
	if _, err := parseTarget(in.ServiceNamespace, in.ResourceId, in.ScalableDimension); err != nil {
		return nil, err
	}
	return nil, errValidation("%s", fmt.Sprintf("PredictiveScaling policies are not supported by Wharf, so policy %s has no forecast.", in.PolicyName))
}
