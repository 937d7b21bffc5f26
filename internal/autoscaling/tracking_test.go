package autoscaling

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// putTracking puts a target tracking policy on default/web.
func (e *env) putTracking(name string, cfg *types.TargetTrackingScalingPolicyConfiguration) (*sdk.PutScalingPolicyOutput, error) {
	return e.client.PutScalingPolicy(e.ctx, &sdk.PutScalingPolicyInput{PolicyName: aws.String(name),
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web"), PolicyType: types.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: cfg})
}

func cpuTarget(v float64) *types.TargetTrackingScalingPolicyConfiguration {
	return &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(v),
		PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization}}
}

// alarms returns CloudWatch's metric alarms by name.
func (e *env) alarms() map[string]cwtypes.MetricAlarm {
	e.t.Helper()
	out, err := e.cwc.DescribeAlarms(e.ctx, &cwsdk.DescribeAlarmsInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]cwtypes.MetricAlarm{}
	for _, a := range out.MetricAlarms {
		m[aws.ToString(a.AlarmName)] = a
	}
	return m
}

func dims(ds []cwtypes.Dimension) map[string]string {
	m := map[string]string{}
	for _, d := range ds {
		m[aws.ToString(d.Name)] = aws.ToString(d.Value)
	}
	return m
}

// TestTargetTracking drives a CPU target tracking policy through the real CloudWatch
// evaluator: managed alarms as AWS creates them, a proportional scale-out after three
// minutes above the target, the scale-out cooldown, a larger scale-out inside it,
// conservative scale-ins after fifteen minutes below 90% of the target, the scale-in
// cooldown, the minimum, and the activities of each decision.
func TestTargetTracking(t *testing.T) {
	e := newEnv(t)
	e.register(1, 10)
	out, err := e.putTracking("cpu75", cpuTarget(75))
	if err != nil {
		t.Fatal(err)
	}
	policyARN := aws.ToString(out.PolicyARN)
	if !strings.HasPrefix(policyARN, "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:") ||
		!strings.HasSuffix(policyARN, ":resource/ecs/service/default/web:policyName/cpu75") {
		t.Fatalf("PolicyARN %s", policyARN)
	}
	if len(out.Alarms) != 2 {
		t.Fatalf("alarms: %+v", out.Alarms)
	}
	var high, low string
	for _, a := range out.Alarms {
		name := aws.ToString(a.AlarmName)
		if aws.ToString(a.AlarmARN) != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:"+name {
			t.Fatalf("alarm ARN %s of %s", aws.ToString(a.AlarmARN), name)
		}
		switch {
		case strings.HasPrefix(name, "TargetTracking-service/default/web-AlarmHigh-"):
			high = name
		case strings.HasPrefix(name, "TargetTracking-service/default/web-AlarmLow-"):
			low = name
		}
	}
	if high == "" || low == "" {
		t.Fatalf("alarm names: %+v", out.Alarms)
	}
	alarms := e.alarms()
	for _, c := range []struct {
		name      string
		periods   int32
		op        cwtypes.ComparisonOperator
		threshold float64
	}{{high, 3, cwtypes.ComparisonOperatorGreaterThanThreshold, 75}, {low, 15, cwtypes.ComparisonOperatorLessThanThreshold, 67.5}} {
		a, ok := alarms[c.name]
		if !ok {
			t.Fatalf("alarm %s not in DescribeAlarms", c.name)
		}
		d := dims(a.Dimensions)
		if aws.ToString(a.Namespace) != "AWS/ECS" || aws.ToString(a.MetricName) != "CPUUtilization" || a.Statistic != cwtypes.StatisticAverage ||
			aws.ToInt32(a.Period) != 60 || aws.ToInt32(a.EvaluationPeriods) != c.periods || a.ComparisonOperator != c.op ||
			aws.ToFloat64(a.Threshold) != c.threshold || d["ClusterName"] != "default" || d["ServiceName"] != "web" || len(d) != 2 ||
			a.Unit != cwtypes.StandardUnitPercent || len(a.AlarmActions) != 1 || !strings.HasPrefix(a.AlarmActions[0], policyARN+":createdBy/") ||
			aws.ToString(a.AlarmDescription) != "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy "+a.AlarmActions[0]+"." {
			t.Fatalf("alarm %s: %+v", c.name, a)
		}
	}

	l := startLoop(t, e.cwClk, e.cw.Run)
	minute := func(cpu float64) {
		e.putCPU(cpu)
		l.step(time.Minute)
	}
	// Three minutes at 90% against a target of 75: 2 × 90 / 75 = 2.4, so 3 tasks.
	minute(90)
	minute(90)
	if n := e.scaler.get("default/web"); n != 2 {
		t.Fatalf("scaled after two minutes: %d", n)
	}
	minute(90)
	if n := e.scaler.get("default/web"); n != 3 {
		t.Fatalf("after three minutes at 90%%: desired %d, want 3", n)
	}
	acts := e.activities(false)
	wantCause := "monitor alarm " + high + " in state ALARM triggered policy cpu75"
	if len(acts) != 1 || aws.ToString(acts[0].Description) != "Setting desired count to 3." || aws.ToString(acts[0].Cause) != wantCause ||
		acts[0].StatusCode != types.ScalingActivityStatusCodeSuccessful || acts[0].StartTime == nil || acts[0].EndTime == nil {
		t.Fatalf("activities: %+v", acts)
	}
	// The alarm stays in ALARM and CloudWatch invokes the policy every minute, but the
	// scale-out cooldown (300 s) holds the same scale-out back.
	minute(90)
	minute(90)
	if n := e.scaler.get("default/web"); n != 3 {
		t.Fatalf("scaled again inside the cooldown: %d", n)
	}
	notScaled := e.activities(true)
	if len(notScaled) != 2 || aws.ToString(notScaled[0].Description) != "Attempting to scale due to alarm triggered" ||
		notScaled[0].StatusCode != types.ScalingActivityStatusCodeFailed || !strings.Contains(aws.ToString(notScaled[0].StatusMessage), "cooldown") {
		t.Fatalf("not-scaled activities (one, deduplicated): %+v", notScaled)
	}
	// A larger scale-out proceeds inside the cooldown: 2 × 150 / 75 = 4.
	minute(150)
	if n := e.scaler.get("default/web"); n != 4 {
		t.Fatalf("larger scale-out inside the cooldown: desired %d, want 4", n)
	}
	// Fifteen minutes below 67.5% (90% of the target) fire the low alarm: 4 × 30 / 75
	// = 1.6, so 2 tasks keep the metric at or below the target.
	lowAt := 0
	for i := 1; i <= 20 && e.scaler.get("default/web") == 4; i++ {
		minute(30)
		lowAt = i
	}
	if n := e.scaler.get("default/web"); n != 2 || lowAt < 15 {
		t.Fatalf("after %d minutes at 30%%: desired %d, want 2 after at least 15", lowAt, n)
	}
	acts = e.activities(false)
	if aws.ToString(acts[0].Cause) != "monitor alarm "+low+" in state ALARM triggered policy cpu75" ||
		aws.ToString(acts[0].Description) != "Setting desired count to 2." {
		t.Fatalf("scale-in activity: %+v", acts[0])
	}
	// The scale-in cooldown holds the next scale-in for five minutes; then 2 × 30 / 75
	// rounds up to 1, the minimum.
	for range 4 {
		minute(30)
		if n := e.scaler.get("default/web"); n != 2 {
			t.Fatalf("scaled in again inside the scale-in cooldown: %d", n)
		}
	}
	minute(30)
	if n := e.scaler.get("default/web"); n != 1 {
		t.Fatalf("after the scale-in cooldown: desired %d, want 1", n)
	}
	minute(30)
	minute(30)
	all := e.activities(true)
	if all[0].StatusCode != types.ScalingActivityStatusCodeFailed || len(all[0].NotScaledReasons) != 1 ||
		aws.ToString(all[0].NotScaledReasons[0].Code) != "AlreadyAtMinCapacity" || aws.ToInt32(all[0].NotScaledReasons[0].MinCapacity) != 1 {
		t.Fatalf("at the minimum: %+v", all[0])
	}
	if acts := e.activities(false); len(acts) != 4 {
		t.Fatalf("%d scaling activities, want 4 (3, 4, 2, 1)", len(acts))
	}

	// Deleting the policy deletes its alarms.
	if _, err := e.client.DeleteScalingPolicy(e.ctx, &sdk.DeleteScalingPolicyInput{PolicyName: aws.String("cpu75"),
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web")}); err != nil {
		t.Fatal(err)
	}
	if a := e.alarms(); len(a) != 0 {
		t.Fatalf("alarms left after DeleteScalingPolicy: %v", a)
	}
	_, err = e.client.DeleteScalingPolicy(e.ctx, &sdk.DeleteScalingPolicyInput{PolicyName: aws.String("cpu75"),
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web")})
	wantCode(t, err, "ObjectNotFoundException", "No scaling policy found for service namespace: ecs, resource ID: service/default/web, scalable dimension: ecs:service:DesiredCount, policy name: cpu75")
}

// TestTrackingMaxCapacity checks that scale-out stops at the maximum and records
// AlreadyAtMaxCapacity, and that a suspended scale-out does nothing.
func TestTrackingMaxCapacity(t *testing.T) {
	e := newEnv(t)
	e.register(1, 3)
	if _, err := e.putTracking("cpu50", cpuTarget(50)); err != nil {
		t.Fatal(err)
	}
	l := startLoop(t, e.cwClk, e.cw.Run)
	for range 3 {
		e.putCPU(100)
		l.step(time.Minute)
	}
	// 2 × 100 / 50 = 4, clamped to the maximum 3.
	if n := e.scaler.get("default/web"); n != 3 {
		t.Fatalf("desired %d, want the maximum 3", n)
	}
	for range 6 {
		e.putCPU(100)
		l.step(time.Minute)
	}
	all := e.activities(true)
	if len(all[0].NotScaledReasons) != 1 || aws.ToString(all[0].NotScaledReasons[0].Code) != "AlreadyAtMaxCapacity" ||
		aws.ToInt32(all[0].NotScaledReasons[0].MaxCapacity) != 3 {
		t.Fatalf("at the maximum: %+v", all[0])
	}
	// Suspending dynamic scale-out: raising the maximum does not let it scale.
	if _, err := e.client.RegisterScalableTarget(e.ctx, &sdk.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String("service/default/web"),
		MaxCapacity: aws.Int32(10), SuspendedState: &types.SuspendedState{DynamicScalingOutSuspended: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		e.putCPU(100)
		l.step(time.Minute)
	}
	if n := e.scaler.get("default/web"); n != 3 {
		t.Fatalf("scaled out while suspended: %d", n)
	}
	if all := e.activities(true); !strings.Contains(aws.ToString(all[0].StatusMessage), "suspended") {
		t.Fatalf("latest activity while suspended: %+v", all[0])
	}
}

// TestTrackingAlarms checks the alarms of the other metrics: DisableScaleIn (no low
// alarm), ALBRequestCountPerTarget, a customized metric and metric math; and that
// updating a policy replaces its alarms.
func TestTrackingAlarms(t *testing.T) {
	e := newEnv(t)
	e.register(1, 10)
	cfg := &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(1000), DisableScaleIn: aws.Bool(true),
		ScaleOutCooldown: aws.Int32(60), PredefinedMetricSpecification: &types.PredefinedMetricSpecification{
			PredefinedMetricType: types.MetricTypeALBRequestCountPerTarget,
			ResourceLabel:        aws.String("app/web-lb/50dc6c495c0c9188/targetgroup/web-tg/943f017f100becff")}}
	out, err := e.putTracking("requests", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Alarms) != 1 || !strings.Contains(aws.ToString(out.Alarms[0].AlarmName), "-AlarmHigh-") {
		t.Fatalf("DisableScaleIn alarms: %+v", out.Alarms)
	}
	a := e.alarms()[aws.ToString(out.Alarms[0].AlarmName)]
	if aws.ToString(a.Namespace) != "AWS/ApplicationELB" || aws.ToString(a.MetricName) != "RequestCountPerTarget" ||
		a.Statistic != cwtypes.StatisticSum || dims(a.Dimensions)["TargetGroup"] != "targetgroup/web-tg/943f017f100becff" ||
		aws.ToFloat64(a.Threshold) != 1000 {
		t.Fatalf("ALB alarm: %+v", a)
	}
	// Updating the policy to a customized metric replaces the alarms.
	first := aws.ToString(out.Alarms[0].AlarmName)
	out, err = e.putTracking("requests", &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(10),
		CustomizedMetricSpecification: &types.CustomizedMetricSpecification{MetricName: aws.String("QueueDepth"),
			Namespace: aws.String("App"), Statistic: types.MetricStatisticMaximum,
			Dimensions: []types.MetricDimension{{Name: aws.String("Queue"), Value: aws.String("jobs")}}}})
	if err != nil {
		t.Fatal(err)
	}
	now := e.alarms()
	if _, ok := now[first]; ok || len(now) != 2 || len(out.Alarms) != 2 {
		t.Fatalf("alarms after the update: %v (output %+v)", now, out.Alarms)
	}
	for _, al := range out.Alarms {
		a := now[aws.ToString(al.AlarmName)]
		if aws.ToString(a.Namespace) != "App" || aws.ToString(a.MetricName) != "QueueDepth" || a.Statistic != cwtypes.StatisticMaximum ||
			dims(a.Dimensions)["Queue"] != "jobs" {
			t.Fatalf("customized alarm: %+v", a)
		}
	}
	// Metric math.
	out, err = e.putTracking("perTask", &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(100),
		CustomizedMetricSpecification: &types.CustomizedMetricSpecification{Metrics: []types.TargetTrackingMetricDataQuery{
			{Id: aws.String("m1"), ReturnData: aws.Bool(false), MetricStat: &types.TargetTrackingMetricStat{Stat: aws.String("Sum"),
				Metric: &types.TargetTrackingMetric{Namespace: aws.String("App"), MetricName: aws.String("Jobs")}}},
			{Id: aws.String("m2"), ReturnData: aws.Bool(false), MetricStat: &types.TargetTrackingMetricStat{Stat: aws.String("Average"),
				Metric: &types.TargetTrackingMetric{Namespace: aws.String("ECS/ContainerInsights"), MetricName: aws.String("RunningTaskCount"),
					Dimensions: []types.TargetTrackingMetricDimension{{Name: aws.String("ServiceName"), Value: aws.String("web")}}}}},
			{Id: aws.String("e1"), Expression: aws.String("m1 / m2"), Label: aws.String("jobs per task")},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	a = e.alarms()[aws.ToString(out.Alarms[0].AlarmName)]
	if len(a.Metrics) != 3 || aws.ToString(a.Metrics[2].Expression) != "m1 / m2" || aws.ToInt32(a.Metrics[0].MetricStat.Period) != 60 {
		t.Fatalf("metric math alarm: %+v", a.Metrics)
	}
	desc, err := e.client.DescribeScalingPolicies(e.ctx, &sdk.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/default/web")})
	if err != nil || len(desc.ScalingPolicies) != 2 {
		t.Fatalf("DescribeScalingPolicies: %+v %v", desc, err)
	}
	p := desc.ScalingPolicies[1]
	if aws.ToString(p.PolicyName) != "requests" || p.PolicyType != types.PolicyTypeTargetTrackingScaling || len(p.Alarms) != 2 ||
		aws.ToFloat64(p.TargetTrackingScalingPolicyConfiguration.TargetValue) != 10 || p.CreationTime == nil {
		t.Fatalf("policy: %+v", p)
	}
	// Deregistering the target deletes its policies and their alarms.
	if _, err := e.client.DeregisterScalableTarget(e.ctx, &sdk.DeregisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String("service/default/web")}); err != nil {
		t.Fatal(err)
	}
	if left := e.alarms(); len(left) != 0 {
		t.Fatalf("alarms after deregistering: %v", left)
	}
	desc, err = e.client.DescribeScalingPolicies(e.ctx, &sdk.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs})
	if err != nil || len(desc.ScalingPolicies) != 0 {
		t.Fatalf("policies after deregistering: %+v %v", desc, err)
	}
}

func TestPolicyErrors(t *testing.T) {
	e := newEnv(t)
	_, err := e.putTracking("cpu", cpuTarget(50))
	wantType[*types.ObjectNotFoundException](t, err)
	e.register(1, 10)
	alb := func(label string) *types.TargetTrackingScalingPolicyConfiguration {
		return &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(100),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeALBRequestCountPerTarget,
				ResourceLabel: aws.String(label)}}
	}
	cases := []struct {
		name string
		cfg  *types.TargetTrackingScalingPolicyConfiguration
		msg  string
	}{
		{"bad ResourceLabel", alb("app/web-lb/50dc6c495c0c9188/web-tg/943f017f100becff"), "ResourceLabel app/web-lb/50dc6c495c0c9188/web-tg/943f017f100becff is not valid"},
		{"ResourceLabel missing", &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(100),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeALBRequestCountPerTarget}},
			"ResourceLabel is required"},
		{"ResourceLabel on CPU", &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization,
				ResourceLabel: aws.String("app/a/b/targetgroup/c/d")}}, "ResourceLabel can be specified only"},
		{"metric of another service", &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeDynamoDBReadCapacityUtilization}},
			"not valid for ServiceNamespace ecs"},
		{"no metric", &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50)}, "needs a PredefinedMetricSpecification"},
		{"zero target", cpuTarget(0), "targetValue"},
		{"negative cooldown", &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50), ScaleInCooldown: aws.Int32(-5),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization}},
			"scaleInCooldown"},
		{"customized statistic", &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50),
			CustomizedMetricSpecification: &types.CustomizedMetricSpecification{MetricName: aws.String("M"), Namespace: aws.String("N"),
				Statistic: "p99"}}, "Member must satisfy enum value set"},
		{"two queries return data", &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50),
			CustomizedMetricSpecification: &types.CustomizedMetricSpecification{Metrics: []types.TargetTrackingMetricDataQuery{
				{Id: aws.String("a"), Expression: aws.String("1")}, {Id: aws.String("b"), Expression: aws.String("2")}}}},
			"exactly one query that returns data"},
		{"math CloudWatch rejects", &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50),
			CustomizedMetricSpecification: &types.CustomizedMetricSpecification{Metrics: []types.TargetTrackingMetricDataQuery{
				{Id: aws.String("e1"), Expression: aws.String("m9 *")}}}}, "CloudWatch rejected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.putTracking("p", c.cfg)
			wantCode(t, err, "ValidationException", c.msg)
		})
	}
	if a := e.alarms(); len(a) != 0 {
		t.Fatalf("rejected policies left alarms: %v", a)
	}
	_, err = e.client.PutScalingPolicy(e.ctx, &sdk.PutScalingPolicyInput{PolicyName: aws.String("p"), ServiceNamespace: types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String("service/default/web"),
		PolicyType: types.PolicyTypePredictiveScaling})
	wantCode(t, err, "ValidationException", "PredictiveScaling policies are not supported by Wharf")
	_, err = e.client.PutScalingPolicy(e.ctx, &sdk.PutScalingPolicyInput{PolicyName: aws.String("p"), ServiceNamespace: types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String("service/default/web"),
		PolicyType: types.PolicyTypeTargetTrackingScaling})
	wantCode(t, err, "ValidationException", "TargetTrackingScalingPolicyConfiguration is required")
}
