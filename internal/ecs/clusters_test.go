package ecs

import (
	"slices"
	"strings"
	"testing"
)

func TestCreateClusterValidation(t *testing.T) {
	e := newEnv(t)
	tooMany := make([]Tag, 51)
	for i := range tooMany {
		tooMany[i] = Tag{Key: "k" + strings.Repeat("x", i), Value: "v"}
	}
	tests := []struct {
		name string
		in   CreateClusterInput
		code string
		msg  string
	}{
		{name: "bad name", in: CreateClusterInput{ClusterName: ptr("my cluster")}, code: "InvalidParameterException", msg: "Invalid clusterName 'my cluster'"},
		{name: "long name", in: CreateClusterInput{ClusterName: ptr(strings.Repeat("a", 256))}, code: "InvalidParameterException", msg: "up to 255 letters"},
		{name: "unknown setting", in: CreateClusterInput{ClusterName: ptr("c"), Settings: []ClusterSetting{{Name: "x", Value: "enabled"}}}, code: "InvalidParameterException", msg: "settings[0].name"},
		{name: "bad setting value", in: CreateClusterInput{ClusterName: ptr("c"), Settings: []ClusterSetting{{Name: "containerInsights", Value: "on"}}}, code: "InvalidParameterException", msg: "enabled, disabled or enhanced"},
		{name: "too many tags", in: CreateClusterInput{ClusterName: ptr("c"), Tags: tooMany}, code: "InvalidParameterException", msg: "at most 50"},
		{name: "empty tag key", in: CreateClusterInput{ClusterName: ptr("c"), Tags: []Tag{{Key: ""}}}, code: "InvalidParameterException", msg: "tags[0].key must be 1 to 128 characters"},
		{name: "long tag key", in: CreateClusterInput{ClusterName: ptr("c"), Tags: []Tag{{Key: strings.Repeat("k", 129)}}}, code: "InvalidParameterException", msg: "1 to 128 characters"},
		{name: "long tag value", in: CreateClusterInput{ClusterName: ptr("c"), Tags: []Tag{{Key: "k", Value: strings.Repeat("v", 257)}}}, code: "InvalidParameterException", msg: "the maximum is 256"},
		{name: "aws prefix", in: CreateClusterInput{ClusterName: ptr("c"), Tags: []Tag{{Key: "AWS:owner", Value: "v"}}}, code: "InvalidParameterException", msg: "reserved for AWS use"},
		{name: "duplicate tag key", in: CreateClusterInput{ClusterName: ptr("c"), Tags: []Tag{{Key: "a"}, {Key: "a"}}}, code: "InvalidParameterException", msg: "more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.CreateCluster(e.ctx, &tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
}

func TestClusterLifecycle(t *testing.T) {
	e := newEnv(t)
	out, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{
		ClusterName: ptr("prod"),
		Settings:    []ClusterSetting{{Name: "containerInsights", Value: "enabled"}},
		Tags:        []Tag{{Key: "env", Value: "prod"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Cluster
	if c.ClusterArn != "arn:aws:ecs:us-east-1:000000000000:cluster/prod" || c.ClusterName != "prod" || c.Status != "ACTIVE" ||
		len(c.Settings) != 1 || c.Settings[0].Value != "enabled" || len(c.Tags) != 1 {
		t.Fatalf("created cluster: %+v", c)
	}
	// Creating it again returns it unchanged.
	again, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{ClusterName: ptr("prod")})
	if err != nil || again.Cluster.Settings[0].Value != "enabled" {
		t.Fatalf("CreateCluster again: %+v %v", again, err)
	}
	// Omitting the name makes the default cluster.
	def, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{})
	if err != nil || def.Cluster.ClusterName != "default" || def.Cluster.Settings[0].Value != "disabled" {
		t.Fatalf("default cluster: %+v %v", def, err)
	}

	e.node("i-1", 2048, 4096)
	e.register("web", 128, false)
	if _, err := e.s.RunTask(e.ctx, &RunTaskInput{Cluster: ptr("prod"), TaskDefinition: ptr("web"), Count: ptr(int32(2))}); err != nil {
		t.Fatal(err)
	}
	e.createService("svc", 0, func(in *CreateServiceInput) { in.Cluster = ptr("prod"); in.TaskDefinition = ptr("web") })
	a := e.agent("i-1")
	a.step() // PENDING
	e.reconcile()

	d, err := e.s.DescribeClusters(e.ctx, &DescribeClustersInput{Clusters: []string{"prod", "arn:aws:ecs:us-east-1:000000000000:cluster/default", "nope"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Clusters) != 2 || len(d.Failures) != 1 || d.Failures[0].Arn != "arn:aws:ecs:us-east-1:000000000000:cluster/nope" || d.Failures[0].Reason != "MISSING" {
		t.Fatalf("DescribeClusters: %+v", d)
	}
	p := d.Clusters[0]
	if p.RegisteredContainerInstancesCount != 1 || p.PendingTasksCount != 2 || p.RunningTasksCount != 0 || p.ActiveServicesCount != 1 {
		t.Fatalf("counts: %+v", p)
	}
	if p.Settings != nil || p.Tags != nil || p.Statistics != nil {
		t.Fatalf("settings, tags or statistics without include: %+v", p)
	}
	a.step() // RUNNING
	d, err = e.s.DescribeClusters(e.ctx, &DescribeClustersInput{Clusters: []string{"prod"}, Include: []string{"SETTINGS", "TAGS", "STATISTICS"}})
	if err != nil {
		t.Fatal(err)
	}
	p = d.Clusters[0]
	if p.RunningTasksCount != 2 || len(p.Settings) != 1 || len(p.Tags) != 1 ||
		!slices.Contains(p.Statistics, KeyValuePair{Name: "runningEC2TasksCount", Value: "2"}) ||
		!slices.Contains(p.Statistics, KeyValuePair{Name: "activeEC2ServiceCount", Value: "1"}) {
		t.Fatalf("with include: %+v", p)
	}
	_, err = e.s.DescribeClusters(e.ctx, &DescribeClustersInput{Include: []string{"NOPE"}})
	wantAPIError(t, err, "InvalidParameterException", "'NOPE' is not a valid value")

	// Deleting needs the services gone and the tasks stopped.
	_, err = e.s.DeleteCluster(e.ctx, &DeleteClusterInput{Cluster: ptr("prod")})
	wantAPIError(t, err, "ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")
	if _, err := e.s.DeleteService(e.ctx, &DeleteServiceInput{Cluster: ptr("prod"), Service: ptr("svc")}); err != nil {
		t.Fatal(err)
	}
	e.reconcile()
	_, err = e.s.DeleteCluster(e.ctx, &DeleteClusterInput{Cluster: ptr("prod")})
	wantAPIError(t, err, "ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
	for _, task := range e.tasks("prod", StatusRunning) {
		if _, err := e.s.StopTask(e.ctx, &StopTaskInput{Cluster: ptr("prod"), Task: ptr(task.TaskArn)}); err != nil {
			t.Fatal(err)
		}
	}
	a.step()
	del, err := e.s.DeleteCluster(e.ctx, &DeleteClusterInput{Cluster: ptr("arn:aws:ecs:us-east-1:000000000000:cluster/prod")})
	if err != nil {
		t.Fatal(err)
	}
	if del.Cluster.Status != "INACTIVE" || del.Cluster.RegisteredContainerInstancesCount != 0 {
		t.Fatalf("deleted cluster: %+v", del.Cluster)
	}
	// INACTIVE: still describable, no longer listed, no longer usable.
	d, err = e.s.DescribeClusters(e.ctx, &DescribeClustersInput{Clusters: []string{"prod"}})
	if err != nil || len(d.Clusters) != 1 || d.Clusters[0].Status != "INACTIVE" {
		t.Fatalf("describe deleted cluster: %+v %v", d, err)
	}
	l, err := e.s.ListClusters(e.ctx, &ListClustersInput{})
	if err != nil || !slices.Equal(l.ClusterArns, []string{"arn:aws:ecs:us-east-1:000000000000:cluster/default"}) {
		t.Fatalf("ListClusters: %+v %v", l, err)
	}
	_, err = e.s.DeleteCluster(e.ctx, &DeleteClusterInput{Cluster: ptr("prod")})
	wantAPIError(t, err, "ClusterNotFoundException", "Cluster not found.")
	_, err = e.s.RunTask(e.ctx, &RunTaskInput{Cluster: ptr("prod"), TaskDefinition: ptr("web")})
	wantAPIError(t, err, "ClusterNotFoundException", "Cluster not found.")
	_, err = e.s.DeleteCluster(e.ctx, &DeleteClusterInput{})
	wantAPIError(t, err, "InvalidParameterException", "cluster is required")

	// Creating it again makes a fresh ACTIVE cluster with the nodes registered.
	re, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{ClusterName: ptr("prod")})
	if err != nil || re.Cluster.Status != "ACTIVE" || re.Cluster.RegisteredContainerInstancesCount != 1 || re.Cluster.Settings[0].Value != "disabled" {
		t.Fatalf("recreated cluster: %+v %v", re, err)
	}
}

func TestUpdateClusterSettings(t *testing.T) {
	e := newEnv(t)
	if _, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{ClusterName: ptr("c")}); err != nil {
		t.Fatal(err)
	}
	out, err := e.s.UpdateClusterSettings(e.ctx, &UpdateClusterSettingsInput{Cluster: ptr("c"), Settings: []ClusterSetting{{Name: "containerInsights", Value: "enhanced"}}})
	if err != nil || len(out.Cluster.Settings) != 1 || out.Cluster.Settings[0].Value != "enhanced" {
		t.Fatalf("UpdateClusterSettings: %+v %v", out, err)
	}
	tests := []struct {
		name string
		in   UpdateClusterSettingsInput
		code string
		msg  string
	}{
		{name: "no cluster", in: UpdateClusterSettingsInput{Settings: out.Cluster.Settings}, code: "InvalidParameterException", msg: "cluster is required"},
		{name: "no settings", in: UpdateClusterSettingsInput{Cluster: ptr("c")}, code: "InvalidParameterException", msg: "settings cannot be empty"},
		{name: "unknown cluster", in: UpdateClusterSettingsInput{Cluster: ptr("nope"), Settings: out.Cluster.Settings}, code: "ClusterNotFoundException", msg: "Cluster not found."},
		{name: "bad value", in: UpdateClusterSettingsInput{Cluster: ptr("c"), Settings: []ClusterSetting{{Name: "containerInsights"}}}, code: "InvalidParameterException", msg: "containerInsights must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.UpdateClusterSettings(e.ctx, &tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
}

func TestListClustersPagination(t *testing.T) {
	e := newEnv(t)
	var want []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		out, err := e.s.CreateCluster(e.ctx, &CreateClusterInput{ClusterName: ptr(n)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, out.Cluster.ClusterArn)
	}
	var got []string
	var token *string
	pages := 0
	for {
		out, err := e.s.ListClusters(e.ctx, &ListClustersInput{MaxResults: ptr(int32(2)), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, out.ClusterArns...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("got %v in %d pages, want %v in 3", got, pages, want)
	}
	for _, bad := range []int32{0, 101} {
		_, err := e.s.ListClusters(e.ctx, &ListClustersInput{MaxResults: ptr(bad)})
		wantAPIError(t, err, "InvalidParameterException", "maxResults must be between 1 and 100")
	}
	_, err := e.s.ListClusters(e.ctx, &ListClustersInput{NextToken: ptr("!!!")})
	wantAPIError(t, err, "InvalidParameterException", "Invalid nextToken")
}
