package cloudformation

import (
	"context"
	"fmt"
	"strings"
)

// ecsTypes registers AWS::ECS::Cluster, TaskDefinition and Service.
func ecsTypes(r *Registry) {
	r.Register("AWS::ECS::Cluster", ResourceType{
		Provider:     ecsCluster{},
		CreateOnly:   []string{"ClusterName"},
		Attributes:   []string{"Arn"},
		NameProperty: "ClusterName",
	})
	r.Register("AWS::ECS::TaskDefinition", ResourceType{
		Provider: ecsTaskDefinition{},
		// Task definition revisions are immutable: any change registers a new one.
		CreateOnly: []string{"ContainerDefinitions", "Cpu", "ExecutionRoleArn", "Family", "Memory", "NetworkMode",
			"PlacementConstraints", "RequiresCompatibilities", "TaskRoleArn", "Volumes", "RuntimePlatform", "ProxyConfiguration",
			"InferenceAccelerators", "IpcMode", "PidMode", "EphemeralStorage"},
		Attributes: []string{"TaskDefinitionArn"},
	})
	r.Register("AWS::ECS::Service", ResourceType{
		Provider:     ecsService{},
		CreateOnly:   []string{"Cluster", "ServiceName", "LaunchType", "SchedulingStrategy", "Role", "DeploymentController"},
		Attributes:   []string{"Name", "ServiceArn"},
		NameProperty: "ServiceName",
	})
}

type ecsCluster struct{}

func (ecsCluster) input(req *Request, name string) map[string]any {
	in := map[string]any{"clusterName": name}
	if v, ok := req.Properties["ClusterSettings"]; ok {
		in["settings"] = v
	}
	for _, k := range []string{"CapacityProviders", "DefaultCapacityProviderStrategy", "Tags"} {
		if v, ok := req.Properties[k]; ok {
			in[k] = v
		}
	}
	return in
}

func (c ecsCluster) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "ClusterName")
	if name == "" {
		name = req.PhysicalName(255)
	}
	out, err := call(ctx, req, "ecs", "CreateCluster", c.input(req, name))
	if err != nil {
		return nil, err
	}
	arn := getStr(out, "cluster", "clusterArn")
	return &Result{PhysicalID: name, Attributes: map[string]any{"Arn": arn}}, nil
}

func (ecsCluster) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	if !sameJSON(prior.Properties["ClusterSettings"], req.Properties["ClusterSettings"]) {
		settings := req.Properties["ClusterSettings"]
		if settings == nil {
			settings = []any{map[string]any{"name": "containerInsights", "value": "disabled"}}
		}
		if _, err := call(ctx, req, "ecs", "UpdateClusterSettings", map[string]any{"cluster": prior.PhysicalID, "settings": settings}); err != nil {
			return nil, err
		}
	}
	arn := getStr(prior.Attributes, "Arn")
	if err := ecsTags(ctx, req, arn, prior.Properties["Tags"], req.Properties["Tags"]); err != nil {
		return nil, err
	}
	return nil, nil
}

func (ecsCluster) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, "ecs", "DeleteCluster", map[string]any{"cluster": prior.PhysicalID})
	return err
}

// ecsTags applies a change of an ECS resource's Tags property.
func ecsTags(ctx context.Context, req *Request, arn string, old, new any) error {
	set, removed := tagDiff(tagPairs(old), tagPairs(new))
	if len(set) > 0 {
		if _, err := call(ctx, req, "ecs", "TagResource", map[string]any{"resourceArn": arn, "tags": tagList(set, "key", "value")}); err != nil {
			return err
		}
	}
	if len(removed) > 0 {
		if _, err := call(ctx, req, "ecs", "UntagResource", map[string]any{"resourceArn": arn, "tagKeys": removed}); err != nil {
			return err
		}
	}
	return nil
}

type ecsTaskDefinition struct{}

// containerDefinitions shapes CloudFormation container definitions for
// RegisterTaskDefinition: numbers given as strings become numbers.
func containerDefinitions(v any) any {
	eachMap(v, func(c map[string]any) {
		coerce(c, toInt, "Cpu", "Memory", "MemoryReservation", "StartTimeout", "StopTimeout")
		coerce(c, toBool, "Essential", "ReadonlyRootFilesystem", "Privileged", "Interactive", "PseudoTerminal", "DisableNetworking")
		eachMap(c["PortMappings"], func(p map[string]any) { coerce(p, toInt, "ContainerPort", "HostPort") })
		if hc, ok := c["HealthCheck"].(map[string]any); ok {
			coerce(hc, toInt, "Interval", "Timeout", "Retries", "StartPeriod")
		}
		eachMap(c["Ulimits"], func(u map[string]any) { coerce(u, toInt, "SoftLimit", "HardLimit") })
		eachMap(c["Environment"], func(e map[string]any) { coerce(e, toStr, "Value") })
	})
	return v
}

func (ecsTaskDefinition) Create(ctx context.Context, req *Request) (*Result, error) {
	in := copyProps(req.Properties)
	family := str(req.Properties, "Family")
	if family == "" {
		family = req.PhysicalName(255)
	}
	in["Family"] = family
	coerce(in, toStr, "Cpu", "Memory")
	if cds, ok := in["ContainerDefinitions"]; ok {
		in["ContainerDefinitions"] = containerDefinitions(cds)
	}
	out, err := call(ctx, req, "ecs", "RegisterTaskDefinition", in)
	if err != nil {
		return nil, err
	}
	arn := getStr(out, "taskDefinition", "taskDefinitionArn")
	return &Result{PhysicalID: arn, Attributes: map[string]any{"TaskDefinitionArn": arn}}, nil
}

func (ecsTaskDefinition) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	if err := ecsTags(ctx, req, prior.PhysicalID, prior.Properties["Tags"], req.Properties["Tags"]); err != nil {
		return nil, err
	}
	return nil, nil
}

func (ecsTaskDefinition) Delete(ctx context.Context, req *Request, prior *Prior) error {
	_, err := call(ctx, req, "ecs", "DeregisterTaskDefinition", map[string]any{"taskDefinition": prior.PhysicalID})
	return err
}

type ecsService struct{}

// input shapes a Service's properties for CreateService or UpdateService.
func (ecsService) input(props map[string]any) map[string]any {
	in := copyProps(props, "PlacementStrategies", "ServiceName", "Tags", "ServiceConnectConfiguration", "VolumeConfigurations",
		"ServiceRegistries", "AvailabilityZoneRebalancing", "ForceNewDeployment")
	if v, ok := props["PlacementStrategies"]; ok {
		in["placementStrategy"] = v
	}
	coerce(in, toInt, "DesiredCount", "HealthCheckGracePeriodSeconds")
	coerce(in, toBool, "EnableECSManagedTags", "EnableExecuteCommand")
	eachMap(in["LoadBalancers"], func(lb map[string]any) { coerce(lb, toInt, "ContainerPort") })
	if dc, ok := in["DeploymentConfiguration"].(map[string]any); ok {
		coerce(dc, toInt, "MaximumPercent", "MinimumHealthyPercent")
	}
	return in
}

func (s ecsService) Create(ctx context.Context, req *Request) (*Result, error) {
	name := str(req.Properties, "ServiceName")
	if name == "" {
		name = req.PhysicalName(255)
	}
	in := s.input(req.Properties)
	in["serviceName"] = name
	if v, ok := req.Properties["Tags"]; ok {
		in["tags"] = v
	}
	if _, ok := in["DesiredCount"]; !ok && str(req.Properties, "SchedulingStrategy") != "DAEMON" {
		in["DesiredCount"] = 1.0
	}
	out, err := call(ctx, req, "ecs", "CreateService", in)
	if err != nil {
		return nil, err
	}
	arn := getStr(out, "service", "serviceArn")
	cluster := getStr(out, "service", "clusterArn")
	if err := s.stabilize(ctx, req, cluster, arn); err != nil {
		return &Result{PhysicalID: arn}, err
	}
	return &Result{PhysicalID: arn, Attributes: map[string]any{"Name": name, "ServiceArn": arn, "ClusterArn": cluster}}, nil
}

// stabilize waits for a service to reach a steady state, as CloudFormation does:
// one deployment, running its desired count. A failed rollout fails the resource.
func (ecsService) stabilize(ctx context.Context, req *Request, cluster, arn string) error {
	return req.waitUntil(ctx, "Service "+arn, func() (bool, error) {
		out, err := call(ctx, req, "ecs", "DescribeServices", map[string]any{"cluster": cluster, "services": []any{arn}})
		if err != nil {
			return false, err
		}
		svc := get(out, "services", "0")
		if svc == nil {
			return false, fmt.Errorf("Service %s was not found", arn)
		}
		deps, _ := get(svc, "deployments").([]any)
		for _, d := range deps {
			if getStr(d, "status") == "PRIMARY" && getStr(d, "rolloutState") == "FAILED" {
				return false, fmt.Errorf("Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'. %s", getStr(d, "rolloutStateReason"))
			}
		}
		desired, _ := get(svc, "desiredCount").(float64)
		running, _ := get(svc, "runningCount").(float64)
		return len(deps) <= 1 && running == desired, nil
	})
}

func (s ecsService) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	cluster := getStr(prior.Attributes, "ClusterArn")
	if cluster == "" {
		cluster = str(prior.Properties, "Cluster")
	}
	in := s.input(req.Properties)
	for _, k := range []string{"Cluster", "LaunchType", "SchedulingStrategy", "Role", "DeploymentController"} {
		delete(in, k)
	}
	in["cluster"], in["service"] = cluster, prior.PhysicalID
	if _, err := call(ctx, req, "ecs", "UpdateService", in); err != nil {
		return nil, err
	}
	if err := ecsTags(ctx, req, prior.PhysicalID, prior.Properties["Tags"], req.Properties["Tags"]); err != nil {
		return nil, err
	}
	if err := s.stabilize(ctx, req, cluster, prior.PhysicalID); err != nil {
		return nil, err
	}
	return nil, nil
}

func (ecsService) Delete(ctx context.Context, req *Request, prior *Prior) error {
	cluster := getStr(prior.Attributes, "ClusterArn")
	if cluster == "" {
		cluster = str(prior.Properties, "Cluster")
	}
	if _, err := call(ctx, req, "ecs", "DeleteService", map[string]any{"cluster": cluster, "service": prior.PhysicalID, "force": true}); err != nil {
		return err
	}
	// CloudFormation waits for the service to drain (services-inactive).
	return req.waitUntil(ctx, "Service "+prior.PhysicalID, func() (bool, error) {
		out, err := call(ctx, req, "ecs", "DescribeServices", map[string]any{"cluster": cluster, "services": []any{prior.PhysicalID}})
		if err != nil {
			if isNotFound(err) {
				return true, nil
			}
			return false, err
		}
		status := getStr(out, "services", "0", "status")
		return status == "" || strings.EqualFold(status, "INACTIVE"), nil
	})
}
