package autoscaling

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func step(lo, hi *float64, adj int32) types.StepAdjustment {
	return types.StepAdjustment{MetricIntervalLowerBound: lo, MetricIntervalUpperBound: hi, ScalingAdjustment: aws.Int32(adj)}
}

// putStep puts a step scaling policy on default/web and returns its ARN.
func (e *env) putStep(name string, cfg *types.StepScalingPolicyConfiguration) (string, error) {
	out, err := e.client.PutScalingPolicy(e.ctx, &sdk.PutScalingPolicyInput{PolicyName: aws.String(name),
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web"), PolicyType: types.PolicyTypeStepScaling, StepScalingPolicyConfiguration: cfg})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.PolicyARN), nil
}

// userAlarm creates an alarm of the user's whose action is a policy.
func (e *env) userAlarm(name string, op cwtypes.ComparisonOperator, threshold float64, policy string) {
	e.t.Helper()
	_, err := e.cwc.PutMetricAlarm(e.ctx, &cwsdk.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String("App"),
		MetricName: aws.String("CPU"), Statistic: cwtypes.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(threshold), ComparisonOperator: op, AlarmActions: []string{policy}})
	if err != nil {
		e.t.Fatal(err)
	}
}

// fireAlarm puts an alarm through OK into ALARM with the given datapoints, so that
// CloudWatch invokes its actions.
func (e *env) fireAlarm(name string, threshold float64, points ...float64) {
	e.t.Helper()
	for _, st := range []cwtypes.StateValue{cwtypes.StateValueOk, cwtypes.StateValueAlarm} {
		data := fmt.Sprintf(`{"version":"1.0","recentDatapoints":%s,"threshold":%g}`, jsonFloats(points), threshold)
		if _, err := e.cwc.SetAlarmState(e.ctx, &cwsdk.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: st,
			StateReason: aws.String("test"), StateReasonData: aws.String(data)}); err != nil {
			e.t.Fatal(err)
		}
	}
}

func jsonFloats(vs []float64) string {
	out := "["
	for i, v := range vs {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf("%g", v)
	}
	return out + "]"
}

// TestStepScaling drives step policies through CloudWatch alarm actions: the step
// the metric falls in, the cooldown with its "larger scale-out" rule, percentages with
// MinAdjustmentMagnitude, and the alarms listed for a step policy.
func TestStepScaling(t *testing.T) {
	e := newEnv(t)
	e.register(1, 20)
	e.scaler.set("default/web", 10)
	out, err := e.putStep("step-out", &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity,
		Cooldown: aws.Int32(120), StepAdjustments: []types.StepAdjustment{
			step(aws.Float64(10), aws.Float64(20), 2), step(aws.Float64(0), aws.Float64(10), 1), step(aws.Float64(20), nil, 4)}})
	if err != nil {
		t.Fatal(err)
	}
	e.userAlarm("cpu-high", cwtypes.ComparisonOperatorGreaterThanThreshold, 70, out)
	want := func(n int32, what string) {
		t.Helper()
		if got := e.scaler.get("default/web"); got != n {
			t.Fatalf("%s: desired %d, want %d", what, got, n)
		}
	}
	e.fireAlarm("cpu-high", 70, 80, 85) // average 82.5: 12.5 above, the +2 step
	want(12, "step [10, 20)")
	acts := e.activities(false)
	if aws.ToString(acts[0].Cause) != "monitor alarm cpu-high in state ALARM triggered policy step-out" ||
		aws.ToString(acts[0].Description) != "Setting desired count to 12." {
		t.Fatalf("activity: %+v", acts[0])
	}
	e.fireAlarm("cpu-high", 70, 95) // inside the cooldown, a larger scale-out: 10 + 4
	want(14, "larger scale-out inside the cooldown")
	e.fireAlarm("cpu-high", 70, 75) // 10 + 1 is less than 14: held back
	want(14, "smaller scale-out inside the cooldown")
	e.clock.Advance(2 * time.Minute)
	e.fireAlarm("cpu-high", 70, 75)
	want(15, "after the cooldown")
	e.fireAlarm("cpu-high", 70, 75) // 14 + 1 is not larger than 15: held back
	want(15, "inside the new cooldown")
	e.clock.Advance(2 * time.Minute)
	e.fireAlarm("cpu-high", 70, 80) // lower bound inclusive above the threshold: 10 is the +2 step
	want(17, "step boundary 10")

	in, err := e.putStep("step-in", &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypePercentChangeInCapacity,
		MinAdjustmentMagnitude: aws.Int32(2), MetricAggregationType: types.MetricAggregationTypeMaximum,
		StepAdjustments: []types.StepAdjustment{step(nil, aws.Float64(-10), -25), step(aws.Float64(-10), aws.Float64(0), -5)}})
	if err != nil {
		t.Fatal(err)
	}
	e.userAlarm("cpu-low", cwtypes.ComparisonOperatorLessThanThreshold, 30, in)
	e.fireAlarm("cpu-low", 30, 5, 10) // Maximum 10: 20 below, -25% of 17 = -4.25, so -4
	want(13, "-25%")
	e.fireAlarm("cpu-low", 30, 5)
	want(13, "scale-in inside the cooldown")
	e.clock.Advance(5 * time.Minute)
	e.fireAlarm("cpu-low", 30, 25) // 5 below: -5% of 13 = -0.65, at least MinAdjustmentMagnitude 2
	want(11, "-5% with MinAdjustmentMagnitude 2")
	if acts := e.activities(false); len(acts) != 6 {
		t.Fatalf("%d scaling activities, want 6 (12, 14, 15, 17, 13, 11)", len(acts))
	}

	policies, err := e.client.DescribeScalingPolicies(e.ctx, &sdk.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs,
		PolicyNames: []string{"step-out"}})
	if err != nil || len(policies.ScalingPolicies) != 1 {
		t.Fatalf("DescribeScalingPolicies: %+v %v", policies, err)
	}
	p := policies.ScalingPolicies[0]
	if len(p.Alarms) != 1 || aws.ToString(p.Alarms[0].AlarmName) != "cpu-high" || p.StepScalingPolicyConfiguration == nil ||
		len(p.StepScalingPolicyConfiguration.StepAdjustments) != 3 || aws.ToInt32(p.StepScalingPolicyConfiguration.Cooldown) != 120 {
		t.Fatalf("step policy: %+v", p)
	}
	// Deleting a step policy leaves the user's alarm alone.
	if _, err := e.client.DeleteScalingPolicy(e.ctx, &sdk.DeleteScalingPolicyInput{PolicyName: aws.String("step-out"),
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web")}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.alarms()["cpu-high"]; !ok {
		t.Fatal("DeleteScalingPolicy deleted the user's alarm")
	}
	// The alarm now names a deleted policy: CloudWatch records the action as failed.
	e.fireAlarm("cpu-high", 70, 95)
	want(11, "deleted policy")
}

func TestStepValidation(t *testing.T) {
	e := newEnv(t)
	e.register(1, 10)
	cases := []struct {
		name string
		cfg  *types.StepScalingPolicyConfiguration
		msg  string
	}{
		{"gap", &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity,
			StepAdjustments: []types.StepAdjustment{step(aws.Float64(0), aws.Float64(10), 1), step(aws.Float64(20), nil, 2)}},
			"must not overlap or leave a gap"},
		{"overlap", &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity,
			StepAdjustments: []types.StepAdjustment{step(aws.Float64(0), aws.Float64(10), 1), step(aws.Float64(5), nil, 2)}},
			"must not overlap or leave a gap"},
		{"two unbounded above", &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity,
			StepAdjustments: []types.StepAdjustment{step(aws.Float64(0), nil, 1), step(aws.Float64(5), nil, 2)}},
			"Only one step adjustment may have a null upper bound"},
		{"both bounds null", &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity,
			StepAdjustments: []types.StepAdjustment{step(nil, nil, 1)}}, "cannot both be null"},
		{"no steps", &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity}, "at least one step adjustment"},
		{"no adjustment type", &types.StepScalingPolicyConfiguration{StepAdjustments: []types.StepAdjustment{step(aws.Float64(0), nil, 1)}},
			"adjustmentType"},
		{"magnitude without percent", &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity,
			MinAdjustmentMagnitude: aws.Int32(2), StepAdjustments: []types.StepAdjustment{step(aws.Float64(0), nil, 1)}},
			"MinAdjustmentMagnitude is only supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.putStep("s", c.cfg)
			wantCode(t, err, "ValidationException", c.msg)
		})
	}
}

func TestPickStep(t *testing.T) {
	steps := []StepAdjustment{
		{MetricIntervalUpperBound: ptr(-10.0), ScalingAdjustment: ptr(int32(-2))},
		{MetricIntervalLowerBound: ptr(-10.0), MetricIntervalUpperBound: ptr(0.0), ScalingAdjustment: ptr(int32(-1))},
		{MetricIntervalLowerBound: ptr(0.0), MetricIntervalUpperBound: ptr(10.0), ScalingAdjustment: ptr(int32(1))},
		{MetricIntervalLowerBound: ptr(10.0), ScalingAdjustment: ptr(int32(2))},
	}
	cases := []struct {
		metric float64
		want   int32
	}{
		{50, 1}, // at the threshold: above, lower bound 0 inclusive
		{59.9, 1}, {60, 2}, {100, 2},
		{49, -1}, {40, -2}, // below: upper bound inclusive, -10 is the lower step
		{40.5, -1},
	}
	for _, c := range cases {
		got, ok := pickStep(steps, c.metric, 50)
		if !ok || got != c.want {
			t.Errorf("metric %g: step %d (%v), want %d", c.metric, got, ok, c.want)
		}
	}
	if _, ok := pickStep(steps[2:], 40, 50); ok {
		t.Error("a metric below every step matched one")
	}
}

func TestApplyAdjustment(t *testing.T) {
	pct := func(mam *int32) *StepScalingPolicyConfiguration {
		return &StepScalingPolicyConfiguration{AdjustmentType: AdjustmentPercentChangeInCapacity, MinAdjustmentMagnitude: mam}
	}
	cases := []struct {
		name         string
		cfg          *StepScalingPolicyConfiguration
		current, adj int32
		want         int32
	}{
		{"change", &StepScalingPolicyConfiguration{AdjustmentType: AdjustmentChangeInCapacity}, 4, -3, 1},
		{"exact", &StepScalingPolicyConfiguration{AdjustmentType: AdjustmentExactCapacity}, 4, 9, 9},
		{"percent above 1 rounds down", pct(nil), 10, 127, 22},      // +12.7 → +12
		{"percent between 0 and 1 rounds to 1", pct(nil), 3, 20, 4}, // +0.6 → +1
		{"percent between -1 and 0 rounds to -1", pct(nil), 3, -20, 2},
		{"percent below -1 rounds up", pct(nil), 10, -67, 4}, // -6.7 → -6
		{"min magnitude", pct(ptr(int32(3))), 10, 10, 13},    // +1 → +3
		{"min magnitude negative", pct(ptr(int32(3))), 10, -10, 7},
		{"percent of zero", pct(nil), 0, 50, 0},
		{"saturates", &StepScalingPolicyConfiguration{AdjustmentType: AdjustmentChangeInCapacity}, 2147483000, 2147483000, 2147483647},
	}
	for _, c := range cases {
		if got := applyAdjustment(c.current, c.adj, c.cfg); got != c.want {
			t.Errorf("%s: %d%+d = %d, want %d", c.name, c.current, c.adj, got, c.want)
		}
	}
	if got := aggregate([]float64{1, 5, 3}, "Average"); got != 3 {
		t.Errorf("Average: %g", got)
	}
	if got := aggregate([]float64{1, 5, 3}, "Minimum"); got != 1 {
		t.Errorf("Minimum: %g", got)
	}
	if got := aggregate([]float64{1, 5, 3}, ""); got != 3 {
		t.Errorf("default aggregation: %g", got)
	}
}
