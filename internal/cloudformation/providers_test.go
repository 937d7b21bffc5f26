package cloudformation

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// app is a template in the shape real ECS stacks take: networking records, IAM,
// logs, a load balancer, a service, its scaling, an alarm, a key and a parameter.
const app = `
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Image: {Type: String, Default: 'nginx:1.27'}
  Count: {Type: Number, Default: 2}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, AvailabilityZone: !Select [0, !GetAZs '']}
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: web, VpcId: !Ref Vpc}
  Cluster:
    Type: AWS::ECS::Cluster
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 7, Tags: [{Key: app, Value: web}]}
  Errors:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref Logs
      FilterPattern: ERROR
      MetricTransformations:
        - {MetricName: Errors, MetricNamespace: App, MetricValue: '1', Dimensions: [{Key: Service, Value: $.service}]}
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: 'sts:AssumeRole'}]
      ManagedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess']
      Policies:
        - PolicyName: params
          PolicyDocument: {Statement: [{Effect: Allow, Action: 'ssm:GetParameter', Resource: '*'}]}
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: web
      Cpu: 256
      Memory: '512'
      TaskRoleArn: !GetAtt TaskRole.Arn
      ContainerDefinitions:
        - Name: web
          Image: !Ref Image
          Essential: 'true'
          PortMappings: [{ContainerPort: '8080'}]
          Environment: [{Name: PORT, Value: 8080}]
          LogConfiguration:
            LogDriver: awslogs
            Options: {awslogs-group: !Ref Logs, awslogs-region: !Ref AWS::Region, awslogs-stream-prefix: web}
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Subnets: [!Ref SubnetA]
      SecurityGroups: [!GetAtt Sg.GroupId]
      LoadBalancerAttributes: [{Key: idle_timeout.timeout_seconds, Value: 30}]
  Tg:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Port: 80, Protocol: HTTP, VpcId: !Ref Vpc, TargetType: ip, HealthCheckPath: /health, HealthCheckPort: 8080}
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Lb
      Port: 80
      Protocol: HTTP
      DefaultActions: [{Type: forward, TargetGroupArn: !Ref Tg}]
  Rule:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref Listener
      Priority: 10
      Conditions: [{Field: path-pattern, PathPatternConfig: {Values: ['/api/*']}}]
      Actions: [{Type: fixed-response, FixedResponseConfig: {StatusCode: 404, ContentType: text/plain}}]
  Service:
    Type: AWS::ECS::Service
    DependsOn: Listener
    Properties:
      Cluster: !Ref Cluster
      TaskDefinition: !Ref TaskDef
      DesiredCount: !Ref Count
      LaunchType: FARGATE
      NetworkConfiguration:
        AwsvpcConfiguration: {Subnets: [!Ref SubnetA], SecurityGroups: [!Ref Sg], AssignPublicIp: ENABLED}
      LoadBalancers: [{ContainerName: web, ContainerPort: 8080, TargetGroupArn: !Ref Tg}]
  Target:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: ecs
      ScalableDimension: ecs:service:DesiredCount
      ResourceId: !Sub "service/${Cluster}/${Service.Name}"
      MinCapacity: 1
      MaxCapacity: '4'
  Scaling:
    Type: AWS::ApplicationAutoScaling::ScalingPolicy
    Properties:
      PolicyName: cpu
      PolicyType: TargetTrackingScaling
      ScalingTargetId: !Ref Target
      TargetTrackingScalingPolicyConfiguration:
        TargetValue: 50
        PredefinedMetricSpecification: {PredefinedMetricType: ECSServiceAverageCPUUtilization}
  HighErrors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: App
      MetricName: Errors
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 5
      ComparisonOperator: GreaterThanThreshold
  Key:
    Type: AWS::KMS::Key
    Properties: {Description: app key, EnableKeyRotation: true}
  KeyAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/app, TargetKeyId: !Ref Key}
  Param:
    Type: AWS::SSM::Parameter
    Properties: {Name: /app/url, Type: String, Value: !GetAtt Lb.DNSName, Tags: {app: web}}
Outputs:
  Url: {Value: !Sub "http://${Lb.DNSName}/"}
  ServiceArn: {Value: !Ref Service}
  ServiceName: {Value: !GetAtt Service.Name}
  LbFullName: {Value: !GetAtt Lb.LoadBalancerFullName}
  TgFullName: {Value: !GetAtt Tg.TargetGroupFullName}
  RoleArn: {Value: !GetAtt TaskRole.Arn}
  KeyArn: {Value: !GetAtt Key.Arn}
  Target: {Value: !Ref Target}
`

// fakeServices answers the calls the providers make as Wharf's services would, enough
// for the outputs the providers read.
func fakeServices(f *fakeInvoker) {
	var n atomic.Int64
	next := func() int64 { return n.Add(1) }
	acct := "000000000000"
	f.on("ecs", "CreateCluster", func(in map[string]any) (any, error) {
		return map[string]any{"cluster": map[string]any{"clusterArn": "arn:aws:ecs:us-east-1:" + acct + ":cluster/" + in["clusterName"].(string)}}, nil
	})
	f.on("ecs", "RegisterTaskDefinition", func(in map[string]any) (any, error) {
		return map[string]any{"taskDefinition": map[string]any{"taskDefinitionArn": fmt.Sprintf("arn:aws:ecs:us-east-1:%s:task-definition/%s:%d", acct, in["Family"], next())}}, nil
	})
	f.on("ecs", "CreateService", func(in map[string]any) (any, error) {
		return map[string]any{"service": map[string]any{"serviceArn": "arn:aws:ecs:us-east-1:" + acct + ":service/c/" + in["serviceName"].(string),
			"clusterArn": "arn:aws:ecs:us-east-1:" + acct + ":cluster/c"}}, nil
	})
	var deleted sync.Map // service ARN → true
	f.on("ecs", "DeleteService", func(in map[string]any) (any, error) {
		deleted.Store(in["service"], true)
		return map[string]any{}, nil
	})
	f.on("ecs", "DescribeServices", func(in map[string]any) (any, error) {
		status := "ACTIVE"
		if _, gone := deleted.Load(get(in, "services", "0")); gone {
			status = "INACTIVE"
		}
		return map[string]any{"services": []any{map[string]any{"status": status, "desiredCount": 2, "runningCount": 2,
			"deployments": []any{map[string]any{"status": "PRIMARY", "rolloutState": "COMPLETED"}}}}}, nil
	})
	f.on(elb, "CreateLoadBalancer", func(in map[string]any) (any, error) {
		name := in["Name"].(string)
		return map[string]any{"LoadBalancers": []any{map[string]any{"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:" + acct + ":loadbalancer/app/" + name + "/50dc6c495c0c9188",
			"DNSName": name + "-1234.us-east-1.elb.amazonaws.com", "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K", "LoadBalancerName": name, "SecurityGroups": in["SecurityGroups"]}}}, nil
	})
	f.on(elb, "CreateTargetGroup", func(in map[string]any) (any, error) {
		name := in["Name"].(string)
		return map[string]any{"TargetGroups": []any{map[string]any{"TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:" + acct + ":targetgroup/" + name + "/6d0ecf831eec9f09",
			"TargetGroupName": name}}}, nil
	})
	f.on(elb, "CreateListener", func(in map[string]any) (any, error) {
		return map[string]any{"Listeners": []any{map[string]any{"ListenerArn": fmt.Sprintf("arn:aws:elasticloadbalancing:us-east-1:%s:listener/app/x/1/%d", acct, next())}}}, nil
	})
	f.on(elb, "CreateRule", func(in map[string]any) (any, error) {
		return map[string]any{"Rules": []any{map[string]any{"RuleArn": fmt.Sprintf("arn:aws:elasticloadbalancing:us-east-1:%s:listener-rule/app/x/1/2/%d", acct, next()), "IsDefault": false}}}, nil
	})
	f.on("iam", "CreateRole", func(in map[string]any) (any, error) {
		return map[string]any{"Role": map[string]any{"Arn": "arn:aws:iam::" + acct + ":role/" + in["RoleName"].(string), "RoleId": "AROAEXAMPLE"}}, nil
	})
	f.on("kms", "CreateKey", func(in map[string]any) (any, error) {
		id := fmt.Sprintf("1234abcd-12ab-34cd-56ef-%012d", next())
		return map[string]any{"KeyMetadata": map[string]any{"KeyId": id, "Arn": "arn:aws:kms:us-east-1:" + acct + ":key/" + id}}, nil
	})
	f.on(appScaling, "PutScalingPolicy", func(in map[string]any) (any, error) {
		return map[string]any{"PolicyARN": "arn:aws:autoscaling:us-east-1:" + acct + ":scalingPolicy:x:resource/" + in["ResourceId"].(string) + ":policyName/" + in["PolicyName"].(string)}, nil
	})
}

func TestProvidersAgainstServices(t *testing.T) {
	e := newEnv(t)
	fakeServices(e.inv)
	st := e.create("web", app)
	wantStatus(t, st, stCreateComplete)
	out := outputsMap(st)
	lb := e.resource(st.ID, "Lb")
	if out["Url"] != "http://"+lb.Attrs["DNSName"].(string)+"/" || !strings.HasPrefix(out["LbFullName"], "app/web-Lb-") ||
		!strings.HasPrefix(out["TgFullName"], "targetgroup/web-Tg-") || !strings.HasPrefix(out["ServiceArn"], "arn:aws:ecs:") ||
		!strings.HasPrefix(out["RoleArn"], "arn:aws:iam::000000000000:role/web-TaskRole-") || !strings.HasPrefix(out["ServiceName"], "web-Service-") ||
		!strings.HasPrefix(out["Target"], "service/web-Cluster-") || !strings.HasSuffix(out["Target"], "|ecs:service:DesiredCount|ecs") {
		t.Fatalf("outputs %v", out)
	}
	if len(lb.Attrs["LoadBalancerName"].(string)) > 32 {
		t.Fatalf("generated load balancer name %q is longer than 32", lb.Attrs["LoadBalancerName"])
	}
	one := func(service, op string) map[string]any {
		t.Helper()
		calls := e.inv.find(service, op)
		if len(calls) != 1 {
			t.Fatalf("%s %s called %d times; calls: %v", service, op, len(calls), e.inv.ops())
		}
		return calls[0]
	}
	// The shapes that differ between templates and APIs.
	td := one("ecs", "RegisterTaskDefinition")
	c := get(td, "ContainerDefinitions", "0").(map[string]any)
	if td["Cpu"] != "256" || td["Memory"] != "512" || get(c, "PortMappings", "0", "ContainerPort") != 8080.0 || c["Essential"] != true ||
		get(c, "Environment", "0", "Value") != "8080" || td["Family"] != "web" {
		t.Fatalf("RegisterTaskDefinition %v", td)
	}
	svc := one("ecs", "CreateService")
	if svc["DesiredCount"] != 2.0 || !strings.HasPrefix(svc["TaskDefinition"].(string), "arn:aws:ecs:") || get(svc, "LoadBalancers", "0", "ContainerPort") != 8080.0 {
		t.Fatalf("CreateService %v", svc)
	}
	mf := one("logs", "PutMetricFilter")
	if get(mf, "metricTransformations", "0", "dimensions", "Service") != "$.service" {
		t.Fatalf("PutMetricFilter %v", mf)
	}
	lg := one("logs", "CreateLogGroup")
	if get(lg, "tags", "app") != "web" {
		t.Fatalf("CreateLogGroup %v", lg)
	}
	if r := one("logs", "PutRetentionPolicy"); r["retentionInDays"] != 7.0 {
		t.Fatalf("PutRetentionPolicy %v", r)
	}
	p := one("ssm", "PutParameter")
	if p["Value"] != lb.Attrs["DNSName"] || get(p, "Tags", "0", "Key") != "app" {
		t.Fatalf("PutParameter %v", p)
	}
	role := one("iam", "CreateRole")
	if doc, _ := role["AssumeRolePolicyDocument"].(string); !strings.Contains(doc, "ecs-tasks.amazonaws.com") {
		t.Fatalf("CreateRole %v", role)
	}
	if pol := one("iam", "PutRolePolicy"); pol["PolicyName"] != "params" || !strings.Contains(pol["PolicyDocument"].(string), "ssm:GetParameter") {
		t.Fatalf("PutRolePolicy %v", pol)
	}
	one("iam", "AttachRolePolicy")
	if k := one("kms", "EnableKeyRotation"); k["KeyId"] == nil {
		t.Fatalf("EnableKeyRotation %v", k)
	}
	if a := one("kms", "CreateAlias"); a["AliasName"] != "alias/app" {
		t.Fatalf("CreateAlias %v", a)
	}
	tg := one(elb, "CreateTargetGroup")
	if tg["HealthCheckPort"] != "8080" || tg["Port"] != 80.0 {
		t.Fatalf("CreateTargetGroup %v", tg)
	}
	if r := one(elb, "CreateRule"); get(r, "Actions", "0", "FixedResponseConfig", "StatusCode") != "404" || r["Priority"] != 10.0 {
		t.Fatalf("CreateRule %v", r)
	}
	if a := one(elb, "ModifyLoadBalancerAttributes"); get(a, "Attributes", "0", "Value") != "30" {
		t.Fatalf("ModifyLoadBalancerAttributes %v", a)
	}
	if st := one(appScaling, "RegisterScalableTarget"); st["MaxCapacity"] != 4.0 {
		t.Fatalf("RegisterScalableTarget %v", st)
	}
	if sp := one(appScaling, "PutScalingPolicy"); sp["ServiceNamespace"] != "ecs" || !strings.HasPrefix(sp["ResourceId"].(string), "service/") {
		t.Fatalf("PutScalingPolicy %v", sp)
	}
	if al := one("monitoring", "PutMetricAlarm"); !strings.HasPrefix(al["AlarmName"].(string), "web-HighErrors-") || al["Threshold"] != 5.0 {
		t.Fatalf("PutMetricAlarm %v", al)
	}
	for _, c := range e.inv.calls {
		if c.principal == nil || !c.principal.Root {
			t.Fatalf("%s %s was not called as the stack's creator: %+v", c.service, c.op, c.principal)
		}
	}
	vpc := e.resource(st.ID, "Vpc")
	if !strings.HasPrefix(vpc.PhysicalID, "vpc-") || len(vpc.PhysicalID) != 21 || !strings.HasPrefix(vpc.Attrs["DefaultSecurityGroup"].(string), "sg-") {
		t.Fatalf("VPC %+v", vpc)
	}
	if sub := e.resource(st.ID, "SubnetA"); sub.Attrs["AvailabilityZone"] != "us-east-1a" || sub.Attrs["VpcId"] != vpc.PhysicalID {
		t.Fatalf("subnet %+v", sub)
	}

	// An update: a new image registers a new task definition revision (replacement),
	// the service moves to it in place, and the old revision is deregistered.
	before := len(e.inv.calls)
	oldTD := e.resource(st.ID, "TaskDef").PhysicalID
	st = e.update("web", app, "Image", "nginx:1.28")
	wantStatus(t, st, stUpdateComplete)
	var ops []string
	for _, c := range e.inv.calls[before:] {
		ops = append(ops, c.service+" "+c.op)
	}
	if !slices.Contains(ops, "ecs RegisterTaskDefinition") || !slices.Contains(ops, "ecs UpdateService") || !slices.Contains(ops, "ecs DeregisterTaskDefinition") ||
		slices.Contains(ops, "ecs CreateService") {
		t.Fatalf("update calls %v", ops)
	}
	if d := e.inv.find("ecs", "DeregisterTaskDefinition"); d[0]["taskDefinition"] != oldTD {
		t.Fatalf("deregistered %v, want %s", d, oldTD)
	}
	if u := e.inv.find("ecs", "UpdateService")[0]; u["service"] != e.resource(st.ID, "Service").PhysicalID || u["Cluster"] != nil {
		t.Fatalf("UpdateService %v", u)
	}

	// Delete: in reverse dependency order, services before their clusters.
	before = len(e.inv.calls)
	wantStatus(t, e.remove("web"), stDeleteComplete)
	ops = nil
	for _, c := range e.inv.calls[before:] {
		ops = append(ops, c.service+" "+c.op)
	}
	if index(ops, "ecs DeleteService") < 0 || index(ops, "ecs DeleteService") > index(ops, "ecs DeleteCluster") ||
		index(ops, elb+" DeleteRule") > index(ops, elb+" DeleteListener") || index(ops, elb+" DeleteListener") > index(ops, elb+" DeleteLoadBalancer") ||
		index(ops, "kms DeleteAlias") > index(ops, "kms ScheduleKeyDeletion") || index(ops, "iam DetachRolePolicy") > index(ops, "iam DeleteRole") ||
		index(ops, "iam DeleteRolePolicy") > index(ops, "iam DeleteRole") {
		t.Fatalf("delete calls %v", ops)
	}
}

func TestProviderErrorsBecomeReasons(t *testing.T) {
	e := newEnv(t)
	e.inv.on("ecs", "CreateCluster", func(map[string]any) (any, error) {
		return nil, &awsapi.Error{Code: "InvalidParameterException", Message: "Cluster name is invalid."}
	})
	st := e.create("errs", "Resources:\n  C: {Type: AWS::ECS::Cluster, Properties: {ClusterName: 'bad name'}}\n")
	wantStatus(t, st, stRollbackComplete)
	want := `C CREATE_FAILED Resource handler returned message: "Cluster name is invalid." (Service: ecs, Status Code: 400, Error Code: InvalidParameterException)`
	if !slices.Contains(e.events(st.ID), want) {
		t.Fatalf("events %v", e.events(st.ID))
	}
	// A missing required property fails before any call.
	st = e.create("req", "Resources:\n  P: {Type: AWS::SSM::Parameter, Properties: {Type: String}}\n")
	wantStatus(t, st, stRollbackComplete)
	if !hasEvent(e.events(st.ID), "P CREATE_FAILED Properties validation failed for resource with message: #: required key [Value] not found") {
		t.Fatalf("events %v", e.events(st.ID))
	}
	if len(e.inv.find("ssm", "PutParameter")) != 0 {
		t.Fatal("PutParameter was called")
	}
	// A failed rollout fails the service.
	fakeServices(e.inv)
	e.inv.on("ecs", "DescribeServices", func(map[string]any) (any, error) {
		return map[string]any{"services": []any{map[string]any{"desiredCount": 1, "runningCount": 0,
			"deployments": []any{map[string]any{"status": "PRIMARY", "rolloutState": "FAILED", "rolloutStateReason": "tasks failed to start"}}}}}, nil
	})
	st = e.create("svc", "Resources:\n  S: {Type: AWS::ECS::Service, Properties: {TaskDefinition: td}}\n")
	wantStatus(t, st, stRollbackComplete)
	if !strings.Contains(strings.Join(e.events(st.ID), "\n"), "tasks failed to start") {
		t.Fatalf("events %v", e.events(st.ID))
	}
	if len(e.inv.find("ecs", "DeleteService")) != 1 {
		t.Fatal("the failed service was not deleted by the rollback")
	}
}

// TestGetAttOfUnknownAttribute: CreateStack refuses, before creating anything, a
// Fn::GetAtt of an attribute the resource type does not have, as AWS does.
func TestGetAttOfUnknownAttribute(t *testing.T) {
	e := newEnv(t)
	fakeServices(e.inv)
	_, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("att"),
		TemplateBody: aws.String("Resources:\n  C: {Type: AWS::ECS::Cluster}\n  T:\n    Type: Test::Thing\n    Properties: {Value: !GetAtt C.Nope}\n")})
	wantCode(t, err, "ValidationError", "Template error: resource C does not support attribute type Nope in Fn::GetAtt")
	if calls := e.inv.find("ecs", "CreateCluster"); len(calls) != 0 {
		t.Fatal("a resource was created before the template was refused")
	}
}

func TestNoInvoker(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Invoker = nil })
	_, err := e.client.CreateStack(e.ctx, &sdk.CreateStackInput{StackName: aws.String("noinv"),
		TemplateBody: aws.String("Resources:\n  C: {Type: AWS::ECS::Cluster}\n"), Capabilities: []cftypes.Capability{"CAPABILITY_IAM"}})
	if err != nil {
		t.Fatal(err)
	}
	st := e.wait("noinv")
	wantStatus(t, st, stRollbackComplete)
	if !strings.Contains(strings.Join(e.events(st.ID), "\n"), "no Wharf service invoker") {
		t.Fatalf("events %v", e.events(st.ID))
	}
}
