package ecs

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// Authorization resources, after the service authorization reference for Amazon ECS:
//
//	CreateCluster, DeleteCluster, DescribeClusters,
//	UpdateClusterSettings, ListContainerInstances     cluster
//	DeleteTaskDefinitions, RunTask                    task-definition
//	StopTask, DescribeTasks                           task
//	ListTasks                                         container-instance (when one is named)
//	CreateService, UpdateService, DeleteService,
//	DescribeServices                                  service
//	DescribeContainerInstances                        container-instance
//	TagResource, UntagResource, ListTagsForResource   the resource ARN
//
// ListClusters, RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions,
// ListTaskDefinitionFamilies, DeregisterTaskDefinition and ListServices are
// authorized on "*" (nil).

// resources returns the ARNs an ECS operation is authorized on; nil means "*".
// Resources are given by name or ARN; a missing cluster is "default".
func (s *Service) resources(_ context.Context, in any) []string {
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

	case *DeleteTaskDefinitionsInput:
		return s.taskDefARNs(v.TaskDefinitions)
	case *RunTaskInput:
		return s.taskDefARNs([]string{deref(v.TaskDefinition)})

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

	case *DescribeContainerInstancesInput:
		return s.childARNs("container-instance", v.Cluster, v.ContainerInstances)

	case *TagResourceInput:
		return nonEmpty(deref(v.ResourceArn))
	case *UntagResourceInput:
		return nonEmpty(deref(v.ResourceArn))
	case *ListTagsForResourceInput:
		return nonEmpty(deref(v.ResourceArn))
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
// given by id/name or ARN; ARNs are kept as given and empty references are skipped.
func (s *Service) childARNs(kind string, cluster *string, refs []string) []string {
	c := s.clusterRef(cluster)
	out := make([]string, 0, len(refs))
	for _, ref := range refs {
		switch {
		case ref == "":
		case strings.HasPrefix(ref, "arn:"):
			out = append(out, ref)
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
			out = append(out, ref)
		case strings.Contains(ref, ":"):
			out = append(out, s.arn("task-definition/"+ref))
		default:
			out = append(out, s.arn("task-definition/"+ref+":*"))
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

// withResources sets the authorization resources of every operation of the table
// except those the reference authorizes on "*" only.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		switch name {
		case "ListClusters", "RegisterTaskDefinition", "DescribeTaskDefinition",
			"ListTaskDefinitions", "ListTaskDefinitionFamilies",
			"DeregisterTaskDefinition", "ListServices":
		default:
			op.Resources = s.resources
		}
		ops[name] = op
	}
	return ops
}
