package ecs

import (
	"context"
	"slices"
	"testing"
)

func TestOperationResources(t *testing.T) {
	e := newEnv(t)
	ops := e.s.API().Operations
	const p = "arn:aws:ecs:us-east-1:000000000000:"
	const cn = "arn:aws-cn:ecs:us-east-1:000000000000:" // another partition, same region and account
	str := func(v string) *string { return &v }
	// web has revisions 1 to 3, 3 deregistered: its latest ACTIVE revision is 2. api has
	// none yet.
	for range 3 {
		e.register("web", 64, false)
	}
	if _, err := e.s.DeregisterTaskDefinition(e.ctx, &DeregisterTaskDefinitionInput{TaskDefinition: str("web:3")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		op   string
		in   any
		want []string // nil: the operation is authorized on "*"
	}{
		{"CreateCluster", &CreateClusterInput{ClusterName: str("prod")}, []string{p + "cluster/prod"}},
		{"CreateCluster", &CreateClusterInput{}, []string{p + "cluster/default"}},
		{"DescribeClusters", &DescribeClustersInput{Clusters: []string{"a", p + "cluster/b"}},
			[]string{p + "cluster/a", p + "cluster/b"}},
		{"DescribeClusters", &DescribeClustersInput{}, []string{p + "cluster/default"}},
		{"DeleteCluster", &DeleteClusterInput{Cluster: str(p + "cluster/prod")}, []string{p + "cluster/prod"}},
		{"UpdateClusterSettings", &UpdateClusterSettingsInput{Cluster: str("prod")}, []string{p + "cluster/prod"}},
		{"ListClusters", &ListClustersInput{}, nil},

		// RegisterTaskDefinition: task-definition*, the revision about to be registered.
		{"RegisterTaskDefinition", &RegisterTaskDefinitionInput{Family: str("web")}, []string{p + "task-definition/web:4"}},
		{"RegisterTaskDefinition", &RegisterTaskDefinitionInput{Family: str("api")}, []string{p + "task-definition/api:1"}},
		{"RegisterTaskDefinition", &RegisterTaskDefinitionInput{}, nil},
		{"DescribeTaskDefinition", &DescribeTaskDefinitionInput{TaskDefinition: str("web:1")}, nil},
		{"ListTaskDefinitions", &ListTaskDefinitionsInput{}, nil},
		{"ListTaskDefinitionFamilies", &ListTaskDefinitionFamiliesInput{}, nil},
		{"DeregisterTaskDefinition", &DeregisterTaskDefinitionInput{TaskDefinition: str("web:1")}, nil},
		{"DeleteTaskDefinitions", &DeleteTaskDefinitionsInput{TaskDefinitions: []string{"web:1", p + "task-definition/api:3"}},
			[]string{p + "task-definition/web:1", p + "task-definition/api:3"}},

		{"RunTask", &RunTaskInput{TaskDefinition: str("web:2")}, []string{p + "task-definition/web:2"}},
		// A family alone is authorized on its latest ACTIVE revision, as ECS resolves it.
		{"RunTask", &RunTaskInput{Cluster: str("prod"), TaskDefinition: str("web")}, []string{p + "task-definition/web:2"}},
		{"RunTask", &RunTaskInput{TaskDefinition: str("api")}, []string{p + "task-definition/api:*"}},
		{"RunTask", &RunTaskInput{}, nil},
		{"RunTask", &RunTaskInput{TaskDefinition: str(p + "task-definition/web:7")}, []string{p + "task-definition/web:7"}},
		{"StopTask", &StopTaskInput{Cluster: str("prod"), Task: str("abc")}, []string{p + "task/prod/abc"}},
		{"StopTask", &StopTaskInput{Task: str("abc")}, []string{p + "task/default/abc"}},
		{"DescribeTasks", &DescribeTasksInput{Cluster: str(p + "cluster/prod"), Tasks: []string{"a", p + "task/prod/b"}},
			[]string{p + "task/prod/a", p + "task/prod/b"}},
		// A short-format ARN (no cluster), which the operations accept, is authorized as
		// the task of the call's cluster.
		{"StopTask", &StopTaskInput{Cluster: str("prod"), Task: str(p + "task/abc")}, []string{p + "task/prod/abc"}},
		{"DescribeTasks", &DescribeTasksInput{Tasks: []string{p + "task/abc"}}, []string{p + "task/default/abc"}},
		{"StopTask", &StopTaskInput{Cluster: str("prod"), Task: str(p + "task/other/abc")}, []string{p + "task/other/abc"}},
		// The operations resolve an ARN of this region and account whatever its partition:
		// it is authorized as the ARN ECS writes, the one policies name.
		{"StopTask", &StopTaskInput{Cluster: str("prod"), Task: str(cn + "task/prod/abc")}, []string{p + "task/prod/abc"}},
		{"DescribeServices", &DescribeServicesInput{Cluster: str("prod"), Services: []string{cn + "service/web"}}, []string{p + "service/prod/web"}},
		{"RunTask", &RunTaskInput{TaskDefinition: str(cn + "task-definition/web:1")}, []string{p + "task-definition/web:1"}},
		{"DeleteTaskDefinitions", &DeleteTaskDefinitionsInput{TaskDefinitions: []string{cn + "task-definition/web:1"}}, []string{p + "task-definition/web:1"}},
		{"TagResource", &TagResourceInput{ResourceArn: str(cn + "cluster/prod")}, []string{p + "cluster/prod"}},
		{"UntagResource", &UntagResourceInput{ResourceArn: str(cn + "task-definition/web:1")}, []string{p + "task-definition/web:1"}},
		{"ListTagsForResource", &ListTagsForResourceInput{ResourceArn: str(cn + "service/prod/web")}, []string{p + "service/prod/web"}},
		// An ARN of another account names nothing here: it is kept as given.
		{"StopTask", &StopTaskInput{Task: str("arn:aws:ecs:us-east-1:111122223333:task/default/abc")},
			[]string{"arn:aws:ecs:us-east-1:111122223333:task/default/abc"}},
		{"ListTasks", &ListTasksInput{Cluster: str("prod")}, nil},
		{"ListTasks", &ListTasksInput{Cluster: str("prod"), ContainerInstance: str("ci1")},
			[]string{p + "container-instance/prod/ci1"}},

		{"CreateService", &CreateServiceInput{Cluster: str("prod"), ServiceName: str("web")}, []string{p + "service/prod/web"}},
		{"CreateService", &CreateServiceInput{ServiceName: str("web")}, []string{p + "service/default/web"}},
		{"UpdateService", &UpdateServiceInput{Cluster: str("prod"), Service: str(p + "service/prod/web")},
			[]string{p + "service/prod/web"}},
		{"DeleteService", &DeleteServiceInput{Service: str("web")}, []string{p + "service/default/web"}},
		{"UpdateService", &UpdateServiceInput{Cluster: str("prod"), Service: str(p + "service/web")}, []string{p + "service/prod/web"}},
		{"DescribeServices", &DescribeServicesInput{Cluster: str("prod"), Services: []string{"a", "b"}},
			[]string{p + "service/prod/a", p + "service/prod/b"}},
		{"ListServices", &ListServicesInput{Cluster: str("prod")}, nil},

		{"ListServiceDeployments", &ListServiceDeploymentsInput{Cluster: str("prod"), Service: str("web")}, []string{p + "service/prod/web"}},
		{"DescribeServiceDeployments", &DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{p + "service-deployment/prod/web/abc", cn + "service-deployment/prod/web/def"}},
			[]string{p + "service-deployment/prod/web/abc", p + "service-deployment/prod/web/def"}},
		{"DescribeServiceRevisions", &DescribeServiceRevisionsInput{ServiceRevisionArns: []string{p + "service-revision/prod/web/123"}}, []string{p + "service-revision/prod/web/123"}},
		{"StopServiceDeployment", &StopServiceDeploymentInput{ServiceDeploymentArn: str(p + "service-deployment/prod/web/abc")}, []string{p + "service-deployment/prod/web/abc"}},
		{"ContinueServiceDeployment", &ContinueServiceDeploymentInput{ServiceDeploymentArn: str(cn + "service-deployment/prod/web/abc")}, []string{p + "service-deployment/prod/web/abc"}},

		{"ListContainerInstances", &ListContainerInstancesInput{}, []string{p + "cluster/default"}},
		{"ListContainerInstances", &ListContainerInstancesInput{Cluster: str("prod")}, []string{p + "cluster/prod"}},
		{"DescribeContainerInstances", &DescribeContainerInstancesInput{Cluster: str("prod"), ContainerInstances: []string{"x"}},
			[]string{p + "container-instance/prod/x"}},
		{"DescribeContainerInstances", &DescribeContainerInstancesInput{Cluster: str("prod"), ContainerInstances: []string{p + "container-instance/x"}},
			[]string{p + "container-instance/prod/x"}},

		{"TagResource", &TagResourceInput{ResourceArn: str(p + "service/prod/web")}, []string{p + "service/prod/web"}},
		{"UntagResource", &UntagResourceInput{ResourceArn: str(p + "cluster/prod")}, []string{p + "cluster/prod"}},
		{"ListTagsForResource", &ListTagsForResourceInput{ResourceArn: str(p + "task-definition/web:1")},
			[]string{p + "task-definition/web:1"}},
		{"ListTagsForResource", &ListTagsForResourceInput{}, nil},
	}
	for _, tt := range tests {
		op, ok := ops[tt.op]
		if !ok {
			t.Fatalf("operation %s missing", tt.op)
		}
		var got []string
		if op.Resources != nil {
			got = op.Resources(context.Background(), tt.in)
		}
		if len(got) == 0 && len(tt.want) == 0 {
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s(%+v): resources %q, want %q", tt.op, tt.in, got, tt.want)
		}
	}
}

// TestEveryOperationHasResourcesOrIsStar checks the table covers every operation: each
// either authorizes on "*" or has a Resources function.
func TestEveryOperationHasResourcesOrIsStar(t *testing.T) {
	e := newEnv(t)
	star := map[string]bool{"ListClusters": true, "DescribeTaskDefinition": true,
		"ListTaskDefinitions": true, "ListTaskDefinitionFamilies": true, "DeregisterTaskDefinition": true, "ListServices": true}
	for name, op := range e.s.API().Operations {
		if (op.Resources == nil) != star[name] {
			t.Errorf("%s: has Resources = %v, want %v", name, op.Resources != nil, !star[name])
		}
	}
}

// TestPassRolesOfDeployments checks that the roles a service gives ECS itself (the load
// balancer role of an advanced configuration, a lifecycle hook's role) need
// iam:PassRole to ecs.amazonaws.com, beside the task roles passed to ecs-tasks.
func TestPassRolesOfDeployments(t *testing.T) {
	e := newEnv(t)
	const lbRole, hookRole, taskRole = "arn:aws:iam::000000000000:role/lb", "arn:aws:iam::000000000000:role/hook", "arn:aws:iam::000000000000:role/task"
	if _, err := e.s.RegisterTaskDefinition(e.ctx, &RegisterTaskDefinitionInput{Family: ptr("web"), TaskRoleArn: ptr(taskRole),
		ContainerDefinitions: []ContainerDefinition{{Name: "app", Image: "process:/bin/app", Memory: ptr(int32(64))}}}); err != nil {
		t.Fatal(err)
	}
	in := &CreateServiceInput{ServiceName: ptr("web"), TaskDefinition: ptr("web"),
		LoadBalancers: []LoadBalancer{{TargetGroupArn: tgA, AdvancedConfiguration: &AdvancedConfiguration{RoleArn: ptr(lbRole)}},
			{TargetGroupArn: tgB, AdvancedConfiguration: &AdvancedConfiguration{RoleArn: ptr(lbRole)}}},
		DeploymentConfiguration: &DeploymentConfiguration{LifecycleHooks: []DeploymentLifecycleHook{{RoleArn: ptr(hookRole)}}},
	}
	got := e.s.API().Operations["CreateService"].Dependent(e.ctx, in)
	var summary []string
	for _, a := range got {
		summary = append(summary, a.Action+" "+a.Resources[0]+" "+a.Conditions["iam:PassedToService"][0])
	}
	want := []string{
		"iam:PassRole " + lbRole + " ecs.amazonaws.com",
		"iam:PassRole " + hookRole + " ecs.amazonaws.com",
		"iam:PassRole " + taskRole + " ecs-tasks.amazonaws.com",
	}
	if !slices.Equal(summary, want) {
		t.Fatalf("authorizations %q, want %q", summary, want)
	}
	if got := e.s.API().Operations["UpdateService"].Dependent(e.ctx, &UpdateServiceInput{Service: ptr("web")}); len(got) != 0 {
		t.Fatalf("UpdateService without roles: %+v", got)
	}
}
