// Command wharfbench measures the figures docs/benchmarks.md records: the time from
// `wharf up` to a healthy endpoint (with an empty data dir and with 1,000 stored
// resources), idle memory, and the time from CreateService to N RUNNING, healthy tasks.
// bench/run.sh builds everything and runs it; see docs/benchmarks.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func main() {
	bin := flag.String("bin", "bin/wharf", "the wharf binary")
	app := flag.String("app", "examples/bin/productapi", "the example API binary (for the services benchmark)")
	runs := flag.Int("runs", 20, "startups to time per case")
	count := flag.Int("count", 50, "desired count of the services benchmark")
	resources := flag.Int("resources", 1000, "stored resources of the loaded startup case")
	flag.Parse()
	if err := run(*bin, *app, *runs, *count, *resources); err != nil {
		fmt.Fprintln(os.Stderr, "wharfbench:", err)
		os.Exit(1)
	}
}

func run(bin, app string, runs, count, resources int) error {
	bin, _ = filepath.Abs(bin)
	app, _ = filepath.Abs(app)
	tmp, err := os.MkdirTemp("", "wharfbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// Startup with an empty data dir, each run in a new one.
	var empty []time.Duration
	for i := 0; i < runs; i++ {
		w, err := start(bin, filepath.Join(tmp, fmt.Sprintf("empty-%d", i)))
		if err != nil {
			return err
		}
		empty = append(empty, w.ready)
		w.stop()
	}
	report("startup to healthy, empty data dir", empty)

	// Idle memory after the start settles, without and with the Docker client.
	for _, d := range []string{"process", "auto"} {
		w, err := startDriver(bin, filepath.Join(tmp, "idle-"+d), d)
		if err != nil {
			return err
		}
		time.Sleep(3 * time.Second)
		fmt.Printf("idle RSS (--driver %s): %.1f MiB\n", d, float64(rssKiB(w.cmd.Process.Pid))/1024)
		w.stop()
	}

	// Startup with stored resources: task definitions registered once, then restarts.
	loaded := filepath.Join(tmp, "loaded")
	w, err := start(bin, loaded)
	if err != nil {
		return err
	}
	client := w.client()
	for i := 0; i < resources; i++ {
		_, err := client.RegisterTaskDefinition(context.Background(), &awsecs.RegisterTaskDefinitionInput{
			Family: aws.String(fmt.Sprintf("fam-%d", i%100)),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{
				Name: aws.String("c"), Image: aws.String("process:/bin/true"), Memory: aws.Int32(16),
			}},
		})
		if err != nil {
			return fmt.Errorf("register task definition %d: %w", i, err)
		}
	}
	w.stop()
	var full []time.Duration
	for i := 0; i < runs; i++ {
		w, err := start(bin, loaded)
		if err != nil {
			return err
		}
		full = append(full, w.ready)
		w.stop()
	}
	report(fmt.Sprintf("startup to healthy, %d stored resources", resources), full)

	return services(bin, app, filepath.Join(tmp, "services"), count)
}

// services times CreateService with count tasks of the example (process driver) until
// every task is RUNNING and HEALTHY.
func services(bin, app, dataDir string, count int) error {
	w, err := start(bin, dataDir)
	if err != nil {
		return err
	}
	defer w.stop()
	ctx := context.Background()
	c := w.client()
	if _, err := c.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("bench")}); err != nil {
		return err
	}
	_, err = c.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{
		Family: aws.String("productapi"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("api"), Image: aws.String("process:" + app), Memory: aws.Int32(16), Cpu: 16,
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}},
			HealthCheck: &ecstypes.HealthCheck{
				Command:  []string{"CMD", app, "-healthcheck"},
				Interval: aws.Int32(5), Timeout: aws.Int32(2), Retries: aws.Int32(3), StartPeriod: aws.Int32(10),
			},
		}},
	})
	if err != nil {
		return err
	}
	begin := time.Now()
	_, err = c.CreateService(ctx, &awsecs.CreateServiceInput{
		Cluster: aws.String("bench"), ServiceName: aws.String("api"),
		TaskDefinition: aws.String("productapi"), DesiredCount: aws.Int32(int32(count)),
	})
	if err != nil {
		return err
	}
	var running, healthy int
	for time.Since(begin) < 5*time.Minute {
		running, healthy, err = countTasks(ctx, c, ecstypes.DesiredStatusRunning)
		if err != nil {
			return err
		}
		if healthy == count {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(begin)
	fmt.Printf("CreateService(desiredCount %d) to %d RUNNING+HEALTHY: %v (running %d, healthy %d)\n",
		count, count, took.Round(time.Millisecond), running, healthy)
	_, _ = c.DeleteService(ctx, &awsecs.DeleteServiceInput{Cluster: aws.String("bench"), Service: aws.String("api"), Force: aws.Bool(true)})
	// Wait until every task has really stopped before wharf exits.
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		running, _, err := countTasks(ctx, c, ecstypes.DesiredStatusStopped)
		if err == nil && running == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

// countTasks counts the tasks with the given desired status that are not yet STOPPED,
// and those of them that are RUNNING and HEALTHY.
func countTasks(ctx context.Context, c *awsecs.Client, desired ecstypes.DesiredStatus) (running, healthy int, err error) {
	p := awsecs.NewListTasksPaginator(c, &awsecs.ListTasksInput{Cluster: aws.String("bench"), DesiredStatus: desired})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, 0, err
		}
		if len(page.TaskArns) == 0 {
			break
		}
		out, err := c.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("bench"), Tasks: page.TaskArns})
		if err != nil {
			return 0, 0, err
		}
		for _, t := range out.Tasks {
			switch aws.ToString(t.LastStatus) {
			case "RUNNING":
				running++
				if t.HealthStatus == ecstypes.HealthStatusHealthy {
					healthy++
				}
			case "STOPPED":
			default:
				if desired == ecstypes.DesiredStatusStopped {
					running++
				}
			}
		}
	}
	return running, healthy, nil
}

// wharf is a running wharf process.
type wharf struct {
	cmd     *exec.Cmd
	addr    string
	dataDir string
	ready   time.Duration
}

// start runs `wharf up` on a free port and waits for /_wharf/health to answer 200.
func start(bin, dataDir string) (*wharf, error) { return startDriver(bin, dataDir, "process") }

// startDriver is start with the given --driver.
func startDriver(bin, dataDir, driverName string) (*wharf, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "up", "--listen", addr, "--data-dir", dataDir, "--driver", driverName, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	hc := http.Client{Timeout: time.Second}
	for time.Since(begin) < 30*time.Second {
		resp, err := hc.Get("http://" + addr + "/_wharf/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return &wharf{cmd: cmd, addr: addr, dataDir: dataDir, ready: time.Since(begin)}, nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return nil, fmt.Errorf("wharf on %s not healthy after 30s", addr)
}

func (w *wharf) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	_ = w.cmd.Wait()
}

func (w *wharf) client() *awsecs.Client {
	creds := readCreds(w.dataDir)
	return awsecs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(creds[0], creds[1], ""),
		BaseEndpoint: aws.String("http://" + w.addr),
	})
}

// readCreds reads the root key from the data dir's credentials.json.
func readCreds(dataDir string) [2]string {
	raw, _ := os.ReadFile(filepath.Join(dataDir, "credentials.json"))
	var c struct{ AccessKeyID, SecretAccessKey string }
	_ = json.Unmarshal(raw, &c)
	return [2]string{c.AccessKeyID, c.SecretAccessKey}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// rssKiB reads VmRSS of a process.
func rssKiB(pid int) int {
	raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

func report(what string, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	fmt.Printf("%s: median %v, min %v, p90 %v, max %v (n=%d)\n", what,
		d[len(d)/2].Round(100*time.Microsecond), d[0].Round(100*time.Microsecond),
		d[len(d)*9/10].Round(100*time.Microsecond), d[len(d)-1].Round(100*time.Microsecond), len(d))
}
