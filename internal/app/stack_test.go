package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	awscloudtrail "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	awslogs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/app"
)

// stackBinDir builds the website example once, next to the productapi example in
// TestMain's directory (removed when the tests end): the directory the example
// stack's BinDir parameter names.
var stackBinDir = sync.OnceValues(func() (string, error) {
	dir := filepath.Dir(exampleBin)
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "website"), "./examples/website")
	build.Dir = repoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build website: %v\n%s", err, out)
	}
	return dir, nil
})

func binDir(t *testing.T) string {
	t.Helper()
	dir, err := stackBinDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func readTemplate(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func waitCreate(t *testing.T, c *cfn.Client, name string, max time.Duration) {
	t.Helper()
	w := cfn.NewStackCreateCompleteWaiter(c, func(o *cfn.StackCreateCompleteWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, 2*time.Second })
	if err := w.Wait(context.Background(), &cfn.DescribeStacksInput{StackName: &name}, max); err != nil {
		t.Fatalf("stack %s not CREATE_COMPLETE: %v\n%s", name, err, stackEvents(c, name))
	}
}

func waitUpdate(t *testing.T, c *cfn.Client, name string, max time.Duration) {
	t.Helper()
	w := cfn.NewStackUpdateCompleteWaiter(c, func(o *cfn.StackUpdateCompleteWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, 2*time.Second })
	if err := w.Wait(context.Background(), &cfn.DescribeStacksInput{StackName: &name}, max); err != nil {
		t.Fatalf("stack %s not UPDATE_COMPLETE: %v\n%s", name, err, stackEvents(c, name))
	}
}

func waitDelete(t *testing.T, c *cfn.Client, name string, max time.Duration) {
	t.Helper()
	w := cfn.NewStackDeleteCompleteWaiter(c, func(o *cfn.StackDeleteCompleteWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, 2*time.Second })
	if err := w.Wait(context.Background(), &cfn.DescribeStacksInput{StackName: &name}, max); err != nil {
		t.Fatalf("stack %s not deleted: %v\n%s", name, err, stackEvents(c, name))
	}
}

// stackEvents renders a stack's events, oldest first, for failure messages.
func stackEvents(c *cfn.Client, name string) string {
	out, err := c.DescribeStackEvents(context.Background(), &cfn.DescribeStackEventsInput{StackName: &name})
	if err != nil {
		return "DescribeStackEvents: " + err.Error()
	}
	var b strings.Builder
	for i := len(out.StackEvents) - 1; i >= 0; i-- {
		e := out.StackEvents[i]
		fmt.Fprintf(&b, "  %s %s %s %s\n", aws.ToString(e.LogicalResourceId), aws.ToString(e.ResourceType), e.ResourceStatus, aws.ToString(e.ResourceStatusReason))
	}
	return b.String()
}

// stackStatus returns a stack's status (by name or id).
func stackStatus(t *testing.T, c *cfn.Client, name string) cfntypes.Stack {
	t.Helper()
	out, err := c.DescribeStacks(context.Background(), &cfn.DescribeStacksInput{StackName: &name})
	if err != nil {
		t.Fatalf("DescribeStacks %s: %v", name, err)
	}
	if len(out.Stacks) != 1 {
		t.Fatalf("DescribeStacks %s: %d stacks", name, len(out.Stacks))
	}
	return out.Stacks[0]
}

// httpGet fetches url and returns the status and body.
func httpGet(url string) (int, string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// productAPIVersions returns the version each running productapi task of the stack
// reports on GET /, and the host ports it answered on.
func productAPIVersions(ctx context.Context, s *server, cluster string) ([]string, []int32, error) {
	tasks, err := s.runningTasks(ctx, cluster, "productapi")
	if err != nil {
		return nil, nil, err
	}
	var versions []string
	var ports []int32
	for _, task := range tasks {
		port, err := hostPort(task)
		if err != nil {
			return nil, nil, err
		}
		info, err := getInfo(port)
		if err != nil {
			return nil, nil, err
		}
		versions = append(versions, info.Version)
		ports = append(ports, port)
	}
	return versions, ports, nil
}

// TestStackExample drives examples/stack.yaml through its life: created, the services
// answer through the load balancer; updated with AppVersion v2, the tasks roll;
// deleted, no task, load balancer or listener port is left.
func TestStackExample(t *testing.T) {
	s := startServerConfig(t, app.Config{DataDir: t.TempDir(), Driver: "process", TimeScale: 10})
	ctx := context.Background()
	c := cfn.NewFromConfig(s.awsConfig())
	bins, port := binDir(t), freePort(t)
	const name = "shop"
	body := readTemplate(t, filepath.Join(repoRoot(), "examples", "stack.yaml"))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	created, err := c.CreateStack(ctx, &cfn.CreateStackInput{
		StackName: aws.String(name), TemplateBody: &body, Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
		Parameters: []cfntypes.Parameter{
			{ParameterKey: aws.String("BinDir"), ParameterValue: &bins},
			{ParameterKey: aws.String("ListenerPort"), ParameterValue: aws.String(fmt.Sprint(port))},
			{ParameterKey: aws.String("DesiredCount"), ParameterValue: aws.String("2")},
		},
	})
	if err != nil {
		t.Fatalf("CreateStack: %v", err)
	}
	waitCreate(t, c, name, 90*time.Second)

	t.Run("created", func(t *testing.T) {
		eventually(t, 30*time.Second, "GET /products through the listener", func() error {
			status, body, err := httpGet(base + "/products")
			if err != nil {
				return err
			}
			var products []map[string]any
			if status != 200 || json.Unmarshal([]byte(body), &products) != nil || len(products) == 0 {
				return fmt.Errorf("GET /products: %d %q", status, body)
			}
			return nil
		})
		eventually(t, 30*time.Second, "GET / through the listener", func() error {
			status, body, err := httpGet(base + "/")
			if err != nil {
				return err
			}
			if status != 200 || !strings.Contains(body, "<html") || !strings.Contains(body, "v1") {
				return fmt.Errorf("GET /: %d %q", status, body)
			}
			return nil
		})
		st := stackStatus(t, c, aws.ToString(created.StackId))
		outputs := map[string]string{}
		for _, o := range st.Outputs {
			outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
		if outputs["Url"] != base+"/" || outputs["ProductsUrl"] != base+"/products" || outputs["ClusterName"] != name || outputs["LoadBalancerDNS"] == "" {
			t.Errorf("outputs = %v", outputs)
		}
		res, err := c.DescribeStackResources(ctx, &cfn.DescribeStackResourcesInput{StackName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeStackResources: %v", err)
		}
		got := map[string]bool{}
		for _, r := range res.StackResources {
			got[aws.ToString(r.LogicalResourceId)] = true
			if r.ResourceStatus != cfntypes.ResourceStatusCreateComplete {
				t.Errorf("%s (%s) is %s: %s", aws.ToString(r.LogicalResourceId), aws.ToString(r.ResourceType), r.ResourceStatus, aws.ToString(r.ResourceStatusReason))
			}
			if aws.ToString(r.PhysicalResourceId) == "" {
				t.Errorf("%s has no physical id", aws.ToString(r.LogicalResourceId))
			}
		}
		for _, id := range []string{"VPC", "LoadBalancer", "Listener", "ProductApiRule", "ProductApiTargetGroup", "WebsiteTargetGroup",
			"ProductApiConfig", "ExecutionRole", "Cluster", "ProductApiLogs", "WebsiteLogs", "ProductApiTask", "WebsiteTask",
			"ProductApiService", "WebsiteService", "ProductApiScaling", "ProductApiRequestsPolicy", "ProductApiErrorsAlarm"} {
			if !got[id] {
				t.Errorf("DescribeStackResources lacks %s (has %d resources)", id, len(res.StackResources))
			}
		}
	})

	t.Run("update rolls the tasks", func(t *testing.T) {
		prev := func(k string) cfntypes.Parameter {
			return cfntypes.Parameter{ParameterKey: aws.String(k), UsePreviousValue: aws.Bool(true)}
		}
		_, err := c.UpdateStack(ctx, &cfn.UpdateStackInput{
			StackName: aws.String(name), UsePreviousTemplate: aws.Bool(true), Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
			Parameters: []cfntypes.Parameter{prev("BinDir"), prev("ListenerPort"), prev("DesiredCount"), prev("DatabaseUrlParameter"),
				{ParameterKey: aws.String("AppVersion"), ParameterValue: aws.String("v2")}},
		})
		if err != nil {
			t.Fatalf("UpdateStack: %v", err)
		}
		waitUpdate(t, c, name, 90*time.Second)
		eventually(t, 30*time.Second, "every product API task on v2", func() error {
			versions, _, err := productAPIVersions(ctx, s, name)
			if err != nil {
				return err
			}
			if len(versions) != 2 {
				return fmt.Errorf("versions %v, want 2 tasks", versions)
			}
			for _, v := range versions {
				if v != "v2" {
					return fmt.Errorf("versions %v", versions)
				}
			}
			return nil
		})
		eventually(t, 30*time.Second, "the website on v2 through the listener", func() error {
			for range 4 {
				status, body, err := httpGet(base + "/")
				if err != nil {
					return err
				}
				if status != 200 || !strings.Contains(body, "v2") {
					return fmt.Errorf("GET /: %d %q", status, body)
				}
			}
			return nil
		})
		for _, p := range stackStatus(t, c, name).Parameters {
			want := map[string]string{"BinDir": bins, "ListenerPort": fmt.Sprint(port), "DesiredCount": "2", "AppVersion": "v2"}[aws.ToString(p.ParameterKey)]
			if want != "" && aws.ToString(p.ParameterValue) != want {
				t.Errorf("parameter %s = %q, want %q", aws.ToString(p.ParameterKey), aws.ToString(p.ParameterValue), want)
			}
		}
	})

	t.Run("delete leaves nothing", func(t *testing.T) {
		_, ports, err := productAPIVersions(ctx, s, name)
		if err != nil || len(ports) == 0 {
			t.Fatalf("tasks before delete: %v %v", ports, err)
		}
		if _, err := c.DeleteStack(ctx, &cfn.DeleteStackInput{StackName: aws.String(name)}); err != nil {
			t.Fatalf("DeleteStack: %v", err)
		}
		waitDelete(t, c, name, 90*time.Second)
		for _, svc := range []string{"productapi", "website"} {
			list, err := s.ecs.ListTasks(ctx, &awsecs.ListTasksInput{Cluster: aws.String(name), ServiceName: aws.String(svc)})
			var apiErr smithy.APIError
			switch {
			case errors.As(err, &apiErr) && apiErr.ErrorCode() == "ClusterNotFoundException":
			case err != nil:
				t.Errorf("ListTasks %s: %v", svc, err)
			case len(list.TaskArns) > 0:
				out, err := s.ecs.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Cluster: aws.String(name), Tasks: list.TaskArns})
				if err != nil {
					t.Fatal(err)
				}
				for _, task := range out.Tasks {
					if aws.ToString(task.LastStatus) != "STOPPED" {
						t.Errorf("task %s of %s is %s after the stack's deletion", aws.ToString(task.TaskArn), svc, aws.ToString(task.LastStatus))
					}
				}
			}
		}
		lbs, err := elb.NewFromConfig(s.awsConfig()).DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
		if err != nil {
			t.Fatalf("DescribeLoadBalancers: %v", err)
		}
		if len(lbs.LoadBalancers) != 0 {
			t.Errorf("load balancers left: %d, first %s", len(lbs.LoadBalancers), aws.ToString(lbs.LoadBalancers[0].LoadBalancerName))
		}
		for _, p := range append([]int32{int32(port)}, ports...) {
			eventually(t, 15*time.Second, fmt.Sprintf("port %d closed", p), func() error {
				conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), time.Second)
				if err != nil {
					return nil
				}
				conn.Close()
				return fmt.Errorf("port %d still accepts connections", p)
			})
		}
		if _, err := c.DescribeStacks(ctx, &cfn.DescribeStacksInput{StackName: aws.String(name)}); err == nil {
			t.Error("DescribeStacks by name finds the deleted stack")
		}
		if st := stackStatus(t, c, aws.ToString(created.StackId)); st.StackStatus != cfntypes.StackStatusDeleteComplete {
			t.Errorf("by id the stack is %s, want DELETE_COMPLETE", st.StackStatus)
		}
	})
}

// TestStackRollback: a resource that fails after three were made rolls the stack back
// to nothing, and the events say why.
func TestStackRollback(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	c := cfn.NewFromConfig(s.awsConfig())
	body := readTemplate(t, filepath.Join("testdata", "stacks", "rollback.yaml"))
	const name = "doomed"
	if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String(name), TemplateBody: &body}); err != nil {
		t.Fatalf("CreateStack: %v", err)
	}
	// The SDK's StackRollbackComplete waiter is for update rollbacks: poll instead.
	eventually(t, 30*time.Second, "ROLLBACK_COMPLETE", func() error {
		if st := stackStatus(t, c, name).StackStatus; st != cfntypes.StackStatusRollbackComplete {
			return fmt.Errorf("status %s", st)
		}
		return nil
	})

	if _, err := awsssm.NewFromConfig(s.awsConfig()).GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/doomed/config")}); !isCode(err, "ParameterNotFound") {
		t.Errorf("GetParameter /doomed/config after rollback: %v, want ParameterNotFound", err)
	}
	groups, err := awslogs.NewFromConfig(s.awsConfig()).DescribeLogGroups(ctx, &awslogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/doomed/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.LogGroups) != 0 {
		t.Errorf("log group %s left after rollback", aws.ToString(groups.LogGroups[0].LogGroupName))
	}
	clusters, err := s.ecs.DescribeClusters(ctx, &awsecs.DescribeClustersInput{Clusters: []string{"doomed-cluster"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range clusters.Clusters {
		if aws.ToString(cl.Status) != "INACTIVE" {
			t.Errorf("cluster %s is %s after rollback", aws.ToString(cl.ClusterName), aws.ToString(cl.Status))
		}
	}

	events, err := c.DescribeStackEvents(ctx, &cfn.DescribeStackEventsInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	var reason string
	deleted := map[string]bool{}
	for _, e := range events.StackEvents {
		id := aws.ToString(e.LogicalResourceId)
		if id == "Broken" && e.ResourceStatus == cfntypes.ResourceStatusCreateFailed {
			reason = aws.ToString(e.ResourceStatusReason)
		}
		if e.ResourceStatus == cfntypes.ResourceStatusDeleteComplete {
			deleted[id] = true
		}
	}
	if !strings.Contains(reason, "ValidationException") && !strings.Contains(strings.ToLower(reason), "name") {
		t.Errorf("Broken's CREATE_FAILED reason %q does not say what was wrong\n%s", reason, stackEvents(c, name))
	}
	for _, id := range []string{"Config", "Logs", "Cluster"} {
		if !deleted[id] {
			t.Errorf("no DELETE_COMPLETE event for %s\n%s", id, stackEvents(c, name))
		}
	}
	t.Logf("CREATE_FAILED reason: %s", reason)
}

func isCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

// TestStackCLIDeploy deploys a small template twice with `aws cloudformation deploy`.
func TestStackCLIDeploy(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	tmpl, err := filepath.Abs(filepath.Join("testdata", "stacks", "small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ssm := awsssm.NewFromConfig(s.awsConfig())
	param := func(name string) string {
		t.Helper()
		out, err := ssm.GetParameter(ctx, &awsssm.GetParameterInput{Name: &name})
		if err != nil {
			t.Fatalf("GetParameter %s: %v", name, err)
		}
		return aws.ToString(out.Parameter.Value)
	}

	start := time.Now()
	awsCLI(t, s, false, "cloudformation", "deploy", "--template-file", tmpl, "--stack-name", "cli-small",
		"--capabilities", "CAPABILITY_IAM", "--parameter-overrides", "Env=dev")
	t.Logf("first deploy: %v", time.Since(start))
	if got := param("/cli-small/greeting"); got != "hello from dev" {
		t.Errorf("greeting after the first deploy = %q", got)
	}
	awsCLI(t, s, false, "cloudformation", "deploy", "--template-file", tmpl, "--stack-name", "cli-small",
		"--capabilities", "CAPABILITY_IAM", "--parameter-overrides", "Env=prod", "Greeting=hi")
	t.Logf("second deploy: %v", time.Since(start))
	if got := param("/cli-small/env"); got != "prod" {
		t.Errorf("env after the second deploy = %q", got)
	}
	if got := param("/cli-small/greeting"); got != "hi from prod" {
		t.Errorf("greeting after the second deploy = %q", got)
	}
	groups, err := awslogs.NewFromConfig(s.awsConfig()).DescribeLogGroups(ctx, &awslogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/cli-small/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.LogGroups) != 1 || aws.ToString(groups.LogGroups[0].LogGroupName) != "/cli-small/prod" {
		t.Errorf("log groups after the replacement: %+v", groups.LogGroups)
	}

	out, _ := awsCLI(t, s, false, "cloudformation", "describe-stacks", "--stack-name", "cli-small")
	var desc struct {
		Stacks []struct {
			StackStatus string
			Parameters  []struct{ ParameterKey, ParameterValue string }
			Outputs     []struct{ OutputKey, OutputValue string }
		}
	}
	if err := json.Unmarshal([]byte(out), &desc); err != nil || len(desc.Stacks) != 1 {
		t.Fatalf("describe-stacks: %v: %s", err, out)
	}
	st := desc.Stacks[0]
	if st.StackStatus != "UPDATE_COMPLETE" {
		t.Errorf("StackStatus %s, want UPDATE_COMPLETE", st.StackStatus)
	}
	outputs := map[string]string{}
	for _, o := range st.Outputs {
		outputs[o.OutputKey] = o.OutputValue
	}
	if outputs["EnvParamName"] != "/cli-small/env" || outputs["LogGroup"] != "/cli-small/prod" {
		t.Errorf("outputs %v", outputs)
	}

	// Deploying the same thing again changes nothing: the CLI says so and exits 0
	// only with --no-fail-on-empty-changeset.
	out, _ = awsCLI(t, s, false, "cloudformation", "deploy", "--template-file", tmpl, "--stack-name", "cli-small",
		"--no-fail-on-empty-changeset", "--parameter-overrides", "Env=prod", "Greeting=hi")
	t.Logf("empty deploy: %v", time.Since(start))
	if !strings.Contains(out, "No changes to deploy") {
		t.Errorf("an empty deploy printed %q", out)
	}
}

// TestStackBadInput: every kind of bad template is a ValidationError that names the
// place, from ValidateTemplate and from CreateStack alike.
func TestStackBadInput(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	c := cfn.NewFromConfig(s.awsConfig())
	const head = "AWSTemplateFormatVersion: \"2010-09-09\"\n"
	cases := []struct {
		name, body string
		params     []cfntypes.Parameter
		want       []string // every one must be in the message
		createOnly bool     // ValidateTemplate does not resolve parameters or attributes
	}{
		{name: "malformed YAML", body: head + "Resources:\n  A:\n    Type: AWS::SSM::Parameter\n   Properties: [\n", want: []string{"line"}},
		{name: "unknown intrinsic", body: head + "Resources:\n  A:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /a\n      Type: String\n      Value: !Bogus x\n",
			want: []string{"Bogus"}},
		{name: "unknown Fn:: function", body: head + "Resources:\n  A:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /a\n      Type: String\n      Value: {\"Fn::Frobnicate\": [a]}\n",
			want: []string{"Fn::Frobnicate"}},
		{name: "circular dependency", body: head + "Resources:\n  A:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /a\n      Type: String\n      Value: !Ref B\n  B:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /b\n      Type: String\n      Value: !Ref A\n",
			want: []string{"ircular", "A", "B"}},
		{name: "missing parameter", body: head + "Parameters:\n  Env:\n    Type: String\nResources:\n  A:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /a\n      Type: String\n      Value: !Ref Env\n",
			want: []string{"Env"}, createOnly: true},
		{name: "bad GetAtt attribute", body: head + "Resources:\n  G:\n    Type: AWS::Logs::LogGroup\n  A:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /a\n      Type: String\n      Value: !GetAtt G.Nonsense\n",
			want: []string{"G", "Nonsense"}, createOnly: true},
		{name: "unknown resource type", body: head + "Resources:\n  A:\n    Type: AWS::Nope::Thing\n", want: []string{"AWS::Nope::Thing"}},
		{name: "Ref to nothing", body: head + "Resources:\n  A:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /a\n      Type: String\n      Value: !Ref Missing\n",
			want: []string{"Missing"}},
	}
	check := func(t *testing.T, op string, err error, want []string) {
		t.Helper()
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationError" {
			t.Fatalf("%s: %v, want ValidationError", op, err)
		}
		for _, w := range want {
			if !strings.Contains(apiErr.ErrorMessage(), w) {
				t.Errorf("%s: message %q does not name %q", op, apiErr.ErrorMessage(), w)
			}
		}
		t.Logf("%s: %s", op, apiErr.ErrorMessage())
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.createOnly {
				_, err := c.ValidateTemplate(ctx, &cfn.ValidateTemplateInput{TemplateBody: aws.String(tc.body)})
				check(t, "ValidateTemplate", err, tc.want)
			}
			stack := fmt.Sprintf("bad-%d", i)
			_, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: &stack, TemplateBody: aws.String(tc.body), Parameters: tc.params})
			check(t, "CreateStack", err, tc.want)
			if _, err := c.DescribeStacks(ctx, &cfn.DescribeStacksInput{StackName: &stack}); err == nil {
				t.Errorf("a rejected CreateStack left stack %s", stack)
			}
		})
	}
}

// TestStackAudit: the calls a stack makes are CloudTrail events from
// cloudformation.amazonaws.com, and they run with the caller's permissions.
func TestStackAudit(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	body := readTemplate(t, filepath.Join("testdata", "stacks", "param.yaml"))

	t.Run("audited", func(t *testing.T) {
		c := cfn.NewFromConfig(s.awsConfig())
		if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("audited"), TemplateBody: &body}); err != nil {
			t.Fatalf("CreateStack: %v", err)
		}
		waitCreate(t, c, "audited", 30*time.Second)
		ct := awscloudtrail.NewFromConfig(s.awsConfig())
		eventually(t, 20*time.Second, "the stack's PutParameter in CloudTrail", func() error {
			out, err := ct.LookupEvents(ctx, &awscloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
				{AttributeKey: cttypes.LookupAttributeKeyEventSource, AttributeValue: aws.String("ssm.amazonaws.com")}}})
			if err != nil {
				return err
			}
			var seen []string
			for _, e := range out.Events {
				var rec struct {
					EventName       string `json:"eventName"`
					SourceIPAddress string `json:"sourceIPAddress"`
					UserAgent       string `json:"userAgent"`
				}
				if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec); err != nil {
					return fmt.Errorf("CloudTrailEvent %q: %w", aws.ToString(e.CloudTrailEvent), err)
				}
				if rec.EventName == "PutParameter" && rec.SourceIPAddress == "cloudformation.amazonaws.com" {
					return nil
				}
				seen = append(seen, rec.EventName+" from "+rec.SourceIPAddress)
			}
			return fmt.Errorf("ssm events: %v", seen)
		})
	})

	t.Run("caller's permissions", func(t *testing.T) {
		id, secret := newUser(t, s, "stacker", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"cloudformation:*","Resource":"*"},
			{"Effect":"Allow","Action":["ssm:GetParameter","ssm:DeleteParameter"],"Resource":"*"}]}`)
		c := cfn.NewFromConfig(s.configAs(id, secret, ""))
		if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("unprivileged"), TemplateBody: &body}); err != nil {
			t.Fatalf("CreateStack: %v", err)
		}
		var st cfntypes.Stack
		eventually(t, 30*time.Second, "the stack to fail", func() error {
			st = stackStatus(t, c, "unprivileged")
			if strings.HasSuffix(string(st.StackStatus), "_IN_PROGRESS") {
				return fmt.Errorf("status %s", st.StackStatus)
			}
			return nil
		})
		if st.StackStatus != cfntypes.StackStatusRollbackComplete {
			t.Errorf("status %s, want ROLLBACK_COMPLETE", st.StackStatus)
		}
		events, err := c.DescribeStackEvents(ctx, &cfn.DescribeStackEventsInput{StackName: aws.String("unprivileged")})
		if err != nil {
			t.Fatal(err)
		}
		var reason string
		for _, e := range events.StackEvents {
			if aws.ToString(e.LogicalResourceId) == "Param" && e.ResourceStatus == cfntypes.ResourceStatusCreateFailed {
				reason = aws.ToString(e.ResourceStatusReason)
			}
		}
		if !strings.Contains(reason, "AccessDenied") || !strings.Contains(reason, "ssm:PutParameter") {
			t.Errorf("CREATE_FAILED reason %q, want AccessDenied for ssm:PutParameter\n%s", reason, stackEvents(c, "unprivileged"))
		}
		t.Logf("reason: %s", reason)
		if _, err := awsssm.NewFromConfig(s.awsConfig()).GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/unprivileged/value")}); !isCode(err, "ParameterNotFound") {
			t.Errorf("GetParameter after the denied stack: %v, want ParameterNotFound", err)
		}
	})
}
