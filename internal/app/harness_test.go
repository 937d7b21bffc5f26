package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharf-dev/wharf/internal/app"
)

// exampleBin is the productapi example, probeBin the probe task (testdata/probe),
// taskProbeBin the secrets and task role probe (testdata/taskprobe) and chatterBin the
// observability tests' task (testdata/chatter), built once for the whole test binary.
var exampleBin, probeBin, taskProbeBin, chatterBin string

// exampleImage is the Docker image of the example, built when an engine answers.
const exampleImage = "wharf-test/productapi:latest"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wharf-app-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	exampleBin = filepath.Join(dir, "productapi")
	probeBin = filepath.Join(dir, "probe")
	taskProbeBin = filepath.Join(dir, "taskprobe")
	chatterBin = filepath.Join(dir, "chatter")
	for bin, pkg := range map[string]string{exampleBin: "./examples/productapi", probeBin: "./internal/app/testdata/probe",
		taskProbeBin: "./internal/app/testdata/taskprobe", chatterBin: "./internal/app/testdata/chatter"} {
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Dir = repoRoot()
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// requireDocker skips the test when no Docker engine answers, unless WHARF_TEST_DOCKER=1
// says the engine must be there; it builds the example image once.
func requireDocker(t *testing.T) {
	t.Helper()
	if err := exec.Command("docker", "info").Run(); err != nil {
		if os.Getenv("WHARF_TEST_DOCKER") == "1" {
			t.Fatalf("WHARF_TEST_DOCKER=1 but no Docker engine answers: %v", err)
		}
		t.Skipf("no Docker engine answers (%v); set WHARF_TEST_DOCKER=1 to require one", err)
	}
	buildImageOnce.Do(func() {
		ctxDir := t.TempDir()
		var err error
		for name, bin := range map[string]string{"productapi": exampleBin, "probe": probeBin, "taskprobe": taskProbeBin} {
			var data []byte
			if data, err = os.ReadFile(bin); err == nil {
				err = os.WriteFile(filepath.Join(ctxDir, name), data, 0o755)
			}
			if err != nil {
				break
			}
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY productapi probe taskprobe /\nENTRYPOINT [\"/productapi\"]\n"), 0o644)
		}
		if err != nil {
			buildImageErr = err
			return
		}
		cmd := exec.Command("docker", "build", "-q", "-t", exampleImage, ctxDir)
		cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildImageErr = fmt.Errorf("docker build: %v\n%s", err, out)
		}
	})
	if buildImageErr != nil {
		t.Fatal(buildImageErr)
	}
}

var (
	buildImageOnce sync.Once
	buildImageErr  error
)

// server is a Wharf running in-process on a loopback port.
type server struct {
	t       testing.TB
	dataDir string
	driver  string
	app     *app.App
	ecs     *awsecs.Client
}

// startServer boots Wharf on 127.0.0.1:0 with the given data dir and driver.
func startServer(t testing.TB, dataDir, driver string) *server {
	t.Helper()
	return startServerConfig(t, app.Config{DataDir: dataDir, Driver: driver})
}

// startServerConfig boots Wharf on 127.0.0.1:0 with cfg (its listen address, region,
// version and logger are filled in).
func startServerConfig(t testing.TB, cfg app.Config) *server {
	t.Helper()
	dataDir, driver := cfg.DataDir, cfg.Driver
	cfg.Listen, cfg.Region, cfg.Version = "127.0.0.1:0", "us-east-1", "test"
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start wharf: %v", err)
	}
	s := &server{t: t, dataDir: dataDir, driver: driver, app: a}
	t.Cleanup(func() { s.stop() })
	select {
	case <-a.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("wharf not ready after 30s")
	}
	s.ecs = awsecs.NewFromConfig(s.awsConfig())
	return s
}

func (s *server) awsConfig() aws.Config {
	c := s.app.Credentials()
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		BaseEndpoint: aws.String(s.app.Endpoint()),
	}
}

// stop shuts the server down (tasks keep running); stopping twice is harmless.
func (s *server) stop() {
	if s.app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.app.Close(ctx); err != nil {
		s.t.Errorf("close wharf: %v", err)
	}
	s.app = nil
}

// testWriter sends log lines to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// eventually polls cond until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s: not reached after %v: %v", what, timeout, err)
}

// runningTasks returns the RUNNING tasks of a service.
func (s *server) runningTasks(ctx context.Context, cluster, service string) ([]ecstypes.Task, error) {
	list, err := s.ecs.ListTasks(ctx, &awsecs.ListTasksInput{Cluster: &cluster, ServiceName: &service})
	if err != nil {
		return nil, err
	}
	if len(list.TaskArns) == 0 {
		return nil, nil
	}
	out, err := s.ecs.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Cluster: &cluster, Tasks: list.TaskArns})
	if err != nil {
		return nil, err
	}
	var running []ecstypes.Task
	for _, t := range out.Tasks {
		if aws.ToString(t.LastStatus) == "RUNNING" {
			running = append(running, t)
		}
	}
	return running, nil
}

// hostPort returns the host port of a task's first container binding.
func hostPort(t ecstypes.Task) (int32, error) {
	for _, c := range t.Containers {
		for _, b := range c.NetworkBindings {
			if b.HostPort != nil && *b.HostPort > 0 {
				return *b.HostPort, nil
			}
		}
	}
	return 0, fmt.Errorf("task %s has no network binding", aws.ToString(t.TaskArn))
}

// exampleInfo is what the example answers on GET /.
type exampleInfo struct {
	Service  string `json:"service"`
	Hostname string `json:"hostname"`
	PID      int    `json:"pid"`
	Version  string `json:"version"`
}

// getInfo asks the example task on port for its identity.
func getInfo(port int32) (exampleInfo, error) {
	return getInfoAt(fmt.Sprintf("http://127.0.0.1:%d/", port))
}

// getInfoAt asks the example at url for its identity.
func getInfoAt(url string) (exampleInfo, error) {
	var info exampleInfo
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return info, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return info, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&info); err != nil {
		return info, fmt.Errorf("GET %s: %w: %s", url, err, body)
	}
	return info, nil
}
