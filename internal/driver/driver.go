// Package driver defines the contract between the agent and the runtimes that run a
// task's containers: the Docker engine (driver/docker) and host processes
// (driver/process). A driver runs one container per Start and knows nothing of tasks,
// services or the ECS API; the agent composes containers into tasks.
package driver

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Labels every driver puts on what it runs, so that a restarted agent finds and
// re-adopts its containers instead of starting duplicates.
const (
	LabelManaged   = "wharf.managed"   // always "true"
	LabelTaskARN   = "wharf.task-arn"  // the ECS task ARN
	LabelContainer = "wharf.container" // the container name in the task definition
	LabelCluster   = "wharf.cluster"   // the cluster ARN
)

// Spec describes one container to run.
type Spec struct {
	// Name is unique among running containers, e.g. "wharf-<task id>-<container>".
	Name string
	// Image is a Docker image reference, or "process:<absolute path>" for the process driver.
	Image      string
	EntryPoint []string
	Command    []string
	// Env is the complete environment given to the container (no inheritance from Wharf).
	Env        map[string]string
	WorkingDir string
	User       string
	Labels     map[string]string
	// NetworkMode is "bridge" (default), "host" or "none"; the process driver runs every
	// container in the host's network and ignores it.
	NetworkMode string
	Ports       []PortMapping
	// CPU is in ECS CPU units (1024 = one vCPU); 0 means no limit.
	CPU int
	// MemoryMiB is the hard limit and MemoryReservationMiB the soft limit; 0 means none.
	MemoryMiB            int
	MemoryReservationMiB int
	// StopTimeout is the time between SIGTERM and SIGKILL on Stop; 30s when zero.
	StopTimeout time.Duration
	HealthCheck *HealthCheck
}

// PortMapping maps a container port to a host port; HostPort 0 asks for a dynamic port.
type PortMapping struct {
	ContainerPort int
	HostPort      int
	Protocol      string // "tcp" (default) or "udp"
}

// PortBinding is a port mapping as it was made: the host port is always set.
type PortBinding struct {
	ContainerPort int
	HostPort      int
	Protocol      string
	BindIP        string
}

// HealthCheck is an ECS container health check. Command starts with "CMD" (argv follows)
// or "CMD-SHELL" (one shell command follows), as in ECS and Docker.
type HealthCheck struct {
	Command     []string
	Interval    time.Duration // default 30s
	Timeout     time.Duration // default 5s
	Retries     int           // default 3
	StartPeriod time.Duration // default 0
}

// Health values reported in Status.Health.
const (
	HealthNone      = ""          // no health check
	HealthStarting  = "starting"  // within the start period or before the first result
	HealthHealthy   = "healthy"   // the last check passed
	HealthUnhealthy = "unhealthy" // Retries consecutive checks failed
)

// Status is what a driver knows of one container.
type Status struct {
	ID      string // the driver's id for the container (Docker container id, "proc-<pid>-...")
	Name    string
	Labels  map[string]string
	Running bool
	// ExitCode is set once the container has exited and its code is known.
	ExitCode   *int
	Health     string
	Ports      []PortBinding
	StartedAt  time.Time
	FinishedAt time.Time
	// Reason says why the container stopped when that is not its own exit
	// ("OOMKilled", "killed after stop timeout").
	Reason string
}

// Driver runs containers. Every method is safe for concurrent use.
type Driver interface {
	// Name is "docker" or "process".
	Name() string
	// Start creates and starts a container; it returns once the container runs, with
	// its ports bound. PORT is added to the environment when the spec has ports and the
	// environment does not set it: the port the program must listen on.
	// It fails with *StartError.
	Start(ctx context.Context, spec Spec) (Status, error)
	// Inspect returns the container's current status; ErrNotFound when unknown.
	Inspect(ctx context.Context, id string) (Status, error)
	// Wait blocks until the container has exited (or ctx ends) and returns its status.
	Wait(ctx context.Context, id string) (Status, error)
	// Stop sends SIGTERM, waits up to timeout, then SIGKILL; stopping a stopped
	// container is not an error.
	Stop(ctx context.Context, id string, timeout time.Duration) error
	// Remove deletes the container and what it holds; the container must be stopped.
	Remove(ctx context.Context, id string) error
	// List returns the containers, running or exited, that carry LabelManaged.
	List(ctx context.Context) ([]Status, error)
}

// ErrNotFound is returned for a container id the driver does not know.
var ErrNotFound = errors.New("driver: container not found")

// ErrNotRunning is returned by Stats for a container that has exited.
var ErrNotRunning = errors.New("driver: container not running")

// The output streams of a container, as LogRecord.Stream names them.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
)

// LogRecord is a piece of a container's output as its runtime recorded it.
type LogRecord struct {
	// Stream is StreamStdout or StreamStderr.
	Stream string
	// Time is when the runtime received the output (Docker), or when the driver read
	// it (process driver, whose output file holds no times).
	Time time.Time
	// Data is one line with its trailing newline, or a part of a line without one: a
	// runtime cuts long lines into records (Docker at 16 KiB), the rest of the line
	// following in the next records of the same stream; output that ends without a
	// newline ends with such a record. Data is valid only until the callback returns.
	Data []byte
	// Cursor is the position just after this record, opaque to the caller: passed
	// back to StreamLogs it resumes the output there.
	Cursor string
}

// LogStreamer is implemented by drivers that can replay and follow what a container
// writes to stdout and stderr.
type LogStreamer interface {
	// StreamLogs calls fn with each record of container id's output, in the order it
	// was written, starting just after cursor ("" for the beginning). With follow it
	// waits for more until the container has exited and its output was all delivered,
	// then returns nil; without, it returns at the end of what is recorded. The next
	// record is read only once fn returned, so a slow fn slows the reading, not the
	// container: the runtime keeps the output (Docker's log, the process driver's log
	// file). An error from fn ends the stream with that error. It fails with
	// ErrNotFound for an unknown container.
	StreamLogs(ctx context.Context, id, cursor string, follow bool, fn func(LogRecord) error) error
}

// Stats is a sample of what a container uses.
type Stats struct {
	// Time is when the sample was taken.
	Time time.Time
	// CPU is the CPU time the container has used since it started, all CPUs summed.
	CPU time.Duration
	// MemoryBytes is the memory the container uses now, as docker stats counts it
	// (page cache that can be reclaimed left out).
	MemoryBytes uint64
	// MemoryLimitBytes is the most memory the container may use: its limit, or the
	// host's memory when it has none.
	MemoryLimitBytes uint64
}

// StatsReader is implemented by drivers that can measure a running container.
type StatsReader interface {
	// Stats samples container id. It fails with ErrNotRunning once the container has
	// exited and ErrNotFound for an unknown container.
	Stats(ctx context.Context, id string) (Stats, error)
}

// Reasons a container can fail to start, as ECS names them in stoppedReason.
const (
	CannotPullContainerError   = "CannotPullContainerError"
	CannotCreateContainerError = "CannotCreateContainerError"
	CannotStartContainerError  = "CannotStartContainerError"
)

// StartError is a failure to start a container, with the ECS reason code.
type StartError struct {
	Reason string // one of the Cannot*Error constants
	Err    error
}

// Error implements error as "Reason: detail", the form ECS uses in stoppedReason.
func (e *StartError) Error() string { return fmt.Sprintf("%s: %v", e.Reason, e.Err) }

// Unwrap returns the underlying error.
func (e *StartError) Unwrap() error { return e.Err }
