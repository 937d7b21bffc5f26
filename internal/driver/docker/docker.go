// Package docker implements driver.Driver on the Docker Engine API: one Docker
// container per driver.Spec, created, started, inspected, stopped and removed through
// the official client (DOCKER_HOST or the default socket, API version negotiated).
//
// Images are never built here: an image must be present in the engine. When it is
// not, Start tries one pull (15 s) and otherwise fails with a
// driver.CannotPullContainerError that says how to build the image locally.
//
// Networking: NetworkMode "bridge" (the default) publishes every mapping on the host,
// on a port Docker picks when HostPort is 0; "host" shares the host's network, so the
// program binds its host port itself (HostPort must then be 0 or equal ContainerPort);
// "none" publishes nothing. In bridge mode HostAlias (host.docker.internal) resolves to
// the host's address on the bridge (HostGateway), so a task can reach services there.
//
// PORT: when the spec has ports and its Env does not set PORT, PORT is added to the
// container's environment: in bridge and none modes it is the first mapping's
// ContainerPort (the port the program listens on inside the container, which Docker
// forwards from the host port); in host mode it is the first mapping's HostPort, or its
// ContainerPort when HostPort is 0 (the two are equal in host mode).
//
// Health checks run natively in Docker (Spec.HealthCheck becomes the container's
// Healthcheck, with ECS defaults for zero fields); Status.Health is Docker's verdict.
// Containers carry driver.LabelManaged, so List finds them again after a restart.
// Docker never restarts nor removes them by itself.
//
// StreamLogs replays and follows a container's output through the engine's log API
// (the log driver of the engine must be readable: json-file, Docker's default, local
// or journald), and Stats samples its CPU and memory (see logs.go).
package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/wharf-dev/wharf/internal/driver"
)

// pullTimeout bounds the single pull attempted for an image missing locally.
const pullTimeout = 15 * time.Second

// cleanupTimeout bounds the removal of a container that failed to start.
const cleanupTimeout = 30 * time.Second

// reasonStopKilled is Status.Reason for a container that Stop had to SIGKILL.
const reasonStopKilled = "killed after stop timeout"

// exitSIGKILL is the exit code Docker reports for a process killed by SIGKILL.
const exitSIGKILL = 128 + 9

// Driver runs containers on a Docker engine. It is safe for concurrent use.
type Driver struct {
	cli *client.Client
	log *slog.Logger

	mu sync.Mutex
	// stopped holds the containers that Stop found running, so that a SIGKILL at the
	// end of the stop timeout is reported as such. It lives in memory only.
	stopped map[string]bool
}

var _ driver.Driver = (*Driver)(nil)

// New connects to the engine (DOCKER_HOST or the default socket) and pings it; an
// error means no engine answers. A nil logger discards logs.
func New(ctx context.Context, logger *slog.Logger) (*Driver, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker: create client: %w", err)
	}
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		return nil, fmt.Errorf("docker: ping engine at %s: %w", cli.DaemonHost(), err)
	}
	return &Driver{cli: cli, log: logger, stopped: make(map[string]bool)}, nil
}

// HostAlias is the name that bridge-mode containers resolve to the host.
const HostAlias = "host.docker.internal"

// HostGateway returns the host's address on Docker's default bridge network: the
// address that bridge-mode containers reach the host at (and HostAlias resolves to).
func (d *Driver) HostGateway(ctx context.Context) (string, error) {
	nw, err := d.cli.NetworkInspect(ctx, "bridge", network.InspectOptions{})
	if err != nil {
		return "", fmt.Errorf("docker: inspect the bridge network: %w", err)
	}
	for _, c := range nw.IPAM.Config {
		if ip := net.ParseIP(c.Gateway); ip != nil && ip.To4() != nil {
			return c.Gateway, nil
		}
	}
	// The default bridge often records no gateway: it is the bridge interface's
	// address in the network's subnet.
	name := nw.Options["com.docker.network.bridge.name"]
	if name == "" {
		name = "docker0"
	}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return "", fmt.Errorf("docker: the bridge network records no gateway and interface %s: %w", name, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return "", fmt.Errorf("docker: addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			return ipn.IP.String(), nil
		}
	}
	return "", fmt.Errorf("docker: the bridge interface %s has no IPv4 address", name)
}

// EngineVersion returns the engine's version ("" when it cannot be read).
func (d *Driver) EngineVersion(ctx context.Context) string {
	v, err := d.cli.ServerVersion(ctx)
	if err != nil {
		return ""
	}
	return v.Version
}

// Close releases the connection to the engine; containers keep running.
func (d *Driver) Close() error {
	return d.cli.Close()
}

// Name returns "docker".
func (d *Driver) Name() string { return "docker" }

// Start creates and starts a container from spec and returns its status, with the
// host ports Docker bound. It fails with *driver.StartError; a container that was
// created but could not start is removed.
func (d *Driver) Start(ctx context.Context, spec driver.Spec) (driver.Status, error) {
	cfg, hostCfg, err := containerConfig(spec)
	if err != nil {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotCreateContainerError, Err: err}
	}
	if err := d.ensureImage(ctx, spec.Image); err != nil {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotPullContainerError, Err: err}
	}
	created, err := d.cli.ContainerCreate(ctx, cfg, hostCfg, nil, nil, spec.Name)
	if err != nil {
		return driver.Status{}, &driver.StartError{Reason: driver.CannotCreateContainerError,
			Err: fmt.Errorf("create container %q from %q: %w", spec.Name, spec.Image, err)}
	}
	id := created.ID
	for _, w := range created.Warnings {
		d.log.Warn("docker create warning", "container", spec.Name, "id", id, "warning", w)
	}
	if err := d.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		d.removeFailed(ctx, id)
		return driver.Status{}, &driver.StartError{Reason: driver.CannotStartContainerError,
			Err: fmt.Errorf("start container %q: %w", spec.Name, err)}
	}
	st, err := d.Inspect(ctx, id)
	if err != nil {
		d.removeFailed(ctx, id)
		return driver.Status{}, &driver.StartError{Reason: driver.CannotStartContainerError,
			Err: fmt.Errorf("inspect started container %q: %w", spec.Name, err)}
	}
	d.log.Info("container started", "container", spec.Name, "id", id, "image", spec.Image)
	return st, nil
}

// ensureImage checks that ref is present in the engine and otherwise tries one pull.
func (d *Driver) ensureImage(ctx context.Context, ref string) error {
	_, err := d.cli.ImageInspect(ctx, ref)
	if err == nil {
		return nil
	}
	if _, perr := reference.ParseNormalizedNamed(ref); perr != nil {
		return fmt.Errorf("image %q is not a valid image reference: %w", ref, perr)
	}
	if !client.IsErrNotFound(err) {
		return fmt.Errorf("inspect image %q: %w", ref, err)
	}
	if perr := d.pull(ctx, ref); perr != nil {
		return fmt.Errorf("pull image %q: not found locally and the pull failed: %w; "+
			"build it locally (docker build -t %s .) or use a process: image", ref, perr, ref)
	}
	d.log.Info("image pulled", "image", ref)
	return nil
}

// pull pulls ref once, reading the progress stream to its end to learn the outcome.
func (d *Driver) pull(ctx context.Context, ref string) error {
	ctx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	rc, err := d.cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	return readJSONStream(rc)
}

// readJSONStream reads a stream of Docker JSON progress messages (pull, build) to
// its end and returns the first error a message reports.
func readJSONStream(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read progress stream: %w", err)
		}
		if msg.ErrorDetail.Message != "" {
			return errors.New(msg.ErrorDetail.Message)
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}

// removeFailed force-removes a container that failed to start, even when ctx has ended.
func (d *Driver) removeFailed(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	err := d.cli.ContainerRemove(ctx, id, container.RemoveOptions{RemoveVolumes: true, Force: true})
	if err != nil && !client.IsErrNotFound(err) {
		d.log.Warn("remove container that failed to start", "id", id, "error", err)
	}
}

// Inspect returns the container's current status; driver.ErrNotFound when unknown.
func (d *Driver) Inspect(ctx context.Context, id string) (driver.Status, error) {
	resp, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		return driver.Status{}, notFound(id, "inspect", err)
	}
	st := statusFromInspect(resp)
	if st.Reason == "" && st.ExitCode != nil && *st.ExitCode == exitSIGKILL {
		d.mu.Lock()
		stopped := d.stopped[st.ID]
		d.mu.Unlock()
		if stopped {
			st.Reason = reasonStopKilled
		}
	}
	return st, nil
}

// Wait blocks until the container is not running (or ctx ends) and returns its status.
func (d *Driver) Wait(ctx context.Context, id string) (driver.Status, error) {
	resC, errC := d.cli.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	select {
	case <-resC:
	case err := <-errC:
		return driver.Status{}, notFound(id, "wait for", err)
	case <-ctx.Done():
		return driver.Status{}, fmt.Errorf("wait for container %s: %w", id, ctx.Err())
	}
	return d.Inspect(ctx, id)
}

// Stop sends SIGTERM, waits up to timeout (rounded up to whole seconds), then SIGKILL.
// A timeout of zero or less uses the container's own stop timeout (Spec.StopTimeout).
// Stopping a stopped container is not an error.
func (d *Driver) Stop(ctx context.Context, id string, timeout time.Duration) error {
	resp, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		return notFound(id, "stop", err)
	}
	opts := container.StopOptions{}
	if timeout > 0 {
		secs := seconds(timeout)
		opts.Timeout = &secs
	}
	if resp.State != nil && resp.State.Running {
		d.mu.Lock()
		d.stopped[resp.ID] = true
		d.mu.Unlock()
	}
	if err := d.cli.ContainerStop(ctx, resp.ID, opts); err != nil {
		return notFound(id, "stop", err)
	}
	d.log.Info("container stopped", "id", resp.ID, "timeout", timeout)
	return nil
}

// Remove deletes the stopped container and its anonymous volumes.
func (d *Driver) Remove(ctx context.Context, id string) error {
	resp, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		return notFound(id, "remove", err)
	}
	err = d.cli.ContainerRemove(ctx, resp.ID, container.RemoveOptions{RemoveVolumes: true})
	if err != nil {
		return notFound(id, "remove", err)
	}
	d.mu.Lock()
	delete(d.stopped, resp.ID)
	d.mu.Unlock()
	d.log.Info("container removed", "id", resp.ID)
	return nil
}

// List returns the containers, running or exited, labelled wharf.managed=true,
// ordered by name.
func (d *Driver) List(ctx context.Context) ([]driver.Status, error) {
	summaries, err := d.cli.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", driver.LabelManaged+"=true")),
	})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make([]driver.Status, 0, len(summaries))
	for _, s := range summaries {
		st, err := d.Inspect(ctx, s.ID)
		if errors.Is(err, driver.ErrNotFound) {
			continue // removed since the listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Logs streams the container's stdout and stderr (demultiplexed) from since (all of
// them when since is zero), following new output until the container stops or ctx
// ends when follow is true. A nil writer discards that stream.
func (d *Driver) Logs(ctx context.Context, id string, since time.Time, follow bool, stdout, stderr io.Writer) error {
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rc, err := d.cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return notFound(id, "read logs of", err)
	}
	defer rc.Close()
	if _, err := stdcopy.StdCopy(stdout, stderr, rc); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("read logs of container %s: %w", id, ctx.Err())
		}
		return fmt.Errorf("read logs of container %s: %w", id, err)
	}
	return nil
}

// notFound wraps err from an operation on container id, as driver.ErrNotFound when
// the engine does not know the container.
func notFound(id, op string, err error) error {
	if client.IsErrNotFound(err) {
		return fmt.Errorf("%s container %s: %w (%v)", op, id, driver.ErrNotFound, err)
	}
	return fmt.Errorf("%s container %s: %w", op, id, err)
}

// seconds rounds d up to whole seconds.
func seconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
