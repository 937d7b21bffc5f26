package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharf-dev/wharf/internal/app"
)

// steadyLoad sends GET /products through a listener at rate requests per second from
// several workers and counts what fails; stop ends it and reports.
type steadyLoad struct {
	sent, failed atomic.Int64
	first        atomic.Value
	versions     sync.Map // version → count
	stop         chan struct{}
	wg           sync.WaitGroup
}

func startLoad(port, rate int) *steadyLoad {
	l := &steadyLoad{stop: make(chan struct{})}
	const workers = 16
	for w := 0; w < workers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			tick := time.NewTicker(time.Second * workers / time.Duration(rate))
			defer tick.Stop()
			for {
				select {
				case <-l.stop:
					return
				case <-tick.C:
				}
				info, err := getInfoAt(fmt.Sprintf("http://127.0.0.1:%d/", port))
				l.sent.Add(1)
				if err != nil {
					l.failed.Add(1)
					l.first.CompareAndSwap(nil, err.Error())
					continue
				}
				n, _ := l.versions.LoadOrStore(info.Version, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
			}
		}()
	}
	return l
}

// end stops the load and fails the test if any request failed.
func (l *steadyLoad) end(t *testing.T, minSent int64) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	if f := l.failed.Load(); f > 0 {
		t.Errorf("%d of %d requests failed; the first: %v", f, l.sent.Load(), l.first.Load())
	}
	if s := l.sent.Load(); s < minSent {
		t.Errorf("only %d requests sent, want at least %d", s, minSent)
	}
}

// blueGreen is a service of 2 productapi tasks behind a listener rule that forwards to
// a blue and a green target group, set up for ECS's traffic shifting.
type blueGreen struct {
	s            *server
	a            *alb
	blue, green  string
	rule         string
	weightsMu    sync.Mutex
	weights      [][2]int32 // distinct (blue, green) weights seen on the rule, in order
	stopWatching chan struct{}
}

func newBlueGreen(t *testing.T, s *server, cfg *ecstypes.DeploymentConfiguration) *blueGreen {
	t.Helper()
	ctx := context.Background()
	b := &blueGreen{s: s, a: newALB(t, s, "bg")}
	tg := func(name string) string {
		out, err := b.a.c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
			Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"),
			HealthCheckPath: aws.String("/health"), HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2),
			HealthyThresholdCount: aws.Int32(2),
		})
		if err != nil {
			t.Fatal(err)
		}
		arn := aws.ToString(out.TargetGroups[0].TargetGroupArn)
		if _, err := b.a.c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: &arn,
			Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("5")}}}); err != nil {
			t.Fatal(err)
		}
		return arn
	}
	b.blue, b.green = tg("blue"), tg("green")
	rule, err := b.a.c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: &b.a.listener, Priority: aws.Int32(1),
		Conditions: []elbtypes.RuleCondition{cond("path-pattern", "/*")},
		Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: &b.blue, Weight: aws.Int32(100)}, {TargetGroupArn: &b.green, Weight: aws.Int32(0)}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	b.rule = aws.ToString(rule.Rules[0].RuleArn)
	if _, err := s.ecs.RegisterTaskDefinition(ctx, taskDef("process:"+exampleBin, []string{"CMD", exampleBin, "-healthcheck"}, "v1")); err != nil {
		t.Fatal(err)
	}
	lb := ecstypes.LoadBalancer{TargetGroupArn: &b.blue, ContainerName: aws.String("api"), ContainerPort: aws.Int32(8080)}
	if cfg.Strategy != ecstypes.DeploymentStrategyRolling {
		lb.AdvancedConfiguration = &ecstypes.AdvancedConfiguration{AlternateTargetGroupArn: &b.green, ProductionListenerRule: &b.rule,
			RoleArn: aws.String("arn:aws:iam::000000000000:role/ecsInfrastructureRole")}
	}
	if _, err := s.ecs.CreateService(ctx, &awsecs.CreateServiceInput{
		ServiceName: aws.String("api"), TaskDefinition: aws.String("productapi:1"), DesiredCount: aws.Int32(2),
		DeploymentConfiguration: cfg, LoadBalancers: []ecstypes.LoadBalancer{lb},
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	eventually(t, 90*time.Second, "v1 answering through the listener", func() error {
		info, err := getInfoAt(fmt.Sprintf("http://127.0.0.1:%d/", b.a.port))
		if err == nil && info.Version != "v1" {
			err = fmt.Errorf("version %q", info.Version)
		}
		return err
	})
	eventually(t, 90*time.Second, "a steady service", func() error { return b.steady("v1") })
	b.stopWatching = make(chan struct{})
	go b.watchWeights()
	return b
}

// watchWeights records every distinct pair of weights the production rule shows.
func (b *blueGreen) watchWeights() {
	for {
		select {
		case <-b.stopWatching:
			return
		case <-time.After(50 * time.Millisecond):
		}
		out, err := b.a.c.DescribeRules(context.Background(), &elb.DescribeRulesInput{RuleArns: []string{b.rule}})
		if err != nil || len(out.Rules) != 1 || len(out.Rules[0].Actions) != 1 || out.Rules[0].Actions[0].ForwardConfig == nil {
			continue
		}
		var w [2]int32
		for _, tg := range out.Rules[0].Actions[0].ForwardConfig.TargetGroups {
			switch aws.ToString(tg.TargetGroupArn) {
			case b.blue:
				w[0] = aws.ToInt32(tg.Weight)
			case b.green:
				w[1] = aws.ToInt32(tg.Weight)
			}
		}
		b.weightsMu.Lock()
		if n := len(b.weights); n == 0 || b.weights[n-1] != w {
			b.weights = append(b.weights, w)
		}
		b.weightsMu.Unlock()
	}
}

// seen returns the weights recorded so far.
func (b *blueGreen) seen() [][2]int32 {
	b.weightsMu.Lock()
	defer b.weightsMu.Unlock()
	return slices.Clone(b.weights)
}

// steady checks that the service has one COMPLETED deployment of the given version and
// every task running.
func (b *blueGreen) steady(version string) error {
	out, err := b.s.ecs.DescribeServices(context.Background(), &awsecs.DescribeServicesInput{Services: []string{"api"}})
	if err != nil {
		return err
	}
	svc := out.Services[0]
	if len(svc.Deployments) != 1 || svc.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted || svc.RunningCount != svc.DesiredCount {
		return fmt.Errorf("%d deployments, rollout %v, running %d of %d", len(svc.Deployments), rolloutOf(svc), svc.RunningCount, svc.DesiredCount)
	}
	want := map[string]string{"v1": "productapi:1", "v2": "productapi:2", "crash": "productapi:3"}[version]
	if td := aws.ToString(svc.TaskDefinition); td[len(td)-len(want):] != want {
		return fmt.Errorf("task definition %s, want %s", td, want)
	}
	return nil
}

func rolloutOf(svc ecstypes.Service) []string {
	var out []string
	for _, d := range svc.Deployments {
		out = append(out, aws.ToString(d.Status)+"/"+string(d.RolloutState))
	}
	return out
}

// deploy registers revision version and updates the service to it.
func (b *blueGreen) deploy(t *testing.T, version string) {
	t.Helper()
	ctx := context.Background()
	if _, err := b.s.ecs.RegisterTaskDefinition(ctx, taskDef("process:"+exampleBin, []string{"CMD", exampleBin, "-healthcheck"}, version)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.ecs.UpdateService(ctx, &awsecs.UpdateServiceInput{Service: aws.String("api"), TaskDefinition: aws.String("productapi")}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
}

// TestDeploymentStrategies: a rolling, a blue/green, a canary and a linear deployment
// each complete under a steady load of 250 requests a second with no failed request,
// and the production rule's weights follow the configured steps. The time scale makes
// a minute of bake time pass in a second.
func TestDeploymentStrategies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   *ecstypes.DeploymentConfiguration
		steps [][2]int32 // the (blue, green) weights the rule must show, in order
	}{
		{"rolling", &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyRolling,
			MinimumHealthyPercent: aws.Int32(100), MaximumPercent: aws.Int32(200)}, [][2]int32{{100, 0}}},
		{"blue-green", &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(2)},
			[][2]int32{{100, 0}, {0, 100}}},
		{"canary", &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyCanary, BakeTimeInMinutes: aws.Int32(1),
			CanaryConfiguration: &ecstypes.CanaryConfiguration{CanaryPercent: aws.Float64(10), CanaryBakeTimeInMinutes: aws.Int32(2)}},
			[][2]int32{{100, 0}, {90, 10}, {0, 100}}},
		{"linear", &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear, BakeTimeInMinutes: aws.Int32(1),
			LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(25), StepBakeTimeInMinutes: aws.Int32(2)}},
			[][2]int32{{100, 0}, {75, 25}, {50, 50}, {25, 75}, {0, 100}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServerConfig(t, app.Config{DataDir: t.TempDir(), Driver: "process", TimeScale: 60})
			b := newBlueGreen(t, s, tc.cfg)
			load := startLoad(b.a.port, 250)
			start := time.Now()
			b.deploy(t, "v2")
			eventually(t, 120*time.Second, "v2 deployed", func() error { return b.steady("v2") })
			time.Sleep(2 * time.Second) // the load sees the final state too, while the old targets drain and leave
			load.end(t, int64(200*time.Since(start).Seconds()))
			close(b.stopWatching)
			got := b.seen()
			// The weights must pass through the configured steps in order (a rolling
			// deployment never touches them).
			i := 0
			for _, w := range got {
				if i < len(tc.steps) && w == tc.steps[i] {
					i++
				}
			}
			if i != len(tc.steps) {
				t.Errorf("the rule's weights went %v, want the steps %v in order", got, tc.steps)
			}
			if n, _ := load.versions.Load("v2"); n == nil {
				t.Error("no request reached v2")
			}
			// The aws CLI sees the deployment as ECS shows it.
			out, _ := awsCLI(t, s, false, "ecs", "list-service-deployments", "--service", "api")
			if !strings.Contains(out, `"status": "SUCCESSFUL"`) {
				t.Errorf("aws ecs list-service-deployments: %s", out)
			}
		})
	}
}

// TestDeploymentRollback: a revision whose tasks crash trips the circuit breaker and an
// alarm firing during the bake time stops a blue/green deployment; both roll back to
// v1 with no failed request.
func TestDeploymentRollback(t *testing.T) {
	t.Run("circuit breaker", func(t *testing.T) {
		s := startServerConfig(t, app.Config{DataDir: t.TempDir(), Driver: "process", TimeScale: 60})
		b := newBlueGreen(t, s, &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(1),
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true}})
		load := startLoad(b.a.port, 250)
		start := time.Now()
		ctx := context.Background()
		crash := taskDef("process:/bin/false", []string{"CMD", exampleBin, "-healthcheck"}, "crash")
		if _, err := s.ecs.RegisterTaskDefinition(ctx, crash); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ecs.UpdateService(ctx, &awsecs.UpdateServiceInput{Service: aws.String("api"), TaskDefinition: aws.String("productapi:2")}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 180*time.Second, "the rollback to v1", func() error {
			list, err := s.ecs.ListServiceDeployments(ctx, &awsecs.ListServiceDeploymentsInput{Service: aws.String("api")})
			if err != nil {
				return err
			}
			for _, d := range list.ServiceDeployments {
				if d.Status == ecstypes.ServiceDeploymentStatusRollbackSuccessful {
					return b.steady("v1")
				}
			}
			return fmt.Errorf("service deployments %+v", list.ServiceDeployments)
		})
		time.Sleep(time.Second) // v1 keeps serving after the rollback
		load.end(t, int64(200*time.Since(start).Seconds()))
		close(b.stopWatching)
		for _, w := range b.seen() {
			if w[1] != 0 {
				t.Errorf("production traffic moved to the crashing revision: weights %v", b.seen())
				break
			}
		}
	})
	t.Run("alarm", func(t *testing.T) {
		s := startServerConfig(t, app.Config{DataDir: t.TempDir(), Driver: "process", TimeScale: 60})
		ctx := context.Background()
		cw := awscw.NewFromConfig(s.awsConfig())
		if _, err := cw.PutMetricAlarm(ctx, &awscw.PutMetricAlarmInput{AlarmName: aws.String("api-errors"), Namespace: aws.String("App"),
			MetricName: aws.String("Errors"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
			Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
			TreatMissingData: aws.String("notBreaching")}); err != nil {
			t.Fatal(err)
		}
		b := newBlueGreen(t, s, &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(30),
			Alarms: &ecstypes.DeploymentAlarms{AlarmNames: []string{"api-errors"}, Enable: true, Rollback: true}})
		load := startLoad(b.a.port, 250)
		start := time.Now()
		b.deploy(t, "v2")
		// Production traffic on green, baking: the alarm fires.
		eventually(t, 120*time.Second, "production traffic on green", func() error {
			if w := b.seen(); len(w) == 0 || w[len(w)-1] != [2]int32{0, 100} {
				return fmt.Errorf("weights %v", w)
			}
			return nil
		})
		if _, err := cw.PutMetricData(ctx, &awscw.PutMetricDataInput{Namespace: aws.String("App"),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("Errors"), Value: aws.Float64(5)}}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 120*time.Second, "the rollback to v1", func() error {
			if w := b.seen(); w[len(w)-1] != [2]int32{100, 0} {
				return fmt.Errorf("weights %v", w)
			}
			return b.steady("v1")
		})
		load.end(t, int64(200*time.Since(start).Seconds()))
		close(b.stopWatching)
	})
}
