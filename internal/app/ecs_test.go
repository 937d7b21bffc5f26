package app_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharf-dev/wharf/internal/app"
)

func TestServiceLifecycleProcess(t *testing.T) {
	testServiceLifecycle(t, "process", "process:"+exampleBin, []string{"CMD", exampleBin, "-healthcheck"})
}

func TestServiceLifecycleDocker(t *testing.T) {
	requireDocker(t)
	testServiceLifecycle(t, "docker", exampleImage, []string{"CMD", "/productapi", "-healthcheck"})
}

// taskDef is the example's task definition on the given image.
func taskDef(image string, health []string, version string) *awsecs.RegisterTaskDefinitionInput {
	return &awsecs.RegisterTaskDefinitionInput{
		Family:      aws.String("productapi"),
		NetworkMode: ecstypes.NetworkModeBridge,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:         aws.String("api"),
			Image:        aws.String(image),
			Essential:    aws.Bool(true),
			Memory:       aws.Int32(64),
			Cpu:          128,
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(0)}},
			Environment: []ecstypes.KeyValuePair{
				{Name: aws.String("APP_VERSION"), Value: aws.String(version)},
			},
			HealthCheck: &ecstypes.HealthCheck{
				Command: health, Interval: aws.Int32(5), Timeout: aws.Int32(2), Retries: aws.Int32(3), StartPeriod: aws.Int32(10),
			},
			StopTimeout: aws.Int32(5),
		}},
	}
}

// testServiceLifecycle is the end-to-end story on one driver: a service of 3
// that answers HTTP, survives a killed task and a restart of Wharf, rolls to a new
// revision at 1 task, and leaves nothing behind when deleted.
func testServiceLifecycle(t *testing.T, driverName, image string, health []string) {
	ctx := context.Background()
	dataDir := t.TempDir()
	s := startServer(t, dataDir, driverName)
	cluster := "it-" + driverName

	if _, err := s.ecs.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: &cluster}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	td1, err := s.ecs.RegisterTaskDefinition(ctx, taskDef(image, health, "v1"))
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	if got := aws.ToString(td1.TaskDefinition.TaskDefinitionArn); !strings.HasSuffix(got, ":task-definition/productapi:1") {
		t.Fatalf("first revision ARN = %s", got)
	}
	_, err = s.ecs.CreateService(ctx, &awsecs.CreateServiceInput{
		Cluster: &cluster, ServiceName: aws.String("api"), TaskDefinition: aws.String("productapi"),
		DesiredCount: aws.Int32(3),
	})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}

	// Three RUNNING tasks, each answering HTTP on its own host port.
	pids := waitServing(t, s, cluster, 3, "v1")

	// Kill one task's process or container: it is replaced.
	victim := pids[0]
	killTask(t, driverName, victim)
	eventually(t, 60*time.Second, "killed task replaced", func() error {
		now, err := serving(ctx, s, cluster, "v1")
		if err != nil {
			return err
		}
		if len(now) != 3 {
			return fmt.Errorf("%d tasks serving, want 3", len(now))
		}
		for _, in := range now {
			if in.taskArn == victim.taskArn {
				return fmt.Errorf("killed task %s still listed as serving", victim.taskArn)
			}
		}
		return nil
	})
	stopped, err := s.ecs.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Cluster: &cluster, Tasks: []string{victim.taskArn}})
	if err != nil || len(stopped.Tasks) != 1 {
		t.Fatalf("DescribeTasks of the killed task: %v %+v", err, stopped)
	}
	if st := stopped.Tasks[0]; aws.ToString(st.LastStatus) != "STOPPED" || st.StopCode != ecstypes.TaskStopCodeEssentialContainerExited {
		t.Fatalf("killed task: lastStatus %s stopCode %s reason %q", aws.ToString(st.LastStatus), st.StopCode, aws.ToString(st.StoppedReason))
	}

	// Restart Wharf in the middle: the same tasks keep serving, none is duplicated.
	before := waitServing(t, s, cluster, 3, "v1")
	s.stop()
	s = startServer(t, dataDir, driverName)
	after := waitServing(t, s, cluster, 3, "v1")
	if !sameTasks(before, after) {
		t.Fatalf("tasks changed across a restart:\nbefore %v\nafter  %v", before, after)
	}
	all, err := s.ecs.ListTasks(ctx, &awsecs.ListTasksInput{Cluster: &cluster})
	if err != nil || len(all.TaskArns) != 3 {
		t.Fatalf("ListTasks after restart: %v, %d tasks, want 3", err, len(all.TaskArns))
	}

	// A new revision at one task.
	if _, err := s.ecs.RegisterTaskDefinition(ctx, taskDef(image, health, "v2")); err != nil {
		t.Fatal(err)
	}
	_, err = s.ecs.UpdateService(ctx, &awsecs.UpdateServiceInput{
		Cluster: &cluster, Service: aws.String("api"), TaskDefinition: aws.String("productapi:2"), DesiredCount: aws.Int32(1),
	})
	if err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	eventually(t, 90*time.Second, "one task of revision 2", func() error {
		tasks, err := s.runningTasks(ctx, cluster, "api")
		if err != nil {
			return err
		}
		if len(tasks) != 1 || !strings.HasSuffix(aws.ToString(tasks[0].TaskDefinitionArn), "productapi:2") {
			return fmt.Errorf("%d running tasks", len(tasks))
		}
		port, err := hostPort(tasks[0])
		if err != nil {
			return err
		}
		info, err := getInfo(port)
		if err != nil {
			return err
		}
		if info.Version != "v2" {
			return fmt.Errorf("task answers version %q", info.Version)
		}
		return nil
	})
	svc, err := s.ecs.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: &cluster, Services: []string{"api"}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("DescribeServices: %v", err)
	}
	if len(svc.Services[0].Events) == 0 || len(svc.Services[0].Deployments) == 0 {
		t.Fatalf("service has no events or deployments: %+v", svc.Services[0])
	}

	// Delete: every task stops and every process or container is gone.
	last := waitServing(t, s, cluster, 1, "v2")
	if _, err := s.ecs.DeleteService(ctx, &awsecs.DeleteServiceInput{Cluster: &cluster, Service: aws.String("api"), Force: aws.Bool(true)}); err != nil {
		t.Fatalf("DeleteService: %v", err)
	}
	eventually(t, 60*time.Second, "service deleted and tasks gone", func() error {
		l, err := s.ecs.ListTasks(ctx, &awsecs.ListTasksInput{Cluster: &cluster})
		if err != nil {
			return err
		}
		if len(l.TaskArns) > 0 {
			return fmt.Errorf("%d tasks still running", len(l.TaskArns))
		}
		return nil
	})
	eventually(t, 30*time.Second, "no runtime left", func() error { return runtimeGone(driverName, append(after, last...)) })
}

// instance is one serving task: its ARN, host port and process id (as the task reports it).
type instance struct {
	taskArn string
	port    int32
	pid     int
	host    string
}

func (i instance) String() string {
	return fmt.Sprintf("%s@%d(pid %d)", i.taskArn[strings.LastIndex(i.taskArn, "/")+1:], i.port, i.pid)
}

// serving returns the RUNNING tasks of service "api" that answer HTTP with version.
func serving(ctx context.Context, s *server, cluster, version string) ([]instance, error) {
	tasks, err := s.runningTasks(ctx, cluster, "api")
	if err != nil {
		return nil, err
	}
	var out []instance
	for _, task := range tasks {
		port, err := hostPort(task)
		if err != nil {
			return nil, err
		}
		info, err := getInfo(port)
		if err != nil {
			return nil, err
		}
		if info.Version != version {
			return nil, fmt.Errorf("task on port %d answers version %q, want %q", port, info.Version, version)
		}
		out = append(out, instance{taskArn: aws.ToString(task.TaskArn), port: port, pid: info.PID, host: info.Hostname})
	}
	return out, nil
}

// waitServing waits until exactly n tasks of service "api" are RUNNING and answering.
func waitServing(t *testing.T, s *server, cluster string, n int, version string) []instance {
	t.Helper()
	var got []instance
	eventually(t, 90*time.Second, fmt.Sprintf("%d tasks serving %s", n, version), func() error {
		var err error
		got, err = serving(context.Background(), s, cluster, version)
		if err == nil && len(got) != n {
			err = fmt.Errorf("%d tasks serving, want %d", len(got), n)
		}
		return err
	})
	return got
}

func sameTasks(a, b []instance) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, i := range a {
		seen[i.String()] = true
	}
	for _, i := range b {
		if !seen[i.String()] {
			return false
		}
	}
	return true
}

// killTask kills a task's process (process driver) or container (docker) behind
// Wharf's back.
func killTask(t *testing.T, driverName string, in instance) {
	t.Helper()
	if driverName == "process" {
		if err := syscall.Kill(in.pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill pid %d: %v", in.pid, err)
		}
		return
	}
	// In a container the hostname is the container's short id.
	if out, err := exec.Command("docker", "kill", in.host).CombinedOutput(); err != nil {
		t.Fatalf("docker kill %s: %v: %s", in.host, err, out)
	}
}

// runtimeGone checks that no process or container of the given tasks remains.
func runtimeGone(driverName string, tasks []instance) error {
	if driverName == "process" {
		for _, in := range tasks {
			if err := syscall.Kill(in.pid, 0); err == nil {
				return fmt.Errorf("process %d of task %s still runs", in.pid, in.taskArn)
			}
		}
		return nil
	}
	out, err := exec.Command("docker", "ps", "-a", "-q", "--filter", "label=wharf.managed=true").Output()
	if err != nil {
		return err
	}
	for _, in := range tasks {
		if strings.Contains(string(out), in.host) {
			return fmt.Errorf("container %s of task %s still exists", in.host, in.taskArn)
		}
	}
	return nil
}

// TestTasksReachTheEndpoint runs a one-off task on each runtime that calls Wharf at its
// AWS_ENDPOINT_URL: unmodified SDK code in a task must find Wharf there.
func TestTasksReachTheEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name, driver, image string
		entry               []string
	}{
		{"process", "process", "process:" + probeBin, nil},
		{"docker bridge", "docker", exampleImage, []string{"/probe"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.driver == "docker" {
				requireDocker(t)
			}
			s := startServer(t, t.TempDir(), tc.driver)
			ctx := context.Background()
			_, err := s.ecs.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{
				Family: aws.String("probe"), NetworkMode: ecstypes.NetworkModeBridge,
				ContainerDefinitions: []ecstypes.ContainerDefinition{{
					Name: aws.String("probe"), Image: aws.String(tc.image), EntryPoint: tc.entry, Memory: aws.Int32(16),
				}},
			})
			if err != nil {
				t.Fatal(err)
			}
			run, err := s.ecs.RunTask(ctx, &awsecs.RunTaskInput{TaskDefinition: aws.String("probe")})
			if err != nil || len(run.Tasks) != 1 {
				t.Fatalf("RunTask: %v", err)
			}
			arn := aws.ToString(run.Tasks[0].TaskArn)
			eventually(t, 60*time.Second, "probe task stopped", func() error {
				out, err := s.ecs.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Tasks: []string{arn}})
				if err != nil {
					return err
				}
				task := out.Tasks[0]
				if aws.ToString(task.LastStatus) != "STOPPED" {
					return fmt.Errorf("lastStatus %s", aws.ToString(task.LastStatus))
				}
				if code := task.Containers[0].ExitCode; code == nil || *code != 0 {
					t.Fatalf("probe exit code %d (nil: %t, reason %q): the task could not reach Wharf at its AWS_ENDPOINT_URL",
						aws.ToInt32(code), code == nil, aws.ToString(task.StoppedReason))
				}
				return nil
			})
		})
	}
}

// TestCrashLoopBacksOff runs a service whose only container exits at once: ECS keeps
// replacing it, backs off, and says why in the service events.
func TestCrashLoopBacksOff(t *testing.T) {
	s := startServerConfig(t, app.Config{DataDir: t.TempDir(), Driver: "process", TimeScale: 20})
	ctx := context.Background()
	_, err := s.ecs.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{
		Family: aws.String("crasher"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("c"), Image: aws.String("process:/bin/sh"), Memory: aws.Int32(16),
			EntryPoint: []string{"-c"}, Command: []string{"echo starting; exit 7"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ecs.CreateService(ctx, &awsecs.CreateServiceInput{
		ServiceName: aws.String("crasher"), TaskDefinition: aws.String("crasher"), DesiredCount: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "crash-loop event", func() error {
		out, err := s.ecs.DescribeServices(ctx, &awsecs.DescribeServicesInput{Services: []string{"crasher"}})
		if err != nil {
			return err
		}
		for _, e := range out.Services[0].Events {
			if strings.Contains(aws.ToString(e.Message), "is unable to consistently start tasks successfully") {
				return nil
			}
		}
		return fmt.Errorf("%d events, none about the crash loop", len(out.Services[0].Events))
	})
	stopped, err := s.ecs.ListTasks(ctx, &awsecs.ListTasksInput{ServiceName: aws.String("crasher"), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil {
		t.Fatal(err)
	}
	if len(stopped.TaskArns) < 2 {
		t.Fatalf("%d stopped tasks, want the crashing task replaced at least once", len(stopped.TaskArns))
	}
	out, err := s.ecs.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Tasks: stopped.TaskArns[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if c := out.Tasks[0].Containers[0]; aws.ToInt32(c.ExitCode) != 7 {
		t.Fatalf("crashed container exit code %d, want 7", aws.ToInt32(c.ExitCode))
	}
}
