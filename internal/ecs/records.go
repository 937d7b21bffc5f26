package ecs

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// The store layout. Every record is JSON; keys are chosen so that the records of one
// cluster (or one family) share a prefix.
const (
	bucketClusters  = "ecs.clusters"  // cluster name → Cluster
	bucketInstances = "ecs.instances" // cluster name "/" instance id → instanceRecord
	bucketNodes     = "ecs.nodes"     // node id → nodeRecord
	bucketTaskDefs  = "ecs.taskdefs"  // family ":" revision (10 digits) → taskDefRecord
	bucketFamilies  = "ecs.families"  // family → familyRecord
	bucketTasks     = "ecs.tasks"     // cluster name "/" task id → taskRecord
	bucketServices  = "ecs.services"  // cluster name "/" service name → serviceRecord
	// bucketRevisions holds service revisions: cluster "/" service "/" id → ServiceRevision.
	bucketRevisions = "ecs.revisions"
	// bucketServiceDeployments holds service deployments: cluster "/" service "/" id → sdRecord.
	bucketServiceDeployments = "ecs.servicedeployments"
)

// Retention of finished things, as ECS keeps them describable for a while.
const (
	stoppedTaskRetention     = time.Hour
	inactiveServiceRetention = time.Hour
)

// instanceRecord is a container instance and the node it stands for.
type instanceRecord struct {
	Instance ContainerInstance `json:"instance"`
	NodeID   string            `json:"nodeId"`
}

// nodeRecord is a node as its agent last registered it.
type nodeRecord struct {
	Info         NodeInfo  `json:"info"`
	RegisteredAt time.Time `json:"registeredAt"`
}

// taskDefRecord is a task definition revision with its tags.
type taskDefRecord struct {
	Def  TaskDefinition `json:"taskDefinition"`
	Tags []Tag          `json:"tags,omitempty"`
}

// familyRecord keeps a family's last revision number, which never goes back, even
// when revisions are deleted.
type familyRecord struct {
	Family       string `json:"family"`
	LastRevision int32  `json:"lastRevision"`
}

// taskRecord is a task and what the control plane keeps about it.
type taskRecord struct {
	Task   Task   `json:"task"`
	NodeID string `json:"nodeId"`
	// Service names the service that started the task, if any.
	Service string `json:"service,omitempty"`
	// Demand is what the task reserves on its node while not STOPPED.
	Demand taskDemand `json:"demand"`
	// Accounted is set once the service scheduler has looked at the task's stop.
	Accounted bool `json:"accounted,omitempty"`
	// StoppedSeenAt is when the control plane learned the task had stopped; the task is
	// forgotten stoppedTaskRetention later.
	StoppedSeenAt *time.Time `json:"stoppedSeenAt,omitempty"`
	// LoadBalancers are the service's load balancers when the task was started (a
	// change of them starts a new deployment, so a task keeps its own).
	LoadBalancers []LoadBalancer `json:"loadBalancers,omitempty"`
	// Targets are the task's targets in those target groups, from the decision to
	// register them until they are deregistered and drained (see targets.go).
	Targets []taskTarget `json:"targets,omitempty"`
	// DrainAnnounced is set once the "has begun draining connections" event counted
	// the task.
	DrainAnnounced bool `json:"drainAnnounced,omitempty"`
}

// taskDemand is what a task reserves on a container instance.
type taskDemand struct {
	CPU       int32      `json:"cpu"`
	MemoryMiB int32      `json:"memoryMiB"`
	Ports     []hostPort `json:"ports,omitempty"`
}

// hostPort is a fixed host port a task binds.
type hostPort struct {
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
}

// serviceRecord is a service and its scheduler's memory.
type serviceRecord struct {
	Service ECSService `json:"service"`
	// Failures counts tasks that failed in a row; launches wait until NotBefore.
	Failures  int        `json:"failures,omitempty"`
	NotBefore *time.Time `json:"notBefore,omitempty"`
	// Steady is set when the steady-state event was sent, cleared by any change.
	Steady bool `json:"steady,omitempty"`
	// SteadySince is when the service last reached a steady state; after backoffMax
	// of it the failures are forgotten.
	SteadySince *time.Time `json:"steadySince,omitempty"`
	// Unplaceable is the last placement failure event, sent at UnplaceableAt.
	Unplaceable   string     `json:"unplaceable,omitempty"`
	UnplaceableAt *time.Time `json:"unplaceableAt,omitempty"`
	// InactiveAt is when the service became INACTIVE; it is forgotten later.
	InactiveAt *time.Time `json:"inactiveAt,omitempty"`
	// Deploys records, for each deployment (by id), its service revision and which of
	// its load balancers' two target groups its tasks use.
	Deploys map[string]deployInfo `json:"deploys,omitempty"`
	// Current is the id of the service deployment in progress (empty when none).
	Current string `json:"current,omitempty"`
	// Production is the deployment that last completed: the one production traffic
	// goes to, and the one a failed deployment rolls back to.
	Production string `json:"production,omitempty"`
	// Traffic is the weights the blue/green strategies want on the service's listener
	// rules (nil until a deployment sets them).
	Traffic *trafficState `json:"traffic,omitempty"`
}

// deployInfo is what a service keeps about one of its deployments.
type deployInfo struct {
	// Revision is the ARN of the deployment's service revision.
	Revision string `json:"revision"`
	// Alternate is set when the deployment's tasks use the alternate target groups of
	// their load balancers' advanced configurations.
	Alternate bool `json:"alternate,omitempty"`
}

func childKey(cluster, name string) string { return cluster + "/" + name }

func taskDefKey(family string, revision int32) string {
	return fmt.Sprintf("%s:%010d", family, revision)
}

// get reads bucket/key into v; found is false when absent.
func get(tx *store.Tx, bucket, key string, v any) (found bool, err error) {
	err = tx.Get(bucket, key, v)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// clusterRecords lists every cluster.
func clusterRecords(tx *store.Tx) ([]Cluster, error) {
	return store.List[Cluster](tx, bucketClusters, "")
}

// instancesOf lists the container instances of a cluster.
func instancesOf(tx *store.Tx, cluster string) ([]instanceRecord, error) {
	return store.List[instanceRecord](tx, bucketInstances, cluster+"/")
}

// tasksOf lists the tasks of a cluster ("" for every cluster).
func tasksOf(tx *store.Tx, cluster string) ([]taskRecord, error) {
	prefix := ""
	if cluster != "" {
		prefix = cluster + "/"
	}
	return store.List[taskRecord](tx, bucketTasks, prefix)
}

// servicesOf lists the services of a cluster ("" for every cluster).
func servicesOf(tx *store.Tx, cluster string) ([]serviceRecord, error) {
	prefix := ""
	if cluster != "" {
		prefix = cluster + "/"
	}
	return store.List[serviceRecord](tx, bucketServices, prefix)
}

// taskKey is the store key of a task, from its ARN.
func (s *Service) taskKey(arn string) (string, bool) {
	r, ok := s.parseARN(arn)
	if !ok || r.kind != "task" || r.cluster == "" {
		return "", false
	}
	return childKey(r.cluster, r.name), true
}

// putTask writes a task record.
func putTask(tx *store.Tx, rec *taskRecord) error {
	cluster, id := clusterAndID(rec.Task.TaskArn)
	return tx.Put(bucketTasks, childKey(cluster, id), rec)
}

// clusterAndID returns the last two path elements of a task, service or instance ARN.
func clusterAndID(arn string) (cluster, id string) {
	parts := strings.Split(arn, "/")
	if len(parts) < 3 {
		return "", ""
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}

// live reports whether a task still holds resources (its last status is not STOPPED).
func (r *taskRecord) live() bool { return r.Task.LastStatus != StatusStopped }

// wanted reports whether a task is meant to run (desired RUNNING and not stopped).
func (r *taskRecord) wanted() bool {
	return r.Task.DesiredStatus == StatusRunning && r.Task.LastStatus != StatusStopped
}

func isPending(status string) bool {
	switch status {
	case StatusProvisioning, StatusPending, StatusActivating:
		return true
	}
	return false
}
