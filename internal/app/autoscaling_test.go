package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharf-dev/wharf/internal/app"
)

// desiredCount reads a service's desired count.
func desiredCount(ctx context.Context, s *server, service string) (int32, error) {
	out, err := s.ecs.DescribeServices(ctx, &awsecs.DescribeServicesInput{Services: []string{service}})
	if err != nil {
		return 0, err
	}
	return out.Services[0].DesiredCount, nil
}

// load sends GET requests through a listener at about rate per second until stop is
// closed.
func load(port int, rate int, stop <-chan struct{}, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := http.Client{Timeout: 5 * time.Second}
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/products", port)); err == nil {
					resp.Body.Close()
				}
			}
		}
	}()
}

// TestTargetTracking: requests through the load balancer raise the service's
// RequestCountPerTarget; the target tracking policy's alarm scales the service out to
// the capacity the load needs, and, when the load drops, its low alarm scales it back
// in; each decision is a scaling activity. The time scale makes a minute pass in a
// second, so the alarms' 3 and 15 periods take 3 and 15 seconds.
func TestTargetTracking(t *testing.T) {
	s := startServerConfig(t, app.Config{DataDir: t.TempDir(), Driver: "process", TimeScale: 60})
	ctx := context.Background()
	a := newALB(t, s, "web")
	tg, err := a.c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("api"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"),
		HealthCheckPath: aws.String("/health"), HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2),
		HealthyThresholdCount: aws.Int32(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	tgArn := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	if err := a.rule(1, []elbtypes.RuleCondition{cond("path-pattern", "/*")}, forward(tgArn)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ecs.RegisterTaskDefinition(ctx, taskDef("process:"+exampleBin, []string{"CMD", exampleBin, "-healthcheck"}, "v1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ecs.CreateService(ctx, &awsecs.CreateServiceInput{
		ServiceName: aws.String("api"), TaskDefinition: aws.String("productapi"), DesiredCount: aws.Int32(1),
		LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: &tgArn, ContainerName: aws.String("api"), ContainerPort: aws.Int32(8080)}},
	}); err != nil {
		t.Fatal(err)
	}
	c := aas.NewFromConfig(s.awsConfig())
	if _, err := c.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: aws.String("service/default/api"), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(4)}); err != nil {
		t.Fatalf("RegisterScalableTarget: %v", err)
	}
	label := strings.SplitN(a.arn, ":loadbalancer/", 2)[1] + "/" + strings.SplitN(tgArn, ":", 6)[5]
	pol, err := c.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("requests"), ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: aws.String("service/default/api"), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(10),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{
				PredefinedMetricType: aastypes.MetricTypeALBRequestCountPerTarget, ResourceLabel: aws.String(label)},
		}})
	if err != nil {
		t.Fatalf("PutScalingPolicy: %v", err)
	}
	if len(pol.Alarms) != 2 {
		t.Fatalf("target tracking made %d alarms, want AlarmHigh and AlarmLow", len(pol.Alarms))
	}

	// About 40 requests a second against a target of 10 per task: 4 tasks, the maximum.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	load(a.port, 40, stop, &wg)
	eventually(t, 60*time.Second, "scale-out to 4 tasks", func() error {
		n, err := desiredCount(ctx, s, "api")
		if err == nil && n != 4 {
			err = fmt.Errorf("desired count %d", n)
		}
		return err
	})
	close(stop)
	wg.Wait()

	// A trickle: far below the target for 4 tasks, so the low alarm scales in.
	stop = make(chan struct{})
	load(a.port, 4, stop, &wg)
	defer func() { close(stop); wg.Wait() }()
	eventually(t, 90*time.Second, "scale-in", func() error {
		n, err := desiredCount(ctx, s, "api")
		if err == nil && n >= 4 {
			err = fmt.Errorf("desired count %d", n)
		}
		return err
	})
	acts, err := c.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: aws.String("service/default/api")})
	if err != nil {
		t.Fatal(err)
	}
	var out, in bool
	for _, act := range acts.ScalingActivities {
		if act.StatusCode != aastypes.ScalingActivityStatusCodeSuccessful {
			continue
		}
		out = out || strings.Contains(aws.ToString(act.Description), "Setting desired count to 4.") && strings.Contains(aws.ToString(act.Cause), "AlarmHigh")
		in = in || strings.Contains(aws.ToString(act.Cause), "AlarmLow")
	}
	if !out || !in {
		t.Fatalf("scaling activities lack the scale-out (%v) or the scale-in (%v): %+v", out, in, acts.ScalingActivities)
	}
}

// TestScheduledAction: a scheduled action raises the service's minimum capacity at its
// time, and the desired count follows.
func TestScheduledAction(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	chatterTask(t, s, "idle", "/ecs/idle", 128, map[string]string{"STAY": "1"})
	if _, err := s.ecs.CreateService(ctx, &awsecs.CreateServiceInput{ServiceName: aws.String("idle"), TaskDefinition: aws.String("idle"), DesiredCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	c := aas.NewFromConfig(s.awsConfig())
	if _, err := c.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: aws.String("service/default/idle"), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(3 * time.Second).Format("2006-01-02T15:04:05")
	if _, err := c.PutScheduledAction(ctx, &aas.PutScheduledActionInput{ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: aws.String("service/default/idle"), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ScheduledActionName: aws.String("morning"), Schedule: aws.String("at(" + at + ")"),
		ScalableTargetAction: &aastypes.ScalableTargetAction{MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(3)}}); err != nil {
		t.Fatalf("PutScheduledAction: %v", err)
	}
	if n, _ := desiredCount(ctx, s, "idle"); n != 1 {
		t.Fatalf("desired count %d before the action's time, want 1", n)
	}
	eventually(t, 30*time.Second, "the scheduled minimum applied", func() error {
		n, err := desiredCount(ctx, s, "idle")
		if err == nil && n != 2 {
			err = fmt.Errorf("desired count %d", n)
		}
		return err
	})
}
