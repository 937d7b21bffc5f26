// Command deploybench measures ECS deployments and Application Auto Scaling on `wharf up`
// with the process driver and the productapi example as the task.
//
// For each deployment strategy (ROLLING, BLUE_GREEN, CANARY, LINEAR) it starts a fresh
// `wharf up --time-scale N`, puts a service of 2 tasks behind an ALB listener rule that
// forwards to a blue and a green target group (as internal/app/deploy_test.go does),
// drives a paced, open-loop load of -rate requests a second through the listener,
// deploys v2 and reports every failed request, the achieved rate, how long the
// deployment took and the weights the production rule went through.
//
// Then it measures the scaling response: a service of 1 task with a target tracking
// policy on ALBRequestCountPerTarget (50 per task per second of real time), min 1, max
// 4, and a load step from 10 to 150 requests a second: the time until a new task
// answers and until the desired count reaches what the load needs.
//
//	go run ./bench/deploybench -bin bin/wharf -rate 500
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharf-dev/wharf/bench/benchkit"
)

// watchEvery is how often the production rule and the target groups are read.
var watchEvery time.Duration

// wharfLogLevel, when set, is passed to wharf up.
var wharfLogLevel string

func main() {
	bin := flag.String("bin", "bin/wharf", "the wharf binary")
	rate := flag.Float64("rate", 500, "requests per second during each deployment")
	workers := flag.Int("workers", 128, "load generator workers (concurrent requests at most)")
	strategies := flag.String("strategies", "rolling,blue-green,canary,linear", "deployment strategies, comma-separated; empty for none")
	timeScale := flag.Float64("time-scale", 60, "wharf up --time-scale for the deployments and the compressed scaling step")
	scaling := flag.Bool("scaling", true, "run the scaling step")
	faithful := flag.Bool("faithful", false, "run the scaling step at --time-scale 1 (AWS's real periods and cooldowns: many minutes)")
	flag.DurationVar(&watchEvery, "watch", 100*time.Millisecond, "how often the rule's weights and the target states are read")
	flag.StringVar(&wharfLogLevel, "wharf-log-level", "", "wharf up --log-level (its log goes to stderr); default benchkit's warn")
	flag.Parse()
	if err := run(*bin, *rate, *workers, *strategies, *timeScale, *scaling, *faithful); err != nil {
		fmt.Fprintln(os.Stderr, "deploybench:", err)
		os.Exit(1)
	}
}

func run(bin string, rate float64, workers int, strategies string, timeScale float64, scaling, faithful bool) error {
	dir, err := os.MkdirTemp("", "deploybench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	api := filepath.Join(dir, "productapi")
	build := exec.Command("go", "build", "-o", api, "./examples/productapi")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building productapi: %w\n%s", err, out)
	}
	var results []deployResult
	for _, name := range strings.Split(strategies, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		cfg, ok := strategyConfig(name)
		if !ok {
			return fmt.Errorf("-strategies: unknown strategy %q (rolling, blue-green, canary, linear)", name)
		}
		fmt.Fprintf(os.Stderr, "deploybench: %s...\n", name)
		r, err := runDeploy(bin, api, name, cfg, rate, workers, timeScale)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		results = append(results, r)
	}
	if len(results) > 0 {
		printDeploys(results, rate, workers, timeScale)
	}
	if scaling {
		ts := timeScale
		if faithful {
			ts = 1
		}
		fmt.Fprintf(os.Stderr, "deploybench: scaling step at --time-scale %g...\n", ts)
		r, err := runScaling(bin, api, ts, workers)
		if err != nil {
			return fmt.Errorf("scaling: %w", err)
		}
		printScaling(r)
	}
	return nil
}

// strategyConfig is the deployment configuration each strategy is measured with.
func strategyConfig(name string) (*ecstypes.DeploymentConfiguration, bool) {
	switch name {
	case "rolling":
		return &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyRolling,
			MinimumHealthyPercent: aws.Int32(100), MaximumPercent: aws.Int32(200)}, true
	case "blue-green":
		return &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(2)}, true
	case "canary":
		return &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyCanary, BakeTimeInMinutes: aws.Int32(2),
			CanaryConfiguration: &ecstypes.CanaryConfiguration{CanaryPercent: aws.Float64(10), CanaryBakeTimeInMinutes: aws.Int32(2)}}, true
	case "linear":
		return &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear, BakeTimeInMinutes: aws.Int32(1),
			LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(25), StepBakeTimeInMinutes: aws.Int32(1)}}, true
	}
	return nil, false
}

// env is a running Wharf with an ALB listener.
type env struct {
	w        *benchkit.Wharf
	ecs      *awsecs.Client
	elb      *elb.Client
	lbArn    string
	listener string
	port     int
	api      string // productapi binary
}

func newEnv(bin, api string, timeScale float64) (*env, error) {
	args := []string{"--time-scale", strconv.FormatFloat(timeScale, 'f', -1, 64)}
	if wharfLogLevel != "" {
		args = append(args, "--log-level", wharfLogLevel)
	}
	w, err := benchkit.Start(bin, args...)
	if err != nil {
		return nil, err
	}
	e := &env{w: w, ecs: awsecs.NewFromConfig(w.Config()), elb: elb.NewFromConfig(w.Config()), api: api}
	ctx := context.Background()
	lb, err := e.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("bench"), Subnets: []string{"subnet-a", "subnet-b"}})
	if err != nil {
		w.Stop()
		return nil, fmt.Errorf("CreateLoadBalancer: %w", err)
	}
	e.lbArn = aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	addr, err := benchkit.FreeAddr()
	if err != nil {
		w.Stop()
		return nil, err
	}
	_, p, _ := net.SplitHostPort(addr)
	e.port, _ = strconv.Atoi(p)
	l, err := e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: &e.lbArn, Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(int32(e.port)), DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse,
			FixedResponseConfig: &elbtypes.FixedResponseActionConfig{StatusCode: aws.String("404"), ContentType: aws.String("text/plain"),
				MessageBody: aws.String("no rule matched")}}}})
	if err != nil {
		w.Stop()
		return nil, fmt.Errorf("CreateListener: %w", err)
	}
	e.listener = aws.ToString(l.Listeners[0].ListenerArn)
	return e, nil
}

func (e *env) url() string { return fmt.Sprintf("http://127.0.0.1:%d/", e.port) }

// targetGroup creates a target group health-checked on /health every 5 s with a 5 s
// deregistration delay.
func (e *env) targetGroup(name string) (string, error) {
	ctx := context.Background()
	out, err := e.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"),
		HealthCheckPath: aws.String("/health"), HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2),
		HealthyThresholdCount: aws.Int32(2),
	})
	if err != nil {
		return "", fmt.Errorf("CreateTargetGroup: %w", err)
	}
	arn := aws.ToString(out.TargetGroups[0].TargetGroupArn)
	if _, err := e.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: &arn,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("5")}}}); err != nil {
		return "", fmt.Errorf("ModifyTargetGroupAttributes: %w", err)
	}
	return arn, nil
}

// registerTaskDef registers a productapi revision reporting version.
func (e *env) registerTaskDef(version string) error {
	_, err := e.ecs.RegisterTaskDefinition(context.Background(), &awsecs.RegisterTaskDefinitionInput{
		Family: aws.String("productapi"), NetworkMode: ecstypes.NetworkModeBridge,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("api"), Image: aws.String("process:" + e.api), Essential: aws.Bool(true),
			Memory: aws.Int32(64), Cpu: 128,
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(0)}},
			Environment:  []ecstypes.KeyValuePair{{Name: aws.String("APP_VERSION"), Value: aws.String(version)}},
			HealthCheck: &ecstypes.HealthCheck{Command: []string{"CMD", e.api, "-healthcheck"},
				Interval: aws.Int32(5), Timeout: aws.Int32(2), Retries: aws.Int32(3), StartPeriod: aws.Int32(10)},
			StopTimeout: aws.Int32(5),
		}},
	})
	if err != nil {
		return fmt.Errorf("RegisterTaskDefinition: %w", err)
	}
	return nil
}

// steady reports nil once the service has one COMPLETED deployment of revision rev
// with every task running.
func (e *env) steady(rev string) error {
	out, err := e.ecs.DescribeServices(context.Background(), &awsecs.DescribeServicesInput{Services: []string{"api"}})
	if err != nil {
		return err
	}
	if len(out.Services) != 1 {
		return fmt.Errorf("%d services", len(out.Services))
	}
	svc := out.Services[0]
	if len(svc.Deployments) != 1 || svc.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted || svc.RunningCount != svc.DesiredCount {
		return fmt.Errorf("%d deployments, running %d of %d", len(svc.Deployments), svc.RunningCount, svc.DesiredCount)
	}
	if !strings.HasSuffix(aws.ToString(svc.TaskDefinition), ":task-definition/"+rev) {
		return fmt.Errorf("task definition %s, want %s", aws.ToString(svc.TaskDefinition), rev)
	}
	return nil
}

// eventually polls f every 100 ms until it returns nil or d passes.
func eventually(d time.Duration, what string, f func() error) error {
	var err error
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err = f(); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%s: not after %v: %w", what, d, err)
}

// serving reports nil once GET / through the listener answers version.
func (e *env) serving(version string) error {
	g := &loadGen{url: e.url(), client: &http.Client{Timeout: 3 * time.Second}}
	a, err := g.get()
	if err == nil && a.Version != version {
		err = fmt.Errorf("version %q", a.Version)
	}
	return err
}

// deployResult is one strategy's measurements.
type deployResult struct {
	name     string
	load     loadReport
	deploy   time.Duration
	weights  []weightStep
	complete bool
	// genCPU and wharfCPU are the cores the load generator (this process, with its
	// SDK polling) and wharf up used on average while the load ran.
	genCPU, wharfCPU float64
}

// weightStep is a distinct (blue, green) pair the production rule showed, and when.
type weightStep struct {
	at          time.Duration // since UpdateService
	blue, green int32
	health      string // the two groups' target states, blue|green
}

// health summarizes a target group's targets: one letter per target (h healthy,
// i initial, d draining, u unhealthy, other the state's first letter).
func (e *env) health(tg string) string {
	out, err := e.elb.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: &tg})
	if err != nil {
		return "?"
	}
	var b strings.Builder
	for _, d := range out.TargetHealthDescriptions {
		if d.TargetHealth == nil {
			b.WriteByte('?')
			continue
		}
		st := string(d.TargetHealth.State)
		if st == "" {
			st = "?"
		}
		b.WriteByte(st[0])
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

func runDeploy(bin, api, name string, cfg *ecstypes.DeploymentConfiguration, rate float64, workers int, timeScale float64) (deployResult, error) {
	res := deployResult{name: name}
	e, err := newEnv(bin, api, timeScale)
	if err != nil {
		return res, err
	}
	defer e.w.Stop()
	ctx := context.Background()
	blue, err := e.targetGroup("blue")
	if err != nil {
		return res, err
	}
	green, err := e.targetGroup("green")
	if err != nil {
		return res, err
	}
	rule, err := e.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: &e.listener, Priority: aws.Int32(1),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/*"}}},
		Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: &blue, Weight: aws.Int32(100)}, {TargetGroupArn: &green, Weight: aws.Int32(0)}}}}}})
	if err != nil {
		return res, fmt.Errorf("CreateRule: %w", err)
	}
	ruleArn := aws.ToString(rule.Rules[0].RuleArn)
	if err := e.registerTaskDef("v1"); err != nil {
		return res, err
	}
	lb := ecstypes.LoadBalancer{TargetGroupArn: &blue, ContainerName: aws.String("api"), ContainerPort: aws.Int32(8080)}
	if cfg.Strategy != ecstypes.DeploymentStrategyRolling {
		lb.AdvancedConfiguration = &ecstypes.AdvancedConfiguration{AlternateTargetGroupArn: &green, ProductionListenerRule: &ruleArn,
			RoleArn: aws.String("arn:aws:iam::000000000000:role/ecsInfrastructureRole")}
	}
	if _, err := e.ecs.CreateService(ctx, &awsecs.CreateServiceInput{ServiceName: aws.String("api"), TaskDefinition: aws.String("productapi:1"),
		DesiredCount: aws.Int32(2), DeploymentConfiguration: cfg, LoadBalancers: []ecstypes.LoadBalancer{lb}}); err != nil {
		return res, fmt.Errorf("CreateService: %w", err)
	}
	if err := eventually(120*time.Second, "v1 answering through the listener", func() error { return e.serving("v1") }); err != nil {
		return res, err
	}
	if err := eventually(120*time.Second, "a steady service", func() error { return e.steady("productapi:1") }); err != nil {
		return res, err
	}
	if err := e.registerTaskDef("v2"); err != nil {
		return res, err
	}

	genCPU, wharfCPU := benchkit.CPUOf(os.Getpid()), benchkit.CPUOf(e.w.Pid)
	load := newLoadGen(e.url(), rate, workers)
	time.Sleep(time.Second) // the load is steady before the deployment starts
	start := time.Now()
	load.setOrigin(start)
	var mu sync.Mutex
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() { // the rule's weights every 100 ms
		defer close(watched)
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(watchEvery):
			}
			out, err := e.elb.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{ruleArn}})
			if err != nil || len(out.Rules) != 1 || len(out.Rules[0].Actions) != 1 || out.Rules[0].Actions[0].ForwardConfig == nil {
				continue
			}
			s := weightStep{at: time.Since(start)}
			s.health = e.health(blue) + "|" + e.health(green)
			for _, tg := range out.Rules[0].Actions[0].ForwardConfig.TargetGroups {
				switch aws.ToString(tg.TargetGroupArn) {
				case blue:
					s.blue = aws.ToInt32(tg.Weight)
				case green:
					s.green = aws.ToInt32(tg.Weight)
				}
			}
			mu.Lock()
			if n := len(res.weights); n == 0 || res.weights[n-1].blue != s.blue || res.weights[n-1].green != s.green || res.weights[n-1].health != s.health {
				res.weights = append(res.weights, s)
			}
			mu.Unlock()
		}
	}()
	if _, err := e.ecs.UpdateService(ctx, &awsecs.UpdateServiceInput{Service: aws.String("api"), TaskDefinition: aws.String("productapi:2")}); err != nil {
		load.end()
		close(stopWatch)
		return res, fmt.Errorf("UpdateService: %w", err)
	}
	werr := eventually(300*time.Second, "v2 deployed", func() error { return e.steady("productapi:2") })
	res.deploy = time.Since(start)
	res.complete = werr == nil
	time.Sleep(2 * time.Second) // the load sees the final state too
	load.end()
	close(stopWatch)
	<-watched
	res.load = load.report()
	res.genCPU = float64(benchkit.CPUOf(os.Getpid())-genCPU) / float64(res.load.Duration)
	res.wharfCPU = float64(benchkit.CPUOf(e.w.Pid)-wharfCPU) / float64(res.load.Duration)
	if werr != nil {
		fmt.Fprintf(os.Stderr, "deploybench: %s: %v\n", name, werr)
	}
	return res, nil
}
