package ecs

import (
	"context"
	"strconv"

	"github.com/wharf-dev/wharf/internal/scheduler"
	"github.com/wharf-dev/wharf/internal/store"
)

// ListContainerInstancesInput is the input of ListContainerInstances.
type ListContainerInstancesInput struct {
	Cluster *string `json:"cluster,omitempty"`
	// Filter (the cluster query language) is not supported by Wharf.
	Filter     *string `json:"filter,omitempty"`
	Status     string  `json:"status,omitempty"` // ACTIVE, DRAINING, REGISTERING, DEREGISTERING, REGISTRATION_FAILED
	MaxResults *int32  `json:"maxResults,omitempty"`
	NextToken  *string `json:"nextToken,omitempty"`
}

// ListContainerInstancesOutput is the output of ListContainerInstances.
type ListContainerInstancesOutput struct {
	ContainerInstanceArns []string `json:"containerInstanceArns"`
	NextToken             *string  `json:"nextToken,omitempty"`
}

// DescribeContainerInstancesInput is the input of DescribeContainerInstances.
type DescribeContainerInstancesInput struct {
	Cluster            *string  `json:"cluster,omitempty"`
	ContainerInstances []string `json:"containerInstances,omitempty"`
	Include            []string `json:"include,omitempty"` // TAGS, CONTAINER_INSTANCE_HEALTH
}

// DescribeContainerInstancesOutput is the output of DescribeContainerInstances.
type DescribeContainerInstancesOutput struct {
	ContainerInstances []ContainerInstance `json:"containerInstances"`
	Failures           []Failure           `json:"failures"`
}

// ListContainerInstances lists the ARNs of a cluster's container instances.
func (s *Service) ListContainerInstances(ctx context.Context, in *ListContainerInstancesInput) (*ListContainerInstancesOutput, error) {
	if deref(in.Filter) != "" {
		return nil, errUnsupported("Wharf does not support the cluster query language: leave filter out.")
	}
	switch in.Status {
	case "", "ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED":
	default:
		return nil, errInvalid("status must be ACTIVE, DRAINING, REGISTERING, DEREGISTERING or REGISTRATION_FAILED, got '%s'.", in.Status)
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	var keys, arns []string
	err = s.view(ctx, func(tx *store.Tx) error {
		if _, err := activeCluster(tx, cluster); err != nil {
			return err
		}
		instances, err := instancesOf(tx, cluster)
		for _, r := range instances {
			if in.Status != "" && r.Instance.Status != in.Status {
				continue
			}
			_, id := clusterAndID(r.Instance.ContainerInstanceArn)
			keys = append(keys, id)
			arns = append(arns, r.Instance.ContainerInstanceArn)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	lo, hi, next, err := page(keys, false, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &ListContainerInstancesOutput{ContainerInstanceArns: append([]string{}, arns[lo:hi]...), NextToken: next}, nil
}

// DescribeContainerInstances describes container instances by id or ARN. Remaining
// resources are those of the node: a node is an instance of every cluster, and the
// tasks of all clusters share it.
func (s *Service) DescribeContainerInstances(ctx context.Context, in *DescribeContainerInstancesInput) (*DescribeContainerInstancesOutput, error) {
	if err := checkBatch("containerInstances", len(in.ContainerInstances), 100); err != nil {
		return nil, err
	}
	inc, err := includes("include", in.Include, "TAGS", "CONTAINER_INSTANCE_HEALTH")
	if err != nil {
		return nil, err
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &DescribeContainerInstancesOutput{ContainerInstances: []ContainerInstance{}, Failures: []Failure{}}
	err = s.view(ctx, func(tx *store.Tx) error {
		if _, err := activeCluster(tx, cluster); err != nil {
			return err
		}
		tasks, err := tasksOf(tx, "")
		if err != nil {
			return err
		}
		for _, ref := range in.ContainerInstances {
			id, ok := s.childName("container-instance", cluster, ref)
			var rec instanceRecord
			found := false
			if ok {
				if found, err = get(tx, bucketInstances, childKey(cluster, id), &rec); err != nil {
					return err
				}
			}
			if !found {
				out.Failures = append(out.Failures, Failure{Arn: s.childARN("container-instance", cluster, ref), Reason: "MISSING"})
				continue
			}
			out.ContainerInstances = append(out.ContainerInstances, instanceView(rec, tasks, inc["TAGS"]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// instanceView returns a container instance as the API shows it, with its remaining
// resources and task counts computed from tasks.
func instanceView(rec instanceRecord, tasks []taskRecord, tags bool) ContainerInstance {
	ci := rec.Instance
	inst := schedulerInstance(ci)
	var allocs []scheduler.Allocation
	for _, t := range tasks {
		if t.NodeID == rec.NodeID && t.live() {
			allocs = append(allocs, scheduler.Allocation{InstanceID: inst.ID, Demand: t.Demand.scheduler()})
		}
		if t.Task.ContainerInstanceArn == ci.ContainerInstanceArn {
			switch {
			case t.Task.LastStatus == StatusRunning:
				ci.RunningTasksCount++
			case isPending(t.Task.LastStatus):
				ci.PendingTasksCount++
			}
		}
	}
	rem := scheduler.RemainingOf(inst, allocs)
	ci.RemainingResources = []Resource{
		{Name: "CPU", Type: "INTEGER", IntegerValue: max(rem.CPU, 0)},
		{Name: "MEMORY", Type: "INTEGER", IntegerValue: max(rem.MemoryMiB, 0)},
		{Name: "PORTS", Type: "STRINGSET", StringSetValue: scheduler.PortStrings(rem.TCPPorts)},
		{Name: "PORTS_UDP", Type: "STRINGSET", StringSetValue: scheduler.PortStrings(rem.UDPPorts)},
	}
	if !tags {
		ci.Tags = nil
	} else if ci.Tags == nil {
		ci.Tags = []Tag{}
	}
	return ci
}

// schedulerInstance returns what the scheduler needs of a container instance.
func schedulerInstance(ci ContainerInstance) scheduler.Instance {
	inst := scheduler.Instance{ID: ci.ContainerInstanceArn}
	for _, r := range ci.RegisteredResources {
		switch r.Name {
		case "CPU":
			inst.CPU = r.IntegerValue
		case "MEMORY":
			inst.MemoryMiB = r.IntegerValue
		case "PORTS", "PORTS_UDP":
			proto := "tcp"
			if r.Name == "PORTS_UDP" {
				proto = "udp"
			}
			for _, v := range r.StringSetValue {
				if n, err := strconv.Atoi(v); err == nil {
					inst.ReservedPorts = append(inst.ReservedPorts, scheduler.Port{Number: int32(n), Protocol: proto})
				}
			}
		}
	}
	return inst
}
