package ecs

import (
	"context"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Authorization resources, after the service authorization reference for Amazon ECS:
//
//	CreateCluster, DeleteCluster, DescribeClusters,
//	UpdateClusterSettings, ListContainerInstances     cluster
//	RegisterTaskDefinition, DeleteTaskDefinitions,
//	RunTask                                           task-definition
//	StopTask, DescribeTasks                           task
//	ListTasks                                         container-instance (when one is named)
//	CreateService, UpdateService, DeleteService,
//	DescribeServices                                  service
//	DescribeContainerInstances                        container-instance
//	ListServiceDeployments                            service
//	DescribeServiceDeployments, StopServiceDeployment,
//	ContinueServiceDeployment                         service-deployment
//	DescribeServiceRevisions                          service-revision
//	TagResource, UntagResource, ListTagsForResource   the resource ARN
//
// ListClusters, DescribeTaskDefinition, ListTaskDefinitions, ListTaskDefinitionFamilies,
// DeregisterTaskDefinition and ListServices are authorized on "*" (nil).
//
// A task definition ARN names one revision (task-definition/<family>:<revision>):
// RegisterTaskDefinition is authorized on the revision it is about to register, and
// RunTask given a family alone on the family's latest ACTIVE revision, which is what
// ECS resolves the family to before authorizing since March 2024.

// resources returns the ARNs an ECS operation is authorized on; nil means "*".
// Resources are given by name or ARN; a missing cluster is "default".
func (s *Service) resources(ctx context.Context, in any) []string {
	switch v := in.(type) {
	case *CreateClusterInput:
		return []string{s.clusterARN(s.clusterRef(v.ClusterName))}
	case *DescribeClustersInput:
		if len(v.Clusters) == 0 {
			return []string{s.clusterARN("default")}
		}
		out := make([]string, 0, len(v.Clusters))
		for _, c := range v.Clusters {
			out = append(out, s.clusterARN(s.clusterRef(&c)))
		}
		return out
	case *DeleteClusterInput:
		return []string{s.clusterARN(s.clusterRef(v.Cluster))}
	case *UpdateClusterSettingsInput:
		return []string{s.clusterARN(s.clusterRef(v.Cluster))}
	case *ListContainerInstancesInput:
		return []string{s.clusterARN(s.clusterRef(v.Cluster))}

	case *RegisterTaskDefinitionInput:
		return s.nextTaskDefARN(ctx, deref(v.Family))
	case *DeleteTaskDefinitionsInput:
		return s.taskDefARNs(v.TaskDefinitions)
	case *RunTaskInput:
		return s.latestTaskDefARN(ctx, deref(v.TaskDefinition))

	case *StopTaskInput:
		return s.childARNs("task", v.Cluster, []string{deref(v.Task)})
	case *DescribeTasksInput:
		return s.childARNs("task", v.Cluster, v.Tasks)
	case *ListTasksInput:
		return s.childARNs("container-instance", v.Cluster, []string{deref(v.ContainerInstance)})

	case *CreateServiceInput:
		return s.childARNs("service", v.Cluster, []string{deref(v.ServiceName)})
	case *UpdateServiceInput:
		return s.childARNs("service", v.Cluster, []string{deref(v.Service)})
	case *DeleteServiceInput:
		return s.childARNs("service", v.Cluster, []string{deref(v.Service)})
	case *DescribeServicesInput:
		return s.childARNs("service", v.Cluster, v.Services)

	case *ListServiceDeploymentsInput:
		return s.childARNs("service", v.Cluster, []string{deref(v.Service)})
	case *DescribeServiceDeploymentsInput:
		return s.canonicalARNs(v.ServiceDeploymentArns)
	case *DescribeServiceRevisionsInput:
		return s.canonicalARNs(v.ServiceRevisionArns)
	case *StopServiceDeploymentInput:
		return nonEmpty(s.canonicalARN(deref(v.ServiceDeploymentArn)))
	case *ContinueServiceDeploymentInput:
		return nonEmpty(s.canonicalARN(deref(v.ServiceDeploymentArn)))

	case *DescribeContainerInstancesInput:
		return s.childARNs("container-instance", v.Cluster, v.ContainerInstances)

	case *TagResourceInput:
		return nonEmpty(s.canonicalARN(deref(v.ResourceArn)))
	case *UntagResourceInput:
		return nonEmpty(s.canonicalARN(deref(v.ResourceArn)))
	case *ListTagsForResourceInput:
		return nonEmpty(s.canonicalARN(deref(v.ResourceArn)))
	}
	return nil
}

// clusterRef returns the name of a cluster given by name or ARN, "default" when it is
// missing. An ARN that does not parse as a cluster of this account yields its last
// path element, so that a policy still sees a cluster ARN.
func (s *Service) clusterRef(ref *string) string {
	v := deref(ref)
	if v == "" {
		return "default"
	}
	if strings.HasPrefix(v, "arn:") {
		if r, ok := s.parseARN(v); ok && r.kind == "cluster" {
			return r.name
		}
		return v[strings.LastIndexAny(v, "/:")+1:]
	}
	return v
}

// childARNs returns the ARNs of tasks, services or container instances of a cluster,
// given by id/name or ARN, in the reference's format <kind>/<cluster>/<id or name>:
// an ARN of the older short format (<kind>/<id>), which the operations accept for the
// call's cluster, gets that cluster, so that a policy on the cluster's resources
// governs it; ARNs are made canonical (canonicalARN); empty references are skipped.
func (s *Service) childARNs(kind string, cluster *string, refs []string) []string {
	c := s.clusterRef(cluster)
	out := make([]string, 0, len(refs))
	for _, ref := range refs {
		switch {
		case ref == "":
		case strings.HasPrefix(ref, "arn:"):
			if r, ok := s.parseARN(ref); ok && r.kind == kind && r.cluster == "" {
				ref = s.arn(kind + "/" + c + "/" + r.name)
			}
			out = append(out, s.canonicalARN(ref))
		default:
			out = append(out, s.arn(kind+"/"+c+"/"+ref))
		}
	}
	return out
}

// taskDefARNs returns the ARNs of task definitions given as "family", "family:revision"
// or ARN; a family without a revision stands for all its revisions ("family:*").
func (s *Service) taskDefARNs(refs []string) []string {
	out := make([]string, 0, len(refs))
	for _, ref := range refs {
		switch {
		case ref == "":
		case strings.HasPrefix(ref, "arn:"):
			out = append(out, s.canonicalARN(ref))
		case strings.Contains(ref, ":"):
			out = append(out, s.arn("task-definition/"+ref))
		default:
			out = append(out, s.arn("task-definition/"+ref+":*"))
		}
	}
	return out
}

// nextTaskDefARN returns the ARN of the revision RegisterTaskDefinition would register
// for family (the one after its last), or nil ("*") without a family; the operation
// itself rejects an invalid one.
func (s *Service) nextTaskDefARN(ctx context.Context, family string) []string {
	if family == "" {
		return nil
	}
	fam := familyRecord{Family: family}
	// A failed read counts as a new family; the operation reports the store's error.
	_ = s.view(ctx, func(tx *store.Tx) error {
		_, err := get(tx, bucketFamilies, family, &fam)
		return err
	})
	return []string{s.taskDefARN(family, fam.LastRevision+1)}
}

// latestTaskDefARN returns the ARN RunTask is authorized on: the task definition named
// by ARN or "family:revision", or for a family alone its latest ACTIVE revision
// ("family:*" when it has none, and the call fails after authorization).
func (s *Service) latestTaskDefARN(ctx context.Context, ref string) []string {
	if ref == "" || strings.Contains(ref, ":") {
		return s.taskDefARNs([]string{ref})
	}
	var arn string
	// A failed read leaves arn empty; the operation itself reports the store's error.
	_ = s.view(ctx, func(tx *store.Tx) error {
		rec, found, err := s.lookupTaskDef(tx, ref)
		if found {
			arn = rec.Def.TaskDefinitionArn
		}
		return err
	})
	if arn == "" {
		return s.taskDefARNs([]string{ref})
	}
	return []string{arn}
}

// canonicalARN returns an ECS ARN of this region and account as ECS writes it
// ("arn:aws:ecs:..."): parseARN accepts any partition, and the operations act on the
// resource whatever partition the caller wrote, so the authorization must see the ARN
// a policy names. Other ARNs, which the operations do not resolve, are kept as given.
func (s *Service) canonicalARN(arn string) string {
	if _, ok := s.parseARN(arn); !ok {
		return arn
	}
	return s.arn(strings.SplitN(arn, ":", 6)[5])
}

// canonicalARNs returns the canonical form of each non-empty ARN.
func (s *Service) canonicalARNs(arns []string) []string {
	out := make([]string, 0, len(arns))
	for _, a := range arns {
		if a != "" {
			out = append(out, s.canonicalARN(a))
		}
	}
	return out
}

// nonEmpty returns arn as a one-element list, or nil ("*") when it is empty.
func nonEmpty(arn string) []string {
	if arn == "" {
		return nil
	}
	return []string{arn}
}

// infrastructureRoles lists the roles a service configuration gives ECS itself.
func infrastructureRoles(lbs []LoadBalancer, dc *DeploymentConfiguration) []string {
	var out []string
	add := func(role *string) {
		if r := deref(role); r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	for _, lb := range lbs {
		if lb.AdvancedConfiguration != nil {
			add(lb.AdvancedConfiguration.RoleArn)
		}
	}
	if dc != nil {
		for _, h := range dc.LifecycleHooks {
			add(h.RoleArn)
		}
	}
	return out
}

// withResources sets the authorization resources of every operation of the table
// except those the reference authorizes on "*" only.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		switch name {
		case "ListClusters", "DescribeTaskDefinition", "ListTaskDefinitions",
			"ListTaskDefinitionFamilies", "DeregisterTaskDefinition", "ListServices":
		default:
			op.Resources = s.resources
		}
		switch name {
		case "RunTask", "CreateService", "UpdateService":
			op.Dependent = s.passRoles
		}
		ops[name] = op
	}
	return ops
}

// passRoles returns the iam:PassRole authorizations of a call that gives roles: those
// it gives ECS itself (the roleArn of the advanced configurations of CreateService and
// UpdateService and of their lifecycle hooks), with iam:PassedToService
// ecs.amazonaws.com, and those it gives a task (RunTask, CreateService, UpdateService
// with a task definition): the task definition's task role and execution role, or
// RunTask's overrides of them, each with iam:PassedToService ecs-tasks.amazonaws.com.
// A task definition that cannot be read needs none here; the operation reports it.
func (s *Service) passRoles(ctx context.Context, in any) []awsapi.Authorization {
	var ref string
	var override *TaskOverride
	var ecsRoles []string
	switch v := in.(type) {
	case *RunTaskInput:
		ref, override = deref(v.TaskDefinition), v.Overrides
	case *CreateServiceInput:
		ref = deref(v.TaskDefinition)
		ecsRoles = infrastructureRoles(v.LoadBalancers, v.DeploymentConfiguration)
	case *UpdateServiceInput:
		ref = deref(v.TaskDefinition)
		ecsRoles = infrastructureRoles(v.LoadBalancers, v.DeploymentConfiguration)
	}
	var out []awsapi.Authorization
	for _, role := range ecsRoles {
		out = append(out, awsapi.Authorization{Action: "iam:PassRole", Resources: []string{role},
			Conditions: map[string][]string{"iam:PassedToService": {"ecs.amazonaws.com"}}})
	}
	if ref == "" {
		return out
	}
	var taskRole, execRole string
	_ = s.view(ctx, func(tx *store.Tx) error {
		rec, found, err := s.lookupTaskDef(tx, ref)
		if found {
			taskRole, execRole = rec.Def.TaskRoleArn, rec.Def.ExecutionRoleArn
		}
		return err
	})
	if override != nil {
		if override.TaskRoleArn != "" {
			taskRole = override.TaskRoleArn
		}
		if override.ExecutionRoleArn != "" {
			execRole = override.ExecutionRoleArn
		}
	}
	var taskRoles []string
	for _, role := range []string{taskRole, execRole} {
		if role == "" || slices.Contains(taskRoles, role) {
			continue
		}
		taskRoles = append(taskRoles, role)
		out = append(out, awsapi.Authorization{Action: "iam:PassRole", Resources: []string{role},
			Conditions: map[string][]string{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}})
	}
	return out
}
