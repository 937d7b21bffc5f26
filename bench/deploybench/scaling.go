package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

const (
	lowRate, highRate = 10.0, 150.0
	perTaskPerSecond  = 50.0 // the policy's target, per task per second of real time
)

// scalingResult is what the scaling step measured.
type scalingResult struct {
	timeScale     float64
	target        float64       // the policy's TargetValue, per task per period
	need          int32         // the desired count the high load needs
	firstActivity time.Duration // the first scale-out activity's StartTime
	highRate      float64       // achieved req/s after the step
	firstDesired  time.Duration
	reachedNeed   time.Duration // 0 if never
	firstNewPid   time.Duration // 0 if never
	allNewServing time.Duration // every added task answered; 0 if never
	desiredSteps  []string
	finalDesired  int32
	newPids       int
	activities    []string
	load          loadReport
	timedOut      bool
}

func runScaling(bin, api string, timeScale float64, workers int) (scalingResult, error) {
	res := scalingResult{timeScale: timeScale, target: perTaskPerSecond * 60 / timeScale,
		need: int32(math.Min(4, math.Ceil(highRate/perTaskPerSecond)))}
	e, err := newEnv(bin, api, timeScale)
	if err != nil {
		return res, err
	}
	defer e.w.Stop()
	ctx := context.Background()
	tg, err := e.targetGroup("api")
	if err != nil {
		return res, err
	}
	if _, err := e.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: &e.listener, Priority: aws.Int32(1),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/*"}}},
		Actions:    []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: &tg}}}); err != nil {
		return res, fmt.Errorf("CreateRule: %w", err)
	}
	if err := e.registerTaskDef("v1"); err != nil {
		return res, err
	}
	if _, err := e.ecs.CreateService(ctx, &awsecs.CreateServiceInput{ServiceName: aws.String("api"), TaskDefinition: aws.String("productapi"),
		DesiredCount: aws.Int32(1), LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: &tg, ContainerName: aws.String("api"), ContainerPort: aws.Int32(8080)}}}); err != nil {
		return res, fmt.Errorf("CreateService: %w", err)
	}
	if err := eventually(120*time.Second, "v1 answering through the listener", func() error { return e.serving("v1") }); err != nil {
		return res, err
	}
	if err := eventually(120*time.Second, "a steady service", func() error { return e.steady("productapi:1") }); err != nil {
		return res, err
	}
	c := aas.NewFromConfig(e.w.Config())
	rid := aws.String("service/default/api")
	if _, err := c.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: rid, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(4)}); err != nil {
		return res, fmt.Errorf("RegisterScalableTarget: %w", err)
	}
	label := strings.SplitN(e.lbArn, ":loadbalancer/", 2)[1] + "/" + strings.SplitN(tg, ":", 6)[5]
	if _, err := c.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("requests"), ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: rid, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(res.target),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{
				PredefinedMetricType: aastypes.MetricTypeALBRequestCountPerTarget, ResourceLabel: aws.String(label)}}}); err != nil {
		return res, fmt.Errorf("PutScalingPolicy: %w", err)
	}

	// The low load for 5 periods, then the step.
	period := time.Duration(60 / timeScale * float64(time.Second))
	load := newLoadGen(e.url(), lowRate, workers)
	time.Sleep(5 * period)
	before := load.pids()
	desired := func() (int32, error) {
		out, err := e.ecs.DescribeServices(ctx, &awsecs.DescribeServicesInput{Services: []string{"api"}})
		if err != nil {
			return 0, err
		}
		return out.Services[0].DesiredCount, nil
	}
	d0, err := desired()
	if err != nil {
		load.end()
		return res, err
	}
	res.desiredSteps = append(res.desiredSteps, fmt.Sprintf("%d@0s", d0))
	last := d0
	t0 := time.Now()
	sentAtStep := load.sent.Load()
	load.setRate(highRate)
	// Compressed: a minute passes in a second; faithful: AWS's 3-minute alarm, task
	// start and the 300 s cooldown take many minutes.
	limit := time.Duration(40*60/timeScale*float64(time.Second)) + 20*time.Second
	for {
		if time.Since(t0) > limit {
			res.timedOut = true
			break
		}
		time.Sleep(100 * time.Millisecond)
		now := time.Since(t0)
		d, err := desired()
		if err != nil {
			continue
		}
		if d != last {
			res.desiredSteps = append(res.desiredSteps, fmt.Sprintf("%d@%s", d, secs(now)))
			if res.firstDesired == 0 {
				res.firstDesired = now
			}
			last = d
		}
		if d >= res.need && res.reachedNeed == 0 {
			res.reachedNeed = now
		}
		var newest time.Time
		res.newPids = 0
		for pid, at := range load.pids() {
			if _, ok := before[pid]; ok {
				continue
			}
			res.newPids++
			if at.After(newest) {
				newest = at
			}
			if first := at.Sub(t0); res.firstNewPid == 0 || first < res.firstNewPid {
				res.firstNewPid = first
			}
		}
		if res.reachedNeed != 0 && int32(res.newPids) >= d-d0 {
			res.allNewServing = newest.Sub(t0)
			res.finalDesired = d
			break
		}
	}
	if res.finalDesired == 0 {
		res.finalDesired = last
	}
	load.end()
	res.load = load.report()
	res.highRate = float64(res.load.Sent-sentAtStep) / load.ended.Sub(t0).Seconds()
	acts, err := c.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: rid})
	if err == nil {
		for _, a := range acts.ScalingActivities {
			if at := aws.ToTime(a.StartTime).Sub(t0); at > 0 && a.StatusCode == aastypes.ScalingActivityStatusCodeSuccessful &&
				strings.Contains(aws.ToString(a.Cause), "AlarmHigh") && (res.firstActivity == 0 || at < res.firstActivity) {
				res.firstActivity = at
			}
			res.activities = append(res.activities, fmt.Sprintf("%s %s: %s (%s)", aws.ToTime(a.StartTime).Format("15:04:05.000"),
				a.StatusCode, aws.ToString(a.Description), aws.ToString(a.Cause)))
		}
	}
	return res, nil
}

func printScaling(r scalingResult) {
	mode := "compressed"
	if r.timeScale == 1 {
		mode = "faithful"
	}
	fmt.Printf("Scaling response (%s, wharf up --time-scale %g): 1 productapi task, target tracking ALBRequestCountPerTarget = %g per task per %gs period (50 per task per real second), min 1 max 4;\n",
		mode, r.timeScale, r.target, 60/r.timeScale)
	fmt.Printf("load step %g -> %g req/s after %d periods of the low load; the high load needs %d tasks\n", lowRate, highRate, 5, r.need)
	show := func(d time.Duration) string {
		if d == 0 {
			return "never"
		}
		return secs(d)
	}
	fmt.Printf("  step -> scale-out activity (its StartTime): %s\n", show(r.firstActivity))
	fmt.Printf("  step -> desired count first seen raised:   %s (DescribeServices every 100 ms)\n", show(r.firstDesired))
	fmt.Printf("  step -> first answer from a new task:      %s\n", show(r.firstNewPid))
	fmt.Printf("  step -> desired count reaches %d:           %s\n", r.need, show(r.reachedNeed))
	fmt.Printf("  step -> every added task answering:        %s\n", show(r.allNewServing))
	fmt.Printf("  desired count: %s (final %d, new pids answering %d)%s\n", strings.Join(r.desiredSteps, " -> "), r.finalDesired, r.newPids,
		map[bool]string{true: " TIMED OUT", false: ""}[r.timedOut])
	l := r.load
	fmt.Printf("  load: sent %d, failed %d, missed by the generator %d, achieved %.1f req/s after the step (%.1f over the whole %s), p99 %s\n",
		l.Sent, l.Failed, l.Missed, r.highRate, l.Achieved, secs(l.Duration), ms(l.P99))
	for _, e := range l.FirstErrors {
		fmt.Printf("    failed: %s\n", e)
	}
	fmt.Println("  scaling activities:")
	for _, a := range r.activities {
		fmt.Printf("    %s\n", a)
	}
	fmt.Println("  AWS's own figures (time-scale 1): ALB publishes RequestCountPerTarget as 1-minute sums; the target tracking")
	fmt.Println("  AlarmHigh needs 3 consecutive 1-minute datapoints over the target (3 min, plus CloudWatch's ingestion delay of about")
	fmt.Println("  a minute), AlarmLow 15 datapoints (15 min); Application Auto Scaling's default ECS scale-out and scale-in cooldowns")
	fmt.Println("  are 300 s; then ECS starts the task (Fargate: typically 30-90 s incl. image pull) and the ALB needs HealthyThresholdCount")
	fmt.Println("  passing checks (AWS default 5 x 30 s; here 2 x 5 s) before the task takes traffic: a step like this one takes ~4-6 min")
	fmt.Println("  on AWS to first add capacity. Compressed, each of those minutes is 1/time-scale of it.")
}
