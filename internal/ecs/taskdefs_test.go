package ecs

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseTaskCPUAndMemory(t *testing.T) {
	cpu := []struct {
		in   string
		want int32
		ok   bool
	}{
		{"256", 256, true}, {"0.25 vCPU", 256, true}, {"1 vcpu", 1024, true}, {"2vCPU", 2048, true}, {" 512 ", 512, true},
		{"", 0, false}, {"0", 0, false}, {"-1", 0, false}, {"abc", 0, false}, {"0.5", 0, false}, {"vCPU", 0, false}, {"1e300 vCPU", 0, false},
	}
	for _, tt := range cpu {
		got, ok := parseTaskCPU(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseTaskCPU(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	mem := []struct {
		in   string
		want int32
		ok   bool
	}{
		{"512", 512, true}, {"1 GB", 1024, true}, {"1GB", 1024, true}, {"0.5 gb", 512, true}, {"2 GB", 2048, true},
		{"", 0, false}, {"GB", 0, false}, {"1 TB", 0, false}, {"-2 GB", 0, false}, {"99999999999", 0, false},
	}
	for _, tt := range mem {
		got, ok := parseTaskMemory(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseTaskMemory(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRegisterTaskDefinitionValidation(t *testing.T) {
	e := newEnv(t)
	mem := ptr(int32(128))
	c := func(mutate func(*ContainerDefinition)) []ContainerDefinition {
		cd := ContainerDefinition{Name: "app", Image: "nginx", Memory: mem}
		if mutate != nil {
			mutate(&cd)
		}
		return []ContainerDefinition{cd}
	}
	hc := func(h HealthCheck) []ContainerDefinition {
		return c(func(cd *ContainerDefinition) { cd.HealthCheck = &h })
	}
	tests := []struct {
		name string
		in   RegisterTaskDefinitionInput
		msg  string
	}{
		{"no family", RegisterTaskDefinitionInput{ContainerDefinitions: c(nil)}, "Family should not be null or empty."},
		{"bad family", RegisterTaskDefinitionInput{Family: ptr("a:b"), ContainerDefinitions: c(nil)}, "Invalid family 'a:b'"},
		{"no containers", RegisterTaskDefinitionInput{Family: ptr("f")}, "Container list cannot be empty."},
		{"too many containers", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: slices.Repeat(c(nil), 11)}, "at most 10"},
		{"no name", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) { cd.Name = "" })}, "Container.name should not be null or empty."},
		{"bad name", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) { cd.Name = "a.b" })}, "Invalid container name 'a.b'"},
		{"duplicate names", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: slices.Repeat(c(nil), 2)}, "Duplicate container name 'app'"},
		{"no image", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) { cd.Image = " " })}, "Container.image should not be null or empty."},
		{"no memory", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) { cd.Memory = nil })},
			"Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified."},
		{"tiny memory", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) { cd.Memory = ptr(int32(4)) })}, "the minimum is 6 MiB"},
		{"reservation above limit", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) { cd.MemoryReservation = ptr(int32(256)) })}, "'memoryReservation' (256) must be less than or equal to 'memory' (128)"},
		{"container memory above task memory", RegisterTaskDefinitionInput{Family: ptr("f"), Memory: ptr("64"), ContainerDefinitions: c(nil)}, "more than the task's memory"},
		{"container cpu above task cpu", RegisterTaskDefinitionInput{Family: ptr("f"), Cpu: ptr("256"), ContainerDefinitions: c(func(cd *ContainerDefinition) { cd.Cpu = 512 })}, "more than the task's cpu"},
		{"negative cpu", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) { cd.Cpu = -1 })}, "must not be negative"},
		{"bad task cpu", RegisterTaskDefinitionInput{Family: ptr("f"), Cpu: ptr("lots"), ContainerDefinitions: c(nil)}, "Invalid 'cpu' setting for task"},
		{"bad task memory", RegisterTaskDefinitionInput{Family: ptr("f"), Memory: ptr("1 TB"), ContainerDefinitions: c(nil)}, "Invalid 'memory' setting for task"},
		{"no essential container", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) { cd.Essential = ptr(false) })}, "at least one container must be essential"},
		{"bad network mode", RegisterTaskDefinitionInput{Family: ptr("f"), NetworkMode: "nat", ContainerDefinitions: c(nil)}, "Invalid networkMode 'nat'"},
		{"port protocol", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.PortMappings = []PortMapping{{ContainerPort: ptr(int32(80)), Protocol: "sctp"}}
		})}, "protocol must be tcp or udp, got 'sctp'"},
		{"container port", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.PortMappings = []PortMapping{{HostPort: ptr(int32(80))}}
		})}, "containerPort must be between 1 and 65535, got 0"},
		{"host mode port", RegisterTaskDefinitionInput{Family: ptr("f"), NetworkMode: "host", ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.PortMappings = []PortMapping{{ContainerPort: ptr(int32(80)), HostPort: ptr(int32(8080))}}
		})}, "in the host network mode hostPort must be left out or equal to containerPort (80), got 8080"},
		{"host port range", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.PortMappings = []PortMapping{{ContainerPort: ptr(int32(80)), HostPort: ptr(int32(70000))}}
		})}, "hostPort must be between 0 and 65535"},
		{"duplicate host port", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.PortMappings = []PortMapping{{ContainerPort: ptr(int32(80)), HostPort: ptr(int32(80))}, {ContainerPort: ptr(int32(81)), HostPort: ptr(int32(80))}}
		})}, "host port 80/tcp is already used"},
		{"ports in none mode", RegisterTaskDefinitionInput{Family: ptr("f"), NetworkMode: "none", ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.PortMappings = []PortMapping{{ContainerPort: ptr(int32(80))}}
		})}, "not allowed in the 'none' network mode"},
		{"health check command", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: hc(HealthCheck{Command: []string{"curl", "localhost"}})}, "command must start with CMD, CMD-SHELL or NONE"},
		{"health check empty", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: hc(HealthCheck{})}, "command cannot be empty"},
		{"health check CMD alone", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: hc(HealthCheck{Command: []string{"CMD-SHELL"}})}, "must be followed by the command"},
		{"health check interval", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: hc(HealthCheck{Command: []string{"CMD", "x"}, Interval: ptr(int32(4))})}, "interval must be between 5 and 300 seconds, got 4"},
		{"health check timeout", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: hc(HealthCheck{Command: []string{"CMD", "x"}, Timeout: ptr(int32(121))})}, "timeout must be between 2 and 120"},
		{"health check retries", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: hc(HealthCheck{Command: []string{"CMD", "x"}, Retries: ptr(int32(0))})}, "retries must be between 1 and 10"},
		{"health check start period", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: hc(HealthCheck{Command: []string{"CMD", "x"}, StartPeriod: ptr(int32(301))})}, "startPeriod must be between 0 and 300"},
		{"dependsOn condition", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.DependsOn = []ContainerDependency{{ContainerName: "app", Condition: "READY"}}
		})}, "condition must be START, COMPLETE, SUCCESS or HEALTHY, got 'READY'"},
		{"dependsOn unknown", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.DependsOn = []ContainerDependency{{ContainerName: "db", Condition: "START"}}
		})}, "container 'db' is not defined"},
		{"dependsOn self", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.DependsOn = []ContainerDependency{{ContainerName: "app", Condition: "START"}}
		})}, "cannot depend on itself"},
		{"dependsOn healthy without health check", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: []ContainerDefinition{
			{Name: "db", Image: "pg", Memory: mem},
			{Name: "app", Image: "app", Memory: mem, DependsOn: []ContainerDependency{{ContainerName: "db", Condition: "HEALTHY"}}},
		}}, "condition HEALTHY needs a healthCheck on container 'db'"},
		{"dependsOn complete on essential", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: []ContainerDefinition{
			{Name: "init", Image: "i", Memory: mem},
			{Name: "app", Image: "app", Memory: mem, DependsOn: []ContainerDependency{{ContainerName: "init", Condition: "COMPLETE"}}},
		}}, "cannot be set on the essential container 'init'"},
		{"dependsOn cycle", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: []ContainerDefinition{
			{Name: "a", Image: "a", Memory: mem, DependsOn: []ContainerDependency{{ContainerName: "b", Condition: "START"}}},
			{Name: "b", Image: "b", Memory: mem, DependsOn: []ContainerDependency{{ContainerName: "a", Condition: "START"}}},
		}}, "form a cycle"},
		{"log driver", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.LogConfiguration = &LogConfiguration{LogDriver: "papertrail"}
		})}, "log driver 'papertrail'"},
		{"awslogs without a group", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.LogConfiguration = &LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"awslogs-region": "us-east-1"}}
		})}, "Log driver awslogs option 'awslogs-group' should not be null or empty."},
		{"awslogs create-group false", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.LogConfiguration = &LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"awslogs-group": "g", "awslogs-create-group": "false"}}
		})}, "should only be set to 'true', else omit option."},
		{"awslogs mode", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.LogConfiguration = &LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"awslogs-group": "g", "mode": "fast"}}
		})}, "'mode' must be 'blocking' or 'non-blocking'"},
		{"awslogs buffer in blocking mode", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.LogConfiguration = &LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"awslogs-group": "g", "mode": "blocking", "max-buffer-size": "4m"}}
		})}, "'max-buffer-size' is valid only with 'mode' set to 'non-blocking'"},
		{"awslogs multiline pattern", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.LogConfiguration = &LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"awslogs-group": "g", "awslogs-multiline-pattern": "(unclosed"}}
		})}, "'awslogs-multiline-pattern' is not a valid regular expression"},
		{"secret", RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(func(cd *ContainerDefinition) {
			cd.Secrets = []Secret{{Name: "DB"}}
		})}, "name and valueFrom are required"},
		{"fargate network mode", RegisterTaskDefinitionInput{Family: ptr("f"), RequiresCompatibilities: []string{"FARGATE"}, Cpu: ptr("256"), Memory: ptr("512"), ContainerDefinitions: c(nil)}, "Fargate only supports network mode 'awsvpc'."},
		{"fargate cpu", RegisterTaskDefinitionInput{Family: ptr("f"), RequiresCompatibilities: []string{"FARGATE"}, NetworkMode: "awsvpc", Memory: ptr("512"), ContainerDefinitions: c(nil)}, "Fargate requires that 'cpu' be defined at the task level."},
		{"compatibility", RegisterTaskDefinitionInput{Family: ptr("f"), RequiresCompatibilities: []string{"LAMBDA"}, ContainerDefinitions: c(nil)}, "Invalid requiresCompatibilities value 'LAMBDA'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.RegisterTaskDefinition(e.ctx, &tt.in)
			wantAPIError(t, err, "ClientException", tt.msg)
		})
	}
	_, err := e.s.RegisterTaskDefinition(e.ctx, &RegisterTaskDefinitionInput{Family: ptr("f"), ContainerDefinitions: c(nil), Tags: []Tag{{Key: "aws:x"}}})
	wantAPIError(t, err, "InvalidParameterException", "reserved for AWS use")
}

func TestRegisterTaskDefinitionDefaults(t *testing.T) {
	e := newEnv(t)
	in := &RegisterTaskDefinitionInput{
		Family: ptr("app"), Cpu: ptr("0.5 vCPU"), Memory: ptr("1 GB"), NetworkMode: "awsvpc",
		RequiresCompatibilities: []string{"FARGATE"}, TaskRoleArn: ptr("arn:aws:iam::000000000000:role/task"),
		Tags: []Tag{{Key: "team", Value: "a"}},
		ContainerDefinitions: []ContainerDefinition{
			{Name: "web", Image: "web", PortMappings: []PortMapping{{ContainerPort: ptr(int32(8080))}},
				HealthCheck: &HealthCheck{Command: []string{"CMD-SHELL", "curl -f localhost:8080"}},
				DependsOn:   []ContainerDependency{{ContainerName: "sidecar", Condition: "HEALTHY"}, {ContainerName: "init", Condition: "SUCCESS"}}},
			{Name: "sidecar", Image: "s", Essential: ptr(false), HealthCheck: &HealthCheck{Command: []string{"NONE"}}},
			{Name: "init", Image: "i", Essential: ptr(false)},
		},
	}
	out, err := e.s.RegisterTaskDefinition(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	td := out.TaskDefinition
	if td.TaskDefinitionArn != "arn:aws:ecs:us-east-1:000000000000:task-definition/app:1" || td.Revision != 1 || td.Status != "ACTIVE" ||
		td.Cpu != "512" || td.Memory != "1024" || td.RegisteredAt == nil || !slices.Equal(td.Compatibilities, []string{"EC2", "FARGATE"}) ||
		td.TaskRoleArn != "arn:aws:iam::000000000000:role/task" || len(out.Tags) != 1 {
		t.Fatalf("registered: %+v", td)
	}
	web := td.ContainerDefinitions[0]
	pm := web.PortMappings[0]
	if !deref(web.Essential) || pm.Protocol != "tcp" || deref(pm.HostPort) != 8080 {
		t.Fatalf("container defaults: essential %v port %+v", web.Essential, pm)
	}
	if h := web.HealthCheck; deref(h.Interval) != 30 || deref(h.Timeout) != 5 || deref(h.Retries) != 3 || h.StartPeriod != nil {
		t.Fatalf("health check defaults: %+v", h)
	}
	if web.Environment == nil || web.MountPoints == nil || td.Volumes == nil {
		t.Fatal("lists that ECS always returns are nil")
	}
	// Bridge mode leaves the host port dynamic (0).
	bridge := e.register("bridge", 64, false, PortMapping{ContainerPort: ptr(int32(80)), Protocol: "udp"})
	if pm := bridge.ContainerDefinitions[0].PortMappings[0]; deref(pm.HostPort) != 0 || pm.Protocol != "udp" {
		t.Fatalf("bridge port mapping: %+v", pm)
	}
	// Revisions count up.
	out, err = e.s.RegisterTaskDefinition(e.ctx, in)
	if err != nil || out.TaskDefinition.Revision != 2 {
		t.Fatalf("second revision: %+v %v", out, err)
	}
}

func TestTaskDefinitionLifecycle(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		e.register("web", 64, false)
	}
	e.register("web-worker", 64, false)
	e.register("api", 64, false)

	describe := func(ref string, include ...string) (*DescribeTaskDefinitionOutput, error) {
		return e.s.DescribeTaskDefinition(e.ctx, &DescribeTaskDefinitionInput{TaskDefinition: ptr(ref), Include: include})
	}
	for ref, want := range map[string]int32{
		"web": 3, "web:2": 2, "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1": 1, "web-worker": 1,
	} {
		out, err := describe(ref)
		if err != nil || out.TaskDefinition.Revision != want {
			t.Fatalf("DescribeTaskDefinition(%s): %+v %v", ref, out, err)
		}
		if out.Tags != nil {
			t.Fatal("tags without include TAGS")
		}
	}
	for _, ref := range []string{"web:4", "nope", "web:0", "web:x", "arn:aws:ecs:eu-west-1:000000000000:task-definition/web:1", "arn:aws:ecs:us-east-1:000000000000:task-definition/web"} {
		_, err := describe(ref)
		wantAPIError(t, err, "ClientException", "Unable to describe task definition.")
	}
	if out, err := describe("web", "TAGS"); err != nil || out.Tags == nil {
		t.Fatalf("include TAGS: %+v %v", out, err)
	}

	// Deregister the latest revision: the family now resolves to the one before.
	dereg, err := e.s.DeregisterTaskDefinition(e.ctx, &DeregisterTaskDefinitionInput{TaskDefinition: ptr("web:3")})
	if err != nil || dereg.TaskDefinition.Status != "INACTIVE" || dereg.TaskDefinition.DeregisteredAt == nil {
		t.Fatalf("DeregisterTaskDefinition: %+v %v", dereg, err)
	}
	if out, err := describe("web"); err != nil || out.TaskDefinition.Revision != 2 {
		t.Fatalf("web after deregistering 3: %+v %v", out, err)
	}
	if out, err := describe("web:3"); err != nil || out.TaskDefinition.Status != "INACTIVE" {
		t.Fatalf("web:3 after deregistering: %+v %v", out, err)
	}
	_, err = e.s.DeregisterTaskDefinition(e.ctx, &DeregisterTaskDefinitionInput{TaskDefinition: ptr("web")})
	wantAPIError(t, err, "ClientException", "give the task definition as family:revision")
	_, err = e.s.DeregisterTaskDefinition(e.ctx, &DeregisterTaskDefinitionInput{TaskDefinition: ptr("web:9")})
	wantAPIError(t, err, "ClientException", "The specified task definition does not exist.")

	list := func(in ListTaskDefinitionsInput) []string {
		t.Helper()
		var all []string
		for {
			out, err := e.s.ListTaskDefinitions(e.ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, out.TaskDefinitionArns...)
			if out.NextToken == nil {
				return all
			}
			in.NextToken = out.NextToken
		}
	}
	short := func(arns []string) string {
		var out []string
		for _, a := range arns {
			out = append(out, a[strings.LastIndex(a, "/")+1:])
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		in   ListTaskDefinitionsInput
		want string
	}{
		{ListTaskDefinitionsInput{}, "api:1 web:1 web:2 web-worker:1"},
		{ListTaskDefinitionsInput{MaxResults: ptr(int32(1))}, "api:1 web:1 web:2 web-worker:1"},
		{ListTaskDefinitionsInput{Sort: "DESC", MaxResults: ptr(int32(3))}, "web-worker:1 web:2 web:1 api:1"},
		{ListTaskDefinitionsInput{FamilyPrefix: ptr("web")}, "web:1 web:2"},
		{ListTaskDefinitionsInput{Status: "INACTIVE"}, "web:3"},
	}
	for _, tt := range tests {
		if got := short(list(tt.in)); got != tt.want {
			t.Errorf("ListTaskDefinitions(%+v) = %s, want %s", tt.in, got, tt.want)
		}
	}
	_, err = e.s.ListTaskDefinitions(e.ctx, &ListTaskDefinitionsInput{Sort: "UP"})
	wantAPIError(t, err, "InvalidParameterException", "sort must be ASC or DESC")
	_, err = e.s.ListTaskDefinitions(e.ctx, &ListTaskDefinitionsInput{Status: "GONE"})
	wantAPIError(t, err, "InvalidParameterException", "status must be")

	// Families.
	for _, rev := range []string{"api:1"} {
		if _, err := e.s.DeregisterTaskDefinition(e.ctx, &DeregisterTaskDefinitionInput{TaskDefinition: ptr(rev)}); err != nil {
			t.Fatal(err)
		}
	}
	fams := []struct {
		in   ListTaskDefinitionFamiliesInput
		want []string
	}{
		{ListTaskDefinitionFamiliesInput{}, []string{"api", "web", "web-worker"}},
		{ListTaskDefinitionFamiliesInput{Status: "ACTIVE"}, []string{"web", "web-worker"}},
		{ListTaskDefinitionFamiliesInput{Status: "INACTIVE"}, []string{"api"}},
		{ListTaskDefinitionFamiliesInput{FamilyPrefix: ptr("web-")}, []string{"web-worker"}},
		{ListTaskDefinitionFamiliesInput{MaxResults: ptr(int32(2))}, []string{"api", "web"}},
	}
	for _, tt := range fams {
		out, err := e.s.ListTaskDefinitionFamilies(e.ctx, &tt.in)
		if err != nil || !slices.Equal(out.Families, tt.want) {
			t.Errorf("ListTaskDefinitionFamilies(%+v) = %v %v, want %v", tt.in, out.Families, err, tt.want)
		}
	}

	// Delete: only INACTIVE revisions; they go once nothing uses them.
	e.node("i-1", 1024, 1024)
	run, err := e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("web:2")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.DeregisterTaskDefinition(e.ctx, &DeregisterTaskDefinitionInput{TaskDefinition: ptr("web:2")}); err != nil {
		t.Fatal(err)
	}
	del, err := e.s.DeleteTaskDefinitions(e.ctx, &DeleteTaskDefinitionsInput{TaskDefinitions: []string{"web:1", "web:2", "web:3", "web:8", "web"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.TaskDefinitions) != 2 || del.TaskDefinitions[0].Status != "DELETE_IN_PROGRESS" || del.TaskDefinitions[0].DeleteRequestedAt == nil {
		t.Fatalf("deleted: %+v", del.TaskDefinitions)
	}
	wantFailures := []Failure{
		{Arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", Reason: "The specified task definition is still in ACTIVE status. Please deregister the target and try again."},
		{Arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:8", Reason: "The specified task definition does not exist. Specify a valid account, family, revision and try again."},
		{Arn: "web", Reason: "The specified task definition identifier is invalid. Specify a valid name or ARN and try again."},
	}
	if !slices.Equal(del.Failures, wantFailures) {
		t.Fatalf("failures:\n got %+v\nwant %+v", del.Failures, wantFailures)
	}
	_, err = e.s.DeleteTaskDefinitions(e.ctx, &DeleteTaskDefinitionsInput{})
	wantAPIError(t, err, "InvalidParameterException", "taskDefinitions cannot be empty")
	_, err = e.s.RunTask(e.ctx, &RunTaskInput{TaskDefinition: ptr("web:3")})
	wantAPIError(t, err, "ClientException", "TaskDefinition is delete_in_progress")

	e.reconcile()
	if _, err := describe("web:3"); err == nil {
		t.Fatal("web:3 survived garbage collection though nothing uses it")
	}
	if out, err := describe("web:2"); err != nil || out.TaskDefinition.Status != "DELETE_IN_PROGRESS" {
		t.Fatalf("web:2 is used by a task: %+v %v", out, err)
	}
	if _, err := e.s.StopTask(e.ctx, &StopTaskInput{Task: ptr(run.Tasks[0].TaskArn)}); err != nil {
		t.Fatal(err)
	}
	e.agent("i-1").step()
	e.clock.Advance(time.Hour)
	e.reconcile()
	if _, err := describe("web:2"); err == nil {
		t.Fatal("web:2 survived its last task")
	}
	// The revision number never goes back.
	if td := e.register("web", 64, false); td.Revision != 4 {
		t.Fatalf("next revision %d, want 4", td.Revision)
	}
}
