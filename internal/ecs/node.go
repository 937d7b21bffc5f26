package ecs

import "time"

// This file is the contract between the ECS control plane and the agents that run
// tasks (package agent). An agent registers its node, reads the tasks placed on it with
// NodeTasks, and reports what it observes with ReportTask; the control plane never
// calls the agent.

// NodeInfo describes a node when its agent registers.
type NodeInfo struct {
	// NodeID is stable across restarts of the node (kept in the data dir), e.g. "i-0a1b2c...".
	NodeID        string
	CPU           int32 // CPU units, 1024 per core
	MemoryMiB     int32
	AgentVersion  string
	DockerVersion string      // "" when no Docker engine answers
	Attributes    []Attribute // e.g. ecs.capability.*, wharf.driver.process
}

// NodeTask is a task placed on a node, with everything the agent needs to run it.
type NodeTask struct {
	Task           Task
	TaskDefinition TaskDefinition
}

// ContainerReport is the observed state of one container of a task.
type ContainerReport struct {
	Name            string
	RuntimeID       string
	LastStatus      string // PENDING, RUNNING, STOPPED
	ExitCode        *int32
	Reason          string
	NetworkBindings []NetworkBinding
	HealthStatus    string // HEALTHY, UNHEALTHY, UNKNOWN
}

// TaskReport is the observed state of a task, sent by the agent that runs it. Zero
// fields leave the stored value as it is.
type TaskReport struct {
	TaskArn            string
	LastStatus         string
	HealthStatus       string
	Containers         []ContainerReport
	StopCode           string
	StoppedReason      string
	PullStartedAt      *time.Time
	PullStoppedAt      *time.Time
	StartedAt          *time.Time
	StoppingAt         *time.Time
	StoppedAt          *time.Time
	ExecutionStoppedAt *time.Time
}
