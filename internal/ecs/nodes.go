package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// This file implements the agent contract of node.go.

// RegisterNode records a node and registers it as a container instance in every active
// cluster, creating the "default" cluster first when there is none (as the ECS agent
// does when ECS_CLUSTER is unset). Registering again updates the instances in place.
func (s *Service) RegisterNode(ctx context.Context, info NodeInfo) error {
	if info.NodeID == "" {
		return errors.New("ecs: RegisterNode: NodeID is required")
	}
	if info.CPU < 0 || info.MemoryMiB < 0 {
		return fmt.Errorf("ecs: RegisterNode: CPU and MemoryMiB must not be negative, got %d and %d", info.CPU, info.MemoryMiB)
	}
	return s.update(ctx, func(tx *store.Tx) error {
		rec := nodeRecord{Info: info, RegisteredAt: s.now()}
		var old nodeRecord
		if found, err := get(tx, bucketNodes, info.NodeID, &old); err != nil {
			return err
		} else if found {
			rec.RegisteredAt = old.RegisteredAt
		}
		if err := tx.Put(bucketNodes, info.NodeID, rec); err != nil {
			return err
		}
		var def Cluster
		found, err := get(tx, bucketClusters, "default", &def)
		if err != nil {
			return err
		}
		if !found || def.Status != "ACTIVE" {
			def = Cluster{
				ClusterArn:  s.clusterARN("default"),
				ClusterName: "default",
				Status:      "ACTIVE",
				Settings:    []ClusterSetting{{Name: "containerInsights", Value: "disabled"}},
			}
			if err := s.activateCluster(tx, def); err != nil {
				return err
			}
		}
		clusters, err := clusterRecords(tx)
		if err != nil {
			return err
		}
		for _, c := range clusters {
			if c.Status != "ACTIVE" {
				continue
			}
			if err := s.registerInstance(tx, c.ClusterName, rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// registerInstance creates or refreshes the container instance of node n in cluster.
func (s *Service) registerInstance(tx *store.Tx, cluster string, n nodeRecord) error {
	instances, err := instancesOf(tx, cluster)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(instances, func(r instanceRecord) bool { return r.NodeID == n.Info.NodeID })
	var rec instanceRecord
	if i >= 0 {
		rec = instances[i]
	} else {
		id := newID()
		rec = instanceRecord{
			NodeID: n.Info.NodeID,
			Instance: ContainerInstance{
				ContainerInstanceArn: s.instanceARN(cluster, id),
				RegisteredAt:         ptr(s.now()),
			},
		}
	}
	before, _ := json.Marshal(rec)
	ci := &rec.Instance
	ci.Ec2InstanceId = n.Info.NodeID
	ci.Status = "ACTIVE"
	ci.StatusReason = ""
	ci.AgentConnected = true
	ci.VersionInfo = &VersionInfo{AgentVersion: n.Info.AgentVersion, DockerVersion: n.Info.DockerVersion}
	ci.RegisteredResources = []Resource{
		{Name: "CPU", Type: "INTEGER", IntegerValue: n.Info.CPU},
		{Name: "MEMORY", Type: "INTEGER", IntegerValue: n.Info.MemoryMiB},
		{Name: "PORTS", Type: "STRINGSET", StringSetValue: []string{}},
		{Name: "PORTS_UDP", Type: "STRINGSET", StringSetValue: []string{}},
	}
	ci.Attributes = slices.Clone(n.Info.Attributes)
	after, _ := json.Marshal(rec)
	if bytes.Equal(before, after) {
		return nil
	}
	ci.Version++
	_, id := clusterAndID(ci.ContainerInstanceArn)
	return tx.Put(bucketInstances, childKey(cluster, id), rec)
}

// deleteInstances removes every container instance of a cluster.
func deleteInstances(tx *store.Tx, cluster string) error {
	var keys []string
	if err := tx.Scan(bucketInstances, cluster+"/", func(k string, _ []byte) error {
		keys = append(keys, k)
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(bucketInstances, k); err != nil {
			return err
		}
	}
	return nil
}

// NodeTasks returns the tasks placed on any container instance of the node whose last
// status is not STOPPED, each with its task definition (overrides are not merged). A
// task DEACTIVATING (its load balancer targets draining) is shown as RUNNING and meant
// to run: its containers keep serving the requests in flight until the draining ends.
func (s *Service) NodeTasks(ctx context.Context, nodeID string) ([]NodeTask, error) {
	var out []NodeTask
	err := s.view(ctx, func(tx *store.Tx) error {
		tasks, err := tasksOf(tx, "")
		if err != nil {
			return err
		}
		for _, r := range tasks {
			if r.NodeID != nodeID || !r.live() {
				continue
			}
			td, err := s.taskDefByARN(tx, r.Task.TaskDefinitionArn)
			if err != nil {
				return fmt.Errorf("task %s: %w", r.Task.TaskArn, err)
			}
			t := r.Task
			if t.LastStatus == StatusDeactivating {
				t.LastStatus, t.DesiredStatus = StatusRunning, StatusRunning
			}
			out = append(out, NodeTask{Task: t, TaskDefinition: td.Def})
		}
		return nil
	})
	return out, err
}

// taskDefByARN reads the task definition a task or deployment refers to.
func (s *Service) taskDefByARN(tx *store.Tx, arn string) (taskDefRecord, error) {
	var rec taskDefRecord
	ref, ok := s.parseTaskDefRef(arn)
	if !ok || ref.revision == 0 {
		return rec, fmt.Errorf("ecs: bad task definition reference %q", arn)
	}
	found, err := get(tx, bucketTaskDefs, taskDefKey(ref.family, ref.revision), &rec)
	if err != nil {
		return rec, err
	}
	if !found {
		return rec, fmt.Errorf("ecs: task definition %s is missing from the store", arn)
	}
	return rec, nil
}

// ReportTask applies what an agent observed of a task. A task that reaches STOPPED
// also gets desiredStatus STOPPED, and stays STOPPED. A task on its way to STOPPED
// (DEACTIVATING, STOPPING, DEPROVISIONING) does not go back to RUNNING: the agent
// reports RUNNING while the control plane drains the task's targets. Reports about
// tasks the control plane no longer knows (removed an hour after they stopped) are
// dropped, so that an agent retrying them does not loop forever.
func (s *Service) ReportTask(ctx context.Context, r TaskReport) error {
	if r.TaskArn == "" {
		return errors.New("ecs: ReportTask: TaskArn is required")
	}
	key, ok := s.taskKey(r.TaskArn)
	if !ok {
		return fmt.Errorf("ecs: ReportTask: %q is not a task ARN of this region and account", r.TaskArn)
	}
	return s.update(ctx, func(tx *store.Tx) error {
		var rec taskRecord
		found, err := get(tx, bucketTasks, key, &rec)
		if err != nil {
			return err
		}
		if !found {
			s.log.Debug("ecs: report about an unknown task dropped", "task_arn", r.TaskArn)
			return nil
		}
		if rec.Task.LastStatus == StatusStopped && r.LastStatus != "" && r.LastStatus != StatusStopped {
			return nil // STOPPED is final
		}
		if winding(rec.Task.LastStatus) && r.LastStatus != StatusStopped && !winding(r.LastStatus) {
			r.LastStatus = "" // no way back; the rest of the report applies
		}
		before, _ := json.Marshal(rec)
		s.applyReport(&rec, r)
		after, _ := json.Marshal(rec)
		if bytes.Equal(before, after) {
			return nil
		}
		rec.Task.Version++
		return tx.Put(bucketTasks, key, rec)
	})
}

// applyReport merges a report into a task record; zero fields change nothing.
func (s *Service) applyReport(rec *taskRecord, r TaskReport) {
	t := &rec.Task
	now := s.now()
	if r.LastStatus != "" {
		t.LastStatus = r.LastStatus
	}
	if r.HealthStatus != "" {
		t.HealthStatus = r.HealthStatus
	}
	for _, cr := range r.Containers {
		i := slices.IndexFunc(t.Containers, func(c Container) bool { return c.Name == cr.Name })
		if i < 0 {
			continue
		}
		c := &t.Containers[i]
		if cr.RuntimeID != "" {
			c.RuntimeId = cr.RuntimeID
		}
		if cr.LastStatus != "" {
			c.LastStatus = cr.LastStatus
		}
		if cr.ExitCode != nil {
			c.ExitCode = ptr(*cr.ExitCode)
		}
		if cr.Reason != "" {
			c.Reason = cr.Reason
		}
		if cr.NetworkBindings != nil {
			c.NetworkBindings = slices.Clone(cr.NetworkBindings)
		}
		if cr.HealthStatus != "" {
			c.HealthStatus = cr.HealthStatus
		}
	}
	// A stop the control plane asked for keeps its own code and reason.
	if r.StopCode != "" && t.StopCode == "" {
		t.StopCode = r.StopCode
	}
	if r.StoppedReason != "" && t.StoppedReason == "" {
		t.StoppedReason = r.StoppedReason
	}
	setTime(&t.PullStartedAt, r.PullStartedAt)
	setTime(&t.PullStoppedAt, r.PullStoppedAt)
	setTime(&t.StartedAt, r.StartedAt)
	setTime(&t.StoppingAt, r.StoppingAt)
	setTime(&t.StoppedAt, r.StoppedAt)
	setTime(&t.ExecutionStoppedAt, r.ExecutionStoppedAt)
	if t.LastStatus == StatusRunning && t.StartedAt == nil {
		t.StartedAt = ptr(now)
	}
	if t.LastStatus == StatusStopped {
		t.DesiredStatus = StatusStopped
		if t.StoppedAt == nil {
			t.StoppedAt = ptr(now)
		}
		if t.StoppingAt == nil {
			t.StoppingAt = ptr(*t.StoppedAt)
		}
		for i := range t.Containers {
			t.Containers[i].LastStatus = StatusStopped
		}
		if rec.StoppedSeenAt == nil {
			rec.StoppedSeenAt = ptr(now)
		}
	}
}

// winding reports whether a status is past RUNNING and short of STOPPED.
func winding(status string) bool {
	switch status {
	case StatusDeactivating, StatusStopping, StatusDeprovisioning:
		return true
	}
	return false
}

func setTime(dst **time.Time, src *time.Time) {
	if src != nil {
		v := src.UTC()
		*dst = &v
	}
}
