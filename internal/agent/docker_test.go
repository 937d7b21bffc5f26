package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
	"github.com/wharf-dev/wharf/internal/driver/docker"
	"github.com/wharf-dev/wharf/internal/ecs"
)

// The Docker tests share one driver and one image, built on first use FROM scratch
// from the Docker driver's static test program (internal/driver/docker/testdata/
// testapp) and removed by TestMain.
var (
	dockerOnce     sync.Once
	dockerDrv      *docker.Driver
	dockerErr      error // no engine answers
	dockerImageErr error // the image could not be built
	dockerImage    = "wharf-test-agent:" + randomHex()
	dockerBuilt    bool
)

func randomHex() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// dockerEngine returns the shared Docker driver, skipping the test when no engine
// answers (failing it when WHARF_TEST_DOCKER=1).
func dockerEngine(t *testing.T) *docker.Driver {
	t.Helper()
	dockerOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		dockerDrv, dockerErr = docker.New(ctx, nil)
		if dockerErr == nil {
			dockerImageErr = buildDockerImage(ctx)
			dockerBuilt = dockerImageErr == nil
		}
	})
	if dockerErr != nil {
		if os.Getenv("WHARF_TEST_DOCKER") == "1" {
			t.Fatalf("WHARF_TEST_DOCKER=1 but no Docker engine answers: %v", dockerErr)
		}
		t.Skipf("no Docker engine answers (set WHARF_TEST_DOCKER=1 to make this a failure): %v", dockerErr)
	}
	if dockerImageErr != nil {
		t.Fatalf("build the test image: %v", dockerImageErr)
	}
	return dockerDrv
}

// buildDockerImage compiles the test program statically and builds the image.
func buildDockerImage(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "wharf-agent-docker-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	build := exec.CommandContext(ctx, goTool, "build", "-o", filepath.Join(dir, "app"), "../driver/docker/testdata/testapp")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build testapp: %w\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n"), 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "docker", "build", "-q", "--label", "wharf.test=true", "-t", dockerImage, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker build: %w\n%s", err, out)
	}
	return nil
}

// cleanupDocker removes the test image; TestMain calls it.
func cleanupDocker() {
	if dockerBuilt {
		if out, err := exec.Command("docker", "rmi", "-f", dockerImage).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "remove test image %s: %v\n%s", dockerImage, err, out)
		}
	}
	if dockerDrv != nil {
		dockerDrv.Close()
	}
}

// scopedDocker is the Docker driver as one test's agent sees it: List shows only the
// containers of the test's tasks, so that the agents of tests running at the same time
// (and any other Wharf on the engine) do not take each other's containers for orphans.
type scopedDocker struct {
	*docker.Driver
	mu   sync.Mutex
	arns map[string]bool
}

func newScopedDocker(d *docker.Driver) *scopedDocker {
	return &scopedDocker{Driver: d, arns: map[string]bool{}}
}

// own adds a task to those the test's agent sees.
func (s *scopedDocker) own(arn string) {
	s.mu.Lock()
	s.arns[arn] = true
	s.mu.Unlock()
}

// List implements driver.Driver.
func (s *scopedDocker) List(ctx context.Context) ([]driver.Status, error) {
	list, err := s.Driver.List(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []driver.Status
	for _, st := range list {
		if s.arns[st.Labels[driver.LabelTaskARN]] {
			out = append(out, st)
		}
	}
	return out, err
}

// dockerApp is a container of the test image running the test program with args.
func dockerApp(t *testing.T, name string, args ...string) ecs.ContainerDefinition {
	return ecs.ContainerDefinition{Name: name, Image: dockerImage, Command: args, StopTimeout: ptr(int32(2))}
}

// removeTaskContainers force-removes, when the test ends, the Docker containers of a
// task that the agent left behind.
func removeTaskContainers(t *testing.T, arn string) {
	t.Cleanup(func() {
		out, err := exec.Command("docker", "ps", "-aq", "--filter", "label=wharf.task-arn="+arn).Output()
		if err != nil {
			return
		}
		for _, id := range strings.Fields(string(out)) {
			exec.Command("docker", "rm", "-f", id).Run()
		}
	})
}

// TestAWSLogsDocker ships the output of a Docker container: both streams, a line
// Docker cut into parts joined again, the last line without a newline; in blocking
// mode nothing is lost, in non-blocking mode with a slow sink what is dropped is
// counted exactly.
func TestAWSLogsDocker(t *testing.T) {
	t.Parallel()
	drv := newScopedDocker(dockerEngine(t))
	f := newFakeControl()
	sink := newRecordingSink()
	sink.delay = 10 * time.Millisecond
	ra := logAgent(t, f, Drivers{Process: newDriver(t, ""), Docker: drv}, sink, nil)
	const n = 20000
	for _, mode := range []string{"blocking", "non-blocking"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			opts := map[string]string{"awslogs-group": "/docker", "awslogs-stream-prefix": mode, "mode": mode}
			if mode == "non-blocking" {
				opts["max-buffer-size"] = "4k"
			}
			nt := newTask(awslogs(dockerApp(t, "app", "lines", fmt.Sprint(n)), opts))
			arn := nt.Task.TaskArn
			removeTaskContainers(t, arn)
			drv.own(arn)
			f.place(nt)
			stopped, _ := waitStatus(t, f, arn, ecs.StatusStopped)
			if c := container(t, stopped, "app"); c.ExitCode == nil || *c.ExitCode != 0 {
				t.Fatalf("the container exited with %v; reports:\n%s", c.ExitCode, f.dump(arn))
			}
			lines := sink.messages("/docker", mode+"/app/"+taskID(arn))
			c, _ := ra.LogCounters(arn)
			if mode == "non-blocking" {
				checkSequence(t, "stdout", lines, "out", n, true)
				checkSequence(t, "stderr", lines, "err", n, true)
				if c.Delivered != uint64(len(lines)) || c.Delivered+c.Dropped != 2*n+2 || c.Undelivered != 0 {
					t.Errorf("LogCounters = %+v with %d events; want delivered + dropped = %d", c, len(lines), 2*n+2)
				}
				return
			}
			checkSequence(t, "stdout", lines, "out", n, false)
			checkSequence(t, "stderr", lines, "err", n, false)
			if len(lines) != 2*n+2 || c.Delivered != 2*n+2 || c.Dropped != 0 {
				t.Fatalf("%d events, counters %+v; want %d delivered", len(lines), c, 2*n+2)
			}
			// The end of stdout: the line Docker cut into parts, then the last line,
			// without a newline.
			var stdout []string
			for _, l := range lines {
				if !strings.HasPrefix(l, "err ") {
					stdout = append(stdout, l)
				}
			}
			if end := stdout[len(stdout)-2:]; end[0] != strings.Repeat("x", 40000) || end[1] != "tail" {
				t.Errorf("stdout ends with events of %d and %d bytes (%.10q), want the 40000-byte line and \"tail\"", len(end[0]), len(end[1]), end[1])
			}
		})
	}
	t.Cleanup(func() { sink.check(t) })
}

// TestTaskStatsDocker samples a Docker container that burns CPU.
func TestTaskStatsDocker(t *testing.T) {
	t.Parallel()
	drv := newScopedDocker(dockerEngine(t))
	f := newFakeControl()
	ra := startAgent(t, f, Drivers{Process: newDriver(t, ""), Docker: drv})
	burn := dockerApp(t, "burn", "burn")
	burn.Memory = ptr(int32(64))
	nt := newTask(burn)
	arn := nt.Task.TaskArn
	removeTaskContainers(t, arn)
	drv.own(arn)
	f.place(nt)
	waitStatus(t, f, arn, ecs.StatusRunning)
	sample := func() (TaskStats, bool) {
		for _, s := range ra.TaskStats(context.Background()) {
			if s.TaskArn == arn {
				return s, true
			}
		}
		return TaskStats{}, false
	}
	var first, last TaskStats
	eventually(t, "a sample", func() bool {
		var ok bool
		first, ok = sample()
		return ok && first.MemoryBytes > 0
	})
	if first.TaskMemoryMiB != 64 {
		t.Errorf("TaskMemoryMiB = %d, want 64", first.TaskMemoryMiB)
	}
	eventually(t, "the CPU time to grow by 300ms", func() bool {
		last, _ = sample()
		return last.CPU >= first.CPU+300*time.Millisecond
	})
	f.stopTask(arn)
	waitStatus(t, f, arn, ecs.StatusStopped)
}
