package taskmeta

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/ecs"
)

// ContainerMetadata is a container as the task metadata endpoint v4 shows it.
type ContainerMetadata struct {
	DockerID      string            `json:"DockerId"`
	Name          string            `json:"Name"`
	DockerName    string            `json:"DockerName"`
	Image         string            `json:"Image"`
	ImageID       string            `json:"ImageID,omitempty"`
	Ports         []Port            `json:"Ports,omitempty"`
	Labels        map[string]string `json:"Labels,omitempty"`
	DesiredStatus string            `json:"DesiredStatus"`
	KnownStatus   string            `json:"KnownStatus"`
	ExitCode      *int32            `json:"ExitCode,omitempty"`
	Limits        Limits            `json:"Limits"`
	CreatedAt     *time.Time        `json:"CreatedAt,omitempty"`
	StartedAt     *time.Time        `json:"StartedAt,omitempty"`
	FinishedAt    *time.Time        `json:"FinishedAt,omitempty"`
	Type          string            `json:"Type"`
	LogDriver     string            `json:"LogDriver,omitempty"`
	LogOptions    map[string]string `json:"LogOptions,omitempty"`
	ContainerARN  string            `json:"ContainerARN,omitempty"`
	Health        *Health           `json:"Health,omitempty"`
	Networks      []Network         `json:"Networks,omitempty"`
}

// Port is a port a container exposes.
type Port struct {
	ContainerPort int32  `json:"ContainerPort"`
	Protocol      string `json:"Protocol"`
	HostPort      int32  `json:"HostPort,omitempty"`
	HostIP        string `json:"HostIp,omitempty"`
}

// Limits are resource limits: CPU units and MiB for a container, vCPU and MiB for a task.
type Limits struct {
	CPU    *float64 `json:"CPU,omitempty"`
	Memory *int64   `json:"Memory,omitempty"`
}

// Health is a container's health status.
type Health struct {
	Status string `json:"status"`
}

// Network is a network a container is attached to.
type Network struct {
	NetworkMode   string   `json:"NetworkMode"`
	IPv4Addresses []string `json:"IPv4Addresses"`
}

// TaskMetadata is a task as the task metadata endpoint v4 shows it.
type TaskMetadata struct {
	Cluster          string              `json:"Cluster"`
	ServiceName      string              `json:"ServiceName,omitempty"`
	TaskARN          string              `json:"TaskARN"`
	Family           string              `json:"Family"`
	Revision         string              `json:"Revision"`
	DesiredStatus    string              `json:"DesiredStatus"`
	KnownStatus      string              `json:"KnownStatus"`
	Limits           *Limits             `json:"Limits,omitempty"`
	PullStartedAt    *time.Time          `json:"PullStartedAt,omitempty"`
	PullStoppedAt    *time.Time          `json:"PullStoppedAt,omitempty"`
	ExecutionStopped *time.Time          `json:"ExecutionStoppedAt,omitempty"`
	AvailabilityZone string              `json:"AvailabilityZone,omitempty"`
	LaunchType       string              `json:"LaunchType"`
	Containers       []ContainerMetadata `json:"Containers"`
}

// serveMetadata answers rest = "<token>/<container>[/task][/stats]".
func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request, rest string) {
	token, rest, _ := strings.Cut(rest, "/")
	rec, ok, err := s.lookup(token)
	if err != nil {
		s.log.Error("reading task token", "err", err)
		writeError(w, http.StatusInternalServerError, "InternalError", "cannot read task tokens")
		return
	}
	if !ok {
		writeError(w, http.StatusForbidden, "InvalidToken", "the metadata URI is not that of a running task")
		return
	}
	name, what, _ := strings.Cut(rest, "/")
	if n, err := url.PathUnescape(name); err == nil {
		name = n
	}
	switch what {
	case "", "task":
	case "stats", "task/stats":
		writeError(w, http.StatusNotFound, "StatsUnavailable", "Wharf does not collect container statistics")
		return
	default:
		writeError(w, http.StatusNotFound, "NotFound", "no such metadata path: "+what)
		return
	}
	if s.cfg.Tasks == nil {
		writeError(w, http.StatusInternalServerError, "InternalError", "task metadata is not available")
		return
	}
	task, def, err := s.cfg.Tasks(r.Context(), rec.TaskArn)
	if err != nil {
		s.log.Warn("describing task for its metadata", "task_arn", rec.TaskArn, "err", err)
		writeError(w, http.StatusInternalServerError, "InternalError", "cannot describe task "+rec.TaskArn)
		return
	}
	if task.TaskArn != rec.TaskArn { // never show another task than the token's
		writeError(w, http.StatusInternalServerError, "InternalError", "task "+rec.TaskArn+" not found")
		return
	}
	var own *ContainerMetadata
	all := make([]ContainerMetadata, 0, len(def.ContainerDefinitions))
	for _, cd := range def.ContainerDefinitions {
		all = append(all, containerMetadata(task, def, cd))
	}
	for i := range all {
		if all[i].Name == name {
			own = &all[i]
		}
	}
	if own == nil {
		writeError(w, http.StatusNotFound, "NotFound", "task "+rec.TaskArn+" has no container "+strconv.Quote(name))
		return
	}
	if what == "" {
		writeJSON(w, http.StatusOK, own)
		return
	}
	writeJSON(w, http.StatusOK, taskMetadata(task, def, all))
}

// taskMetadata builds the task metadata v4 of a task.
func taskMetadata(t ecs.Task, def ecs.TaskDefinition, ctrs []ContainerMetadata) TaskMetadata {
	tm := TaskMetadata{
		Cluster:          t.ClusterArn,
		TaskARN:          t.TaskArn,
		Family:           def.Family,
		Revision:         strconv.Itoa(int(def.Revision)),
		DesiredStatus:    t.DesiredStatus,
		KnownStatus:      t.LastStatus,
		PullStartedAt:    t.PullStartedAt,
		PullStoppedAt:    t.PullStoppedAt,
		ExecutionStopped: t.ExecutionStoppedAt,
		AvailabilityZone: t.AvailabilityZone,
		LaunchType:       t.LaunchType,
		Containers:       ctrs,
	}
	if tm.Cluster == "" {
		tm.Cluster = clusterOf(t.TaskArn)
	}
	if tm.LaunchType == "" {
		tm.LaunchType = "EC2"
	}
	if svc, ok := strings.CutPrefix(t.Group, "service:"); ok {
		tm.ServiceName = svc
	}
	// Task-level limits: CPU in vCPU, memory in MiB, when the task sets them.
	cpu, mem := t.Cpu, t.Memory
	if cpu == "" {
		cpu = def.Cpu
	}
	if mem == "" {
		mem = def.Memory
	}
	var lim Limits
	if units, err := strconv.ParseFloat(cpu, 64); err == nil && units > 0 {
		v := units / 1024
		lim.CPU = &v
	}
	if mib, err := strconv.ParseInt(mem, 10, 64); err == nil && mib > 0 {
		lim.Memory = &mib
	}
	if lim.CPU != nil || lim.Memory != nil {
		tm.Limits = &lim
	}
	return tm
}

// containerMetadata builds the container metadata v4 of one container of a task.
func containerMetadata(t ecs.Task, def ecs.TaskDefinition, cd ecs.ContainerDefinition) ContainerMetadata {
	var obs ecs.Container
	for _, c := range t.Containers {
		if c.Name == cd.Name {
			obs = c
		}
	}
	cm := ContainerMetadata{
		DockerID:      obs.RuntimeId,
		Name:          cd.Name,
		DockerName:    "wharf-" + taskID(t.TaskArn) + "-" + cd.Name,
		Image:         cd.Image,
		DesiredStatus: t.DesiredStatus,
		KnownStatus:   obs.LastStatus,
		ExitCode:      obs.ExitCode,
		Type:          "NORMAL",
		ContainerARN:  obs.ContainerArn,
		Labels: map[string]string{
			"com.amazonaws.ecs.cluster":                 clusterOf(t.TaskArn),
			"com.amazonaws.ecs.container-name":          cd.Name,
			"com.amazonaws.ecs.task-arn":                t.TaskArn,
			"com.amazonaws.ecs.task-definition-family":  def.Family,
			"com.amazonaws.ecs.task-definition-version": strconv.Itoa(int(def.Revision)),
		},
	}
	for k, v := range cd.DockerLabels {
		if _, taken := cm.Labels[k]; !taken {
			cm.Labels[k] = v
		}
	}
	if cm.KnownStatus == "" {
		cm.KnownStatus = ecs.StatusPending
	}
	// Container-level limits: CPU units and MiB.
	cpu := float64(cd.Cpu)
	cm.Limits.CPU = &cpu
	if cd.Memory != nil {
		m := int64(*cd.Memory)
		cm.Limits.Memory = &m
	} else if cd.MemoryReservation != nil {
		m := int64(*cd.MemoryReservation)
		cm.Limits.Memory = &m
	}
	if obs.RuntimeId != "" {
		cm.CreatedAt, cm.StartedAt = t.PullStoppedAt, t.StartedAt
		if cm.StartedAt == nil {
			cm.StartedAt = t.PullStoppedAt
		}
	}
	if obs.LastStatus == ecs.StatusStopped {
		cm.FinishedAt = t.ExecutionStoppedAt
	}
	if cd.LogConfiguration != nil {
		cm.LogDriver, cm.LogOptions = cd.LogConfiguration.LogDriver, cd.LogConfiguration.Options
	}
	if cd.HealthCheck != nil && obs.HealthStatus != "" {
		cm.Health = &Health{Status: obs.HealthStatus}
	}
	mode := def.NetworkMode
	if mode == "" {
		mode = "bridge"
	}
	cm.Networks = []Network{{NetworkMode: mode, IPv4Addresses: []string{"127.0.0.1"}}}
	for _, nb := range obs.NetworkBindings {
		p := Port{Protocol: nb.Protocol, HostIP: nb.BindIP}
		if nb.ContainerPort != nil {
			p.ContainerPort = *nb.ContainerPort
		}
		if nb.HostPort != nil {
			p.HostPort = *nb.HostPort
		}
		if p.Protocol == "" {
			p.Protocol = "tcp"
		}
		cm.Ports = append(cm.Ports, p)
	}
	return cm
}

// errorResponse is the JSON of an error, in the shape the SDKs' endpoint credential
// client decodes.
type errorResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorResponse{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		status, raw = http.StatusInternalServerError, []byte(`{"code":"InternalError","message":"cannot encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(raw)
}
