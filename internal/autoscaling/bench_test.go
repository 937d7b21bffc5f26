package autoscaling

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/cloudwatch"
)

// BenchmarkDispatchAlarmAction measures one alarm action of a target tracking policy
// that scales (alternately out and in, so every call changes the desired count and
// records an activity).
func BenchmarkDispatchAlarmAction(b *testing.B) {
	e := newEnv(b)
	if _, err := e.s.RegisterScalableTarget(e.ctx, &RegisterScalableTargetInput{ServiceNamespace: "ecs", ResourceId: "service/default/web",
		ScalableDimension: "ecs:service:DesiredCount", MinCapacity: ptr(int32(1)), MaxCapacity: ptr(int32(100))}); err != nil {
		b.Fatal(err)
	}
	out, err := e.s.PutScalingPolicy(e.ctx, &PutScalingPolicyInput{PolicyName: "cpu", ServiceNamespace: "ecs", ResourceId: "service/default/web",
		ScalableDimension: "ecs:service:DesiredCount", PolicyType: PolicyTypeTargetTracking,
		TargetTrackingScalingPolicyConfiguration: &TargetTrackingScalingPolicyConfiguration{TargetValue: ptr(50.0), ScaleInCooldown: ptr(int32(0)),
			ScaleOutCooldown: ptr(int32(0)), PredefinedMetricSpecification: &PredefinedMetricSpecification{PredefinedMetricType: MetricECSCPU}}})
	if err != nil {
		b.Fatal(err)
	}
	high, _ := json.Marshal(map[string]any{"recentDatapoints": []float64{100}, "threshold": 50})
	low, _ := json.Marshal(map[string]any{"recentDatapoints": []float64{20}, "threshold": 45})
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		a := cloudwatch.AlarmAction{AlarmName: "x", ActionARN: *out.PolicyARN, NewState: "ALARM", ReasonData: string(high)}
		if i%2 == 1 {
			a.ReasonData = string(low)
		}
		if err := e.s.DispatchAlarmAction(e.ctx, a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDescribeScalingActivities measures a page of 50 of a target's 1,000
// activities.
func BenchmarkDescribeScalingActivities(b *testing.B) {
	e := newEnv(b)
	k := targetKey{"ecs", "service/default/web", "ecs:service:DesiredCount"}
	for range maxActivities {
		e.clock.Advance(time.Second)
		act := newActivity(k, e.s.now(), "Setting desired count to 3.", "test")
		act.StatusCode = StatusSuccessful
		e.s.record(e.ctx, act, nil)
	}
	in := &DescribeScalingActivitiesInput{ServiceNamespace: "ecs", ResourceId: k.ResourceID, MaxResults: ptr(int32(50))}
	for b.Loop() {
		out, err := e.s.DescribeScalingActivities(e.ctx, in)
		if err != nil || len(out.ScalingActivities) != 50 {
			b.Fatal(err)
		}
	}
}

// BenchmarkCronNext measures the next firing of a weekday cron in a time zone.
func BenchmarkCronNext(b *testing.B) {
	sc, err := parseSchedule("cron(30 9 ? * MON-FRI *)")
	if err != nil {
		b.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Paris")
	at := t0
	for b.Loop() {
		next, ok := sc.next(at, time.Time{}, loc, 1)
		if !ok {
			b.Fatal("never")
		}
		if at = next; at.Year() > 2100 {
			at = t0
		}
	}
}
