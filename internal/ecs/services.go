package ecs

import (
	"context"
	"slices"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// CreateServiceInput is the input of CreateService.
type CreateServiceInput struct {
	Cluster                       *string                        `json:"cluster,omitempty"`
	ServiceName                   *string                        `json:"serviceName,omitempty"`
	TaskDefinition                *string                        `json:"taskDefinition,omitempty"`
	DesiredCount                  *int32                         `json:"desiredCount,omitempty"`
	LaunchType                    string                         `json:"launchType,omitempty"`
	SchedulingStrategy            string                         `json:"schedulingStrategy,omitempty"`
	DeploymentConfiguration       *DeploymentConfiguration       `json:"deploymentConfiguration,omitempty"`
	DeploymentController          *DeploymentController          `json:"deploymentController,omitempty"`
	LoadBalancers                 []LoadBalancer                 `json:"loadBalancers,omitempty"`
	HealthCheckGracePeriodSeconds *int32                         `json:"healthCheckGracePeriodSeconds,omitempty"`
	NetworkConfiguration          *NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	PlacementConstraints          []PlacementConstraint          `json:"placementConstraints,omitempty"`
	PlacementStrategy             []PlacementStrategy            `json:"placementStrategy,omitempty"`
	CapacityProviderStrategy      []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion               *string                        `json:"platformVersion,omitempty"`
	Tags                          []Tag                          `json:"tags,omitempty"`
	PropagateTags                 string                         `json:"propagateTags,omitempty"`
	EnableECSManagedTags          bool                           `json:"enableECSManagedTags,omitempty"`
	EnableExecuteCommand          bool                           `json:"enableExecuteCommand,omitempty"`
	Role                          *string                        `json:"role,omitempty"`
	ClientToken                   *string                        `json:"clientToken,omitempty"`
}

// CreateServiceOutput is the output of CreateService.
type CreateServiceOutput struct {
	Service *ECSService `json:"service,omitempty"`
}

// UpdateServiceInput is the input of UpdateService.
type UpdateServiceInput struct {
	Cluster                       *string                        `json:"cluster,omitempty"`
	Service                       *string                        `json:"service,omitempty"`
	TaskDefinition                *string                        `json:"taskDefinition,omitempty"`
	DesiredCount                  *int32                         `json:"desiredCount,omitempty"`
	ForceNewDeployment            bool                           `json:"forceNewDeployment,omitempty"`
	DeploymentConfiguration       *DeploymentConfiguration       `json:"deploymentConfiguration,omitempty"`
	LoadBalancers                 []LoadBalancer                 `json:"loadBalancers,omitempty"`
	HealthCheckGracePeriodSeconds *int32                         `json:"healthCheckGracePeriodSeconds,omitempty"`
	NetworkConfiguration          *NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	PlacementConstraints          []PlacementConstraint          `json:"placementConstraints,omitempty"`
	PlacementStrategy             []PlacementStrategy            `json:"placementStrategy,omitempty"`
	CapacityProviderStrategy      []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion               *string                        `json:"platformVersion,omitempty"`
	PropagateTags                 string                         `json:"propagateTags,omitempty"`
	EnableECSManagedTags          *bool                          `json:"enableECSManagedTags,omitempty"`
	EnableExecuteCommand          *bool                          `json:"enableExecuteCommand,omitempty"`
}

// UpdateServiceOutput is the output of UpdateService.
type UpdateServiceOutput struct {
	Service *ECSService `json:"service,omitempty"`
}

// DescribeServicesInput is the input of DescribeServices.
type DescribeServicesInput struct {
	Cluster  *string  `json:"cluster,omitempty"`
	Services []string `json:"services,omitempty"`
	Include  []string `json:"include,omitempty"` // TAGS
}

// DescribeServicesOutput is the output of DescribeServices.
type DescribeServicesOutput struct {
	Services []ECSService `json:"services"`
	Failures []Failure    `json:"failures"`
}

// ListServicesInput is the input of ListServices.
type ListServicesInput struct {
	Cluster            *string `json:"cluster,omitempty"`
	LaunchType         string  `json:"launchType,omitempty"`
	SchedulingStrategy string  `json:"schedulingStrategy,omitempty"`
	MaxResults         *int32  `json:"maxResults,omitempty"`
	NextToken          *string `json:"nextToken,omitempty"`
}

// ListServicesOutput is the output of ListServices.
type ListServicesOutput struct {
	ServiceArns []string `json:"serviceArns"`
	NextToken   *string  `json:"nextToken,omitempty"`
}

// DeleteServiceInput is the input of DeleteService.
type DeleteServiceInput struct {
	Cluster *string `json:"cluster,omitempty"`
	Service *string `json:"service,omitempty"`
	Force   *bool   `json:"force,omitempty"`
}

// DeleteServiceOutput is the output of DeleteService.
type DeleteServiceOutput struct {
	Service *ECSService `json:"service,omitempty"`
}

// CreateService creates a REPLICA service with the ECS deployment controller and its
// first deployment (a service revision and a service deployment), with the ROLLING,
// BLUE_GREEN, LINEAR or CANARY strategy. The reconciler (Run) then starts its tasks.
func (s *Service) CreateService(ctx context.Context, in *CreateServiceInput) (*CreateServiceOutput, error) {
	name := deref(in.ServiceName)
	if name == "" {
		return nil, errInvalid("serviceName is required.")
	}
	if !validName(name) {
		return nil, errInvalid("Invalid serviceName '%s': %s.", name, nameRule)
	}
	switch in.SchedulingStrategy {
	case "", "REPLICA":
	case "DAEMON":
		return nil, errUnsupported("Wharf supports only the REPLICA scheduling strategy.")
	default:
		return nil, errInvalid("schedulingStrategy must be REPLICA or DAEMON, got '%s'.", in.SchedulingStrategy)
	}
	if in.DeploymentController != nil && in.DeploymentController.Type != "ECS" {
		switch in.DeploymentController.Type {
		case "CODE_DEPLOY", "EXTERNAL":
			return nil, errUnsupported("Wharf supports only the ECS deployment controller, not %s.", in.DeploymentController.Type)
		default:
			return nil, errInvalid("deploymentController.type must be ECS, CODE_DEPLOY or EXTERNAL, got '%s'.", in.DeploymentController.Type)
		}
	}
	if in.DesiredCount == nil {
		return nil, errInvalid("desiredCount is required for the REPLICA scheduling strategy.")
	}
	if *in.DesiredCount < 0 {
		return nil, errInvalid("desiredCount must not be negative, got %d.", *in.DesiredCount)
	}
	if err := validateLaunchType(in.LaunchType); err != nil {
		return nil, err
	}
	if err := validatePropagateTags(in.PropagateTags); err != nil {
		return nil, err
	}
	if g := in.HealthCheckGracePeriodSeconds; g != nil && *g < 0 {
		return nil, errInvalid("healthCheckGracePeriodSeconds must not be negative, got %d.", *g)
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	dc, err := buildDeploymentConfig(nil, in.DeploymentConfiguration)
	if err != nil {
		return nil, err
	}
	if err := s.checkLoadBalancerShapes(in.LoadBalancers); err != nil {
		return nil, err
	}
	if err := s.checkStrategyLoadBalancers(dc.Strategy, in.LoadBalancers); err != nil {
		return nil, err
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	// The load balancers are asked before the transaction: they may share the store.
	if err := s.checkTargetGroups(ctx, in.LoadBalancers); err != nil {
		return nil, err
	}
	if err := s.checkAdvancedResources(ctx, in.LoadBalancers); err != nil {
		return nil, err
	}
	var out ECSService
	err = s.update(ctx, func(tx *store.Tx) error {
		if _, err := activeCluster(tx, cluster); err != nil {
			return err
		}
		var old serviceRecord
		found, err := get(tx, bucketServices, childKey(cluster, name), &old)
		if err != nil {
			return err
		}
		if found {
			switch old.Service.Status {
			case "ACTIVE":
				return errInvalid("Creation of service was not idempotent.")
			case "DRAINING":
				return errInvalid("Unable to Start a service that is still Draining.")
			}
		}
		td, err := s.usableTaskDef(tx, deref(in.TaskDefinition))
		if err != nil {
			return err
		}
		if err := checkLoadBalancers(td.Def, in.LoadBalancers); err != nil {
			return err
		}
		now := s.now()
		launchType := in.LaunchType
		if launchType == "" {
			launchType = "EC2"
		}
		propagate := in.PropagateTags
		if propagate == "" {
			propagate = "NONE"
		}
		svc := ECSService{
			ServiceArn:                    s.serviceARN(cluster, name),
			ServiceName:                   name,
			ClusterArn:                    s.clusterARN(cluster),
			Status:                        "ACTIVE",
			DesiredCount:                  *in.DesiredCount,
			LaunchType:                    launchType,
			TaskDefinition:                td.Def.TaskDefinitionArn,
			DeploymentConfiguration:       dc,
			DeploymentController:          &DeploymentController{Type: "ECS"},
			Events:                        []ServiceEvent{},
			LoadBalancers:                 in.LoadBalancers,
			NetworkConfiguration:          in.NetworkConfiguration,
			PlacementConstraints:          in.PlacementConstraints,
			PlacementStrategy:             in.PlacementStrategy,
			CapacityProviderStrategy:      in.CapacityProviderStrategy,
			PlatformVersion:               deref(in.PlatformVersion),
			HealthCheckGracePeriodSeconds: in.HealthCheckGracePeriodSeconds,
			SchedulingStrategy:            "REPLICA",
			CreatedAt:                     ptr(now),
			EnableECSManagedTags:          in.EnableECSManagedTags,
			EnableExecuteCommand:          in.EnableExecuteCommand,
			PropagateTags:                 propagate,
			Tags:                          in.Tags,
		}
		if svc.HealthCheckGracePeriodSeconds == nil {
			svc.HealthCheckGracePeriodSeconds = ptr(int32(0))
		}
		if svc.LoadBalancers == nil {
			svc.LoadBalancers = []LoadBalancer{}
		}
		if p, ok := awsapi.PrincipalFrom(ctx); ok {
			svc.CreatedBy = p.ARN
		}
		svc.Deployments = []Deployment{}
		rec := serviceRecord{Service: svc}
		if err := s.startDeployment(tx, &rec, cluster, now); err != nil {
			return err
		}
		if err := tx.Put(bucketServices, childKey(cluster, name), rec); err != nil {
			return err
		}
		out, err = s.serviceView(tx, rec, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &CreateServiceOutput{Service: &out}, nil
}

// newDeployment returns a new PRIMARY deployment of svc's task definition.
func newDeployment(svc *ECSService, now time.Time) Deployment {
	id := newDeploymentID()
	return Deployment{
		Id:                   id,
		Status:               "PRIMARY",
		TaskDefinition:       svc.TaskDefinition,
		DesiredCount:         svc.DesiredCount,
		CreatedAt:            ptr(now),
		UpdatedAt:            ptr(now),
		LaunchType:           svc.LaunchType,
		RolloutState:         "IN_PROGRESS",
		RolloutStateReason:   "ECS deployment " + id + " in progress.",
		NetworkConfiguration: svc.NetworkConfiguration,
	}
}

func validatePropagateTags(v string) error {
	switch v {
	case "", "NONE", "SERVICE", "TASK_DEFINITION":
		return nil
	}
	return errInvalid("propagateTags must be TASK_DEFINITION, SERVICE or NONE, got '%s'.", v)
}

// checkLoadBalancers checks that each load balancer names a container port of td (the
// rest is checked by checkLoadBalancerShapes).
func checkLoadBalancers(td TaskDefinition, lbs []LoadBalancer) error {
	for _, lb := range lbs {
		j := slices.IndexFunc(td.ContainerDefinitions, func(c ContainerDefinition) bool { return c.Name == lb.ContainerName })
		if j < 0 {
			return errInvalid("The container %s does not exist in the task definition.", lb.ContainerName)
		}
		if !slices.ContainsFunc(td.ContainerDefinitions[j].PortMappings, func(pm PortMapping) bool {
			return deref(pm.ContainerPort) == deref(lb.ContainerPort)
		}) {
			return errInvalid("The container %s did not have a container port %d defined.", lb.ContainerName, deref(lb.ContainerPort))
		}
	}
	return nil
}

// lookupService reads a service given by name or ARN in cluster.
func (s *Service) lookupService(tx *store.Tx, cluster, ref string) (serviceRecord, bool, error) {
	var rec serviceRecord
	name, ok := s.childName("service", cluster, ref)
	if !ok {
		return rec, false, nil
	}
	found, err := get(tx, bucketServices, childKey(cluster, name), &rec)
	return rec, found, err
}

// UpdateService changes a service's desired count, task definition, load balancers or
// deployment configuration. A new task definition, a change of load balancers (or
// forceNewDeployment) starts a new PRIMARY deployment, with its service revision and
// service deployment (superseding one in progress); the reconciler rolls the tasks
// over with the service's strategy.
func (s *Service) UpdateService(ctx context.Context, in *UpdateServiceInput) (*UpdateServiceOutput, error) {
	if deref(in.Service) == "" {
		return nil, errInvalid("service is required.")
	}
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return nil, errInvalid("desiredCount must not be negative, got %d.", *in.DesiredCount)
	}
	if err := validatePropagateTags(in.PropagateTags); err != nil {
		return nil, err
	}
	if g := in.HealthCheckGracePeriodSeconds; g != nil && *g < 0 {
		return nil, errInvalid("healthCheckGracePeriodSeconds must not be negative, got %d.", *g)
	}
	if err := s.checkLoadBalancerShapes(in.LoadBalancers); err != nil {
		return nil, err
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	// The load balancers are asked before the transaction: they may share the store.
	if err := s.checkTargetGroups(ctx, in.LoadBalancers); err != nil {
		return nil, err
	}
	if err := s.checkAdvancedResources(ctx, in.LoadBalancers); err != nil {
		return nil, err
	}
	var out ECSService
	err = s.update(ctx, func(tx *store.Tx) error {
		if _, err := activeCluster(tx, cluster); err != nil {
			return err
		}
		rec, found, err := s.lookupService(tx, cluster, *in.Service)
		if err != nil {
			return err
		}
		if !found {
			return errServiceNotFound()
		}
		svc := &rec.Service
		if svc.Status != "ACTIVE" {
			return errServiceNotActive()
		}
		dc, err := buildDeploymentConfig(svc.DeploymentConfiguration, in.DeploymentConfiguration)
		if err != nil {
			return err
		}
		svc.DeploymentConfiguration = dc
		newDef := svc.TaskDefinition
		td, err := s.taskDefByARN(tx, svc.TaskDefinition)
		if err != nil {
			return err
		}
		if ref := deref(in.TaskDefinition); ref != "" {
			if td, err = s.usableTaskDef(tx, ref); err != nil {
				return err
			}
			newDef = td.Def.TaskDefinitionArn
		}
		lbs := svc.LoadBalancers
		if in.LoadBalancers != nil {
			lbs = in.LoadBalancers
		}
		if err := checkLoadBalancers(td.Def, lbs); err != nil {
			return err
		}
		if err := s.checkStrategyLoadBalancers(dc.Strategy, lbs); err != nil {
			return err
		}
		lbChanged := !sameLoadBalancers(svc.LoadBalancers, lbs)
		svc.LoadBalancers = lbs
		if in.DesiredCount != nil {
			svc.DesiredCount = *in.DesiredCount
		}
		if in.HealthCheckGracePeriodSeconds != nil {
			svc.HealthCheckGracePeriodSeconds = ptr(*in.HealthCheckGracePeriodSeconds)
		}
		if in.NetworkConfiguration != nil {
			svc.NetworkConfiguration = in.NetworkConfiguration
		}
		if in.PlacementConstraints != nil {
			svc.PlacementConstraints = in.PlacementConstraints
		}
		if in.PlacementStrategy != nil {
			svc.PlacementStrategy = in.PlacementStrategy
		}
		if in.CapacityProviderStrategy != nil {
			svc.CapacityProviderStrategy = in.CapacityProviderStrategy
		}
		if in.PlatformVersion != nil {
			svc.PlatformVersion = *in.PlatformVersion
		}
		if in.PropagateTags != "" {
			svc.PropagateTags = in.PropagateTags
		}
		if in.EnableECSManagedTags != nil {
			svc.EnableECSManagedTags = *in.EnableECSManagedTags
		}
		if in.EnableExecuteCommand != nil {
			svc.EnableExecuteCommand = *in.EnableExecuteCommand
		}
		now := s.now()
		// As in ECS, new load balancers take a new deployment: each task keeps the
		// target groups it started with.
		if newDef != svc.TaskDefinition || in.ForceNewDeployment || lbChanged {
			svc.TaskDefinition = newDef
			if err := s.startDeployment(tx, &rec, cluster, now); err != nil {
				return err
			}
		}
		for i := range svc.Deployments {
			if svc.Deployments[i].Status == "PRIMARY" && svc.Deployments[i].DesiredCount != svc.DesiredCount {
				svc.Deployments[i].DesiredCount = svc.DesiredCount
				svc.Deployments[i].UpdatedAt = ptr(now)
			}
		}
		rec.Steady = false
		if err := tx.Put(bucketServices, childKey(cluster, svc.ServiceName), rec); err != nil {
			return err
		}
		out, err = s.serviceView(tx, rec, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &UpdateServiceOutput{Service: &out}, nil
}

// DescribeServices describes up to 10 services by name or ARN, INACTIVE ones included
// for a while after their deletion. Tags come with include TAGS.
func (s *Service) DescribeServices(ctx context.Context, in *DescribeServicesInput) (*DescribeServicesOutput, error) {
	if err := checkBatch("services", len(in.Services), 10); err != nil {
		return nil, err
	}
	inc, err := includes("include", in.Include, "TAGS")
	if err != nil {
		return nil, err
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &DescribeServicesOutput{Services: []ECSService{}, Failures: []Failure{}}
	err = s.view(ctx, func(tx *store.Tx) error {
		if found, err := get(tx, bucketClusters, cluster, &Cluster{}); err != nil {
			return err
		} else if !found {
			return errClusterNotFound()
		}
		for _, ref := range in.Services {
			rec, found, err := s.lookupService(tx, cluster, ref)
			if err != nil {
				return err
			}
			if !found {
				out.Failures = append(out.Failures, Failure{Arn: s.childARN("service", cluster, ref), Reason: "MISSING"})
				continue
			}
			v, err := s.serviceView(tx, rec, inc["TAGS"])
			if err != nil {
				return err
			}
			out.Services = append(out.Services, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// serviceView returns a service as the API shows it, with counts fresh from its tasks.
func (s *Service) serviceView(tx *store.Tx, rec serviceRecord, tags bool) (ECSService, error) {
	cluster, _ := clusterAndID(rec.Service.ServiceArn)
	tasks, err := serviceTasks(tx, cluster, rec.Service.ServiceName)
	if err != nil {
		return ECSService{}, err
	}
	svc := rec.Service
	svc.Deployments = slices.Clone(svc.Deployments)
	countTasks(&svc, tasks)
	if !tags {
		svc.Tags = nil
	} else if svc.Tags == nil {
		svc.Tags = []Tag{}
	}
	return svc, nil
}

// serviceTasks lists the tasks a service started.
func serviceTasks(tx *store.Tx, cluster, name string) ([]taskRecord, error) {
	all, err := tasksOf(tx, cluster)
	if err != nil {
		return nil, err
	}
	var out []taskRecord
	for _, r := range all {
		if r.Service == name {
			out = append(out, r)
		}
	}
	return out, nil
}

// countTasks sets the running and pending counts of a service and its deployments.
func countTasks(svc *ECSService, tasks []taskRecord) {
	svc.RunningCount, svc.PendingCount = 0, 0
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		d.RunningCount, d.PendingCount = 0, 0
		for _, r := range tasks {
			if r.Task.StartedBy != d.Id {
				continue
			}
			switch {
			case r.Task.LastStatus == StatusRunning:
				d.RunningCount++
			case isPending(r.Task.LastStatus):
				d.PendingCount++
			}
		}
		svc.RunningCount += d.RunningCount
		svc.PendingCount += d.PendingCount
	}
}

// ListServices lists the ARNs of a cluster's services that are not INACTIVE.
func (s *Service) ListServices(ctx context.Context, in *ListServicesInput) (*ListServicesOutput, error) {
	if err := validateLaunchType(in.LaunchType); err != nil {
		return nil, err
	}
	switch in.SchedulingStrategy {
	case "", "REPLICA", "DAEMON":
	default:
		return nil, errInvalid("schedulingStrategy must be REPLICA or DAEMON, got '%s'.", in.SchedulingStrategy)
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	var keys, arns []string
	err = s.view(ctx, func(tx *store.Tx) error {
		if found, err := get(tx, bucketClusters, cluster, &Cluster{}); err != nil {
			return err
		} else if !found {
			return errClusterNotFound()
		}
		services, err := servicesOf(tx, cluster)
		for _, r := range services {
			svc := r.Service
			if svc.Status == "INACTIVE" ||
				in.LaunchType != "" && svc.LaunchType != in.LaunchType ||
				in.SchedulingStrategy != "" && svc.SchedulingStrategy != in.SchedulingStrategy {
				continue
			}
			keys = append(keys, svc.ServiceName)
			arns = append(arns, svc.ServiceArn)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	lo, hi, next, err := page(keys, false, in.NextToken, in.MaxResults, 10)
	if err != nil {
		return nil, err
	}
	return &ListServicesOutput{ServiceArns: append([]string{}, arns[lo:hi]...), NextToken: next}, nil
}

// DeleteService deletes a service: it turns DRAINING with a desired count of 0, its
// tasks are stopped, and it becomes INACTIVE once none runs. A service scaled above 0
// needs force.
func (s *Service) DeleteService(ctx context.Context, in *DeleteServiceInput) (*DeleteServiceOutput, error) {
	if deref(in.Service) == "" {
		return nil, errInvalid("service is required.")
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	var out ECSService
	err = s.update(ctx, func(tx *store.Tx) error {
		if _, err := activeCluster(tx, cluster); err != nil {
			return err
		}
		rec, found, err := s.lookupService(tx, cluster, *in.Service)
		if err != nil {
			return err
		}
		if !found {
			return errServiceNotFound()
		}
		svc := &rec.Service
		switch svc.Status {
		case "INACTIVE":
			return errServiceNotActive()
		case "ACTIVE":
			if svc.DesiredCount > 0 && !deref(in.Force) {
				return errInvalid("The service cannot be stopped while it is scaled above 0.")
			}
			svc.Status = "DRAINING"
			svc.DesiredCount = 0
			rec.Steady = false
			for i := range svc.Deployments {
				svc.Deployments[i].DesiredCount = 0
			}
			if err := tx.Put(bucketServices, childKey(cluster, svc.ServiceName), rec); err != nil {
				return err
			}
			tasks, err := serviceTasks(tx, cluster, svc.ServiceName)
			if err != nil {
				return err
			}
			for i := range tasks {
				if s.stopTask(&tasks[i], StopCodeServiceSchedulerInitiated, scalingReason(tasks[i].Task.StartedBy)) {
					if err := putTask(tx, &tasks[i]); err != nil {
						return err
					}
				}
			}
		}
		out, err = s.serviceView(tx, rec, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &DeleteServiceOutput{Service: &out}, nil
}

// scalingReason is the stoppedReason of a task the service scheduler scales in.
func scalingReason(deployment string) string {
	return "Scaling activity initiated by (deployment " + deployment + ")"
}
