// Command stackbench measures how long examples/stack.yaml takes on a fresh `wharf up`
// (process driver): from CreateStack to CREATE_COMPLETE, to every target of both target
// groups healthy and to the first 200 through the listener; then from an UpdateStack
// that changes AppVersion to UPDATE_COMPLETE and until every answer is v2. It prints
// each run and the median of -runs runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/wharf-dev/wharf/bench/benchkit"
)

func main() {
	wharfBin := flag.String("wharf", "bin/wharf", "the wharf binary")
	binDir := flag.String("bindir", "", "directory holding the productapi and website binaries (default: build them)")
	template := flag.String("template", "examples/stack.yaml", "the example stack's template")
	runs := flag.Int("runs", 3, "runs, each on a fresh wharf")
	timeScale := flag.String("time-scale", "1", "wharf up --time-scale")
	flag.Parse()
	if err := run(*wharfBin, *binDir, *template, *timeScale, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "stackbench:", err)
		os.Exit(1)
	}
}

// figures are one run's measurements, each from the call that starts the phase.
type figures struct {
	createComplete, healthy, first200 time.Duration
	updateComplete, allV2             time.Duration
}

var names = []string{"CreateStack -> CREATE_COMPLETE", "CreateStack -> all targets healthy", "CreateStack -> first 200 via listener",
	"UpdateStack -> UPDATE_COMPLETE", "UpdateStack -> every answer v2"}

func (f figures) list() []time.Duration {
	return []time.Duration{f.createComplete, f.healthy, f.first200, f.updateComplete, f.allV2}
}

func run(wharfBin, binDir, template, timeScale string, runs int) error {
	if binDir == "" {
		dir, err := os.MkdirTemp("", "stackbench-bin")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		for _, name := range []string{"productapi", "website"} {
			build := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./examples/"+name)
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				return fmt.Errorf("build %s: %w\n%s", name, err, out)
			}
		}
		binDir = dir
	}
	binDir, err := filepath.Abs(binDir)
	if err != nil {
		return err
	}
	body, err := os.ReadFile(template)
	if err != nil {
		return err
	}
	var all []figures
	for i := range runs {
		f, err := once(wharfBin, binDir, string(body), timeScale)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Printf("run %d:", i+1)
		for j, d := range f.list() {
			fmt.Printf("  %s %.2fs", strings.SplitN(names[j], " ", 3)[2], d.Seconds())
		}
		fmt.Println()
		all = append(all, f)
	}
	fmt.Printf("median of %d runs (wharf up --time-scale %s, process driver, DesiredCount 2):\n", runs, timeScale)
	for j, name := range names {
		var ds []time.Duration
		for _, f := range all {
			ds = append(ds, f.list()[j])
		}
		sort.Slice(ds, func(a, b int) bool { return ds[a] < ds[b] })
		fmt.Printf("  %-40s %6.2f s\n", name, ds[len(ds)/2].Seconds())
	}
	return nil
}

// once measures one create and one update on a fresh wharf.
func once(wharfBin, binDir, body, timeScale string) (figures, error) {
	var f figures
	w, err := benchkit.Start(wharfBin, "--time-scale", timeScale)
	if err != nil {
		return f, err
	}
	defer w.Stop()
	ctx := context.Background()
	cfg := w.Config()
	c, lb := cfn.NewFromConfig(cfg), elb.NewFromConfig(cfg)
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return f, err
	}
	_, port, _ := net.SplitHostPort(addr)
	base := "http://127.0.0.1:" + port
	const name = "bench"

	start := time.Now()
	if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String(name), TemplateBody: &body,
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
		Parameters: []cfntypes.Parameter{{ParameterKey: aws.String("BinDir"), ParameterValue: &binDir},
			{ParameterKey: aws.String("ListenerPort"), ParameterValue: &port}},
	}); err != nil {
		return f, fmt.Errorf("CreateStack: %w", err)
	}
	// Watch the listener and the targets while the stack is being made.
	first200 := make(chan time.Duration, 1)
	go func() {
		for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if status, _, err := get(base + "/products"); err == nil && status == 200 {
				first200 <- time.Since(start)
				return
			}
		}
		close(first200)
	}()
	healthy := make(chan time.Duration, 1)
	go func() {
		for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if allHealthy(ctx, lb, name) {
				healthy <- time.Since(start)
				return
			}
		}
		close(healthy)
	}()
	if err := waitStatus(ctx, c, name, "CREATE_COMPLETE", "CREATE_IN_PROGRESS"); err != nil {
		return f, err
	}
	f.createComplete = time.Since(start)
	var ok bool
	if f.healthy, ok = <-healthy; !ok {
		return f, fmt.Errorf("targets not all healthy after 5 minutes")
	}
	if f.first200, ok = <-first200; !ok {
		return f, fmt.Errorf("no 200 through the listener after 5 minutes")
	}

	prev := func(k string) cfntypes.Parameter {
		return cfntypes.Parameter{ParameterKey: aws.String(k), UsePreviousValue: aws.Bool(true)}
	}
	start = time.Now()
	if _, err := c.UpdateStack(ctx, &cfn.UpdateStackInput{StackName: aws.String(name), UsePreviousTemplate: aws.Bool(true),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
		Parameters: []cfntypes.Parameter{prev("BinDir"), prev("ListenerPort"), prev("DesiredCount"), prev("DatabaseUrlParameter"),
			{ParameterKey: aws.String("AppVersion"), ParameterValue: aws.String("v2")}},
	}); err != nil {
		return f, fmt.Errorf("UpdateStack: %w", err)
	}
	allV2 := make(chan time.Duration, 1)
	go func() {
		// Every answer v2: 20 consecutive pages of the website (which shows its
		// version) through the listener.
		streak := 0
		for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			status, page, err := get(base + "/")
			if err == nil && status == 200 && strings.Contains(page, " v2 on ") {
				if streak++; streak == 20 {
					allV2 <- time.Since(start)
					return
				}
				continue
			}
			streak = 0
		}
		close(allV2)
	}()
	if err := waitStatus(ctx, c, name, "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"); err != nil {
		return f, err
	}
	f.updateComplete = time.Since(start)
	if f.allV2, ok = <-allV2; !ok {
		return f, fmt.Errorf("answers not all v2 after 5 minutes")
	}
	return f, nil
}

// waitStatus polls the stack until it leaves the pending statuses; it must then be want.
func waitStatus(ctx context.Context, c *cfn.Client, name, want string, pending ...string) error {
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out, err := c.DescribeStacks(ctx, &cfn.DescribeStacksInput{StackName: &name})
		if err != nil {
			return err
		}
		st := string(out.Stacks[0].StackStatus)
		if st == want {
			return nil
		}
		isPending := false
		for _, p := range pending {
			isPending = isPending || st == p
		}
		if !isPending {
			return fmt.Errorf("stack %s is %s: %s", name, st, aws.ToString(out.Stacks[0].StackStatusReason))
		}
	}
	return fmt.Errorf("stack %s not %s after 5 minutes", name, want)
}

// allHealthy reports whether both of the stack's target groups have targets, all
// healthy.
func allHealthy(ctx context.Context, lb *elb.Client, stack string) bool {
	groups, err := lb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{stack + "-api", stack + "-web"}})
	if err != nil || len(groups.TargetGroups) != 2 {
		return false
	}
	for _, g := range groups.TargetGroups {
		h, err := lb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: g.TargetGroupArn})
		if err != nil || len(h.TargetHealthDescriptions) == 0 {
			return false
		}
		for _, d := range h.TargetHealthDescriptions {
			if d.TargetHealth == nil || d.TargetHealth.State != "healthy" {
				return false
			}
		}
	}
	return true
}

func get(url string) (int, string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}
