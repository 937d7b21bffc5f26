package ecs

import "time"

// The shapes below follow the ECS API model (member names, optionality, enums); they are
// both what the API returns and what the store keeps.

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// KeyValuePair is a name/value pair (environment variables, statistics).
type KeyValuePair struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// ClusterSetting is a cluster setting such as containerInsights.
type ClusterSetting struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// Cluster is an ECS cluster.
type Cluster struct {
	ClusterArn                        string           `json:"clusterArn,omitempty"`
	ClusterName                       string           `json:"clusterName,omitempty"`
	Status                            string           `json:"status,omitempty"` // ACTIVE, INACTIVE
	RegisteredContainerInstancesCount int32            `json:"registeredContainerInstancesCount"`
	RunningTasksCount                 int32            `json:"runningTasksCount"`
	PendingTasksCount                 int32            `json:"pendingTasksCount"`
	ActiveServicesCount               int32            `json:"activeServicesCount"`
	Settings                          []ClusterSetting `json:"settings,omitempty"`
	Statistics                        []KeyValuePair   `json:"statistics,omitempty"`
	Tags                              []Tag            `json:"tags,omitempty"`
	CapacityProviders                 []string         `json:"capacityProviders,omitempty"`
	// DefaultCapacityProviderStrategy is accepted and echoed; Wharf places every task on
	// its own nodes.
	DefaultCapacityProviderStrategy []CapacityProviderStrategyItem `json:"defaultCapacityProviderStrategy,omitempty"`
}

// CapacityProviderStrategyItem weights a capacity provider; accepted and echoed.
type CapacityProviderStrategyItem struct {
	CapacityProvider string `json:"capacityProvider"`
	Weight           int32  `json:"weight"`
	Base             int32  `json:"base"`
}

// NetworkConfiguration is the awsvpc configuration of a service or task; accepted and
// echoed (a Wharf task shares its node's networking).
type NetworkConfiguration struct {
	AwsvpcConfiguration *AwsVpcConfiguration `json:"awsvpcConfiguration,omitempty"`
}

// AwsVpcConfiguration names the subnets and security groups of awsvpc tasks.
type AwsVpcConfiguration struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups,omitempty"`
	AssignPublicIp string   `json:"assignPublicIp,omitempty"` // ENABLED, DISABLED
}

// PlacementConstraint is a task placement constraint; accepted and echoed.
type PlacementConstraint struct {
	Type       string `json:"type,omitempty"` // distinctInstance, memberOf
	Expression string `json:"expression,omitempty"`
}

// PlacementStrategy is a task placement strategy; accepted and echoed (Wharf spreads
// tasks over the instances with the most memory left).
type PlacementStrategy struct {
	Type  string `json:"type,omitempty"` // random, spread, binpack
	Field string `json:"field,omitempty"`
}

// PortMapping maps a container port to a host port.
type PortMapping struct {
	ContainerPort *int32 `json:"containerPort,omitempty"`
	HostPort      *int32 `json:"hostPort,omitempty"`
	Protocol      string `json:"protocol,omitempty"` // tcp, udp
	Name          string `json:"name,omitempty"`
	AppProtocol   string `json:"appProtocol,omitempty"`
}

// HealthCheck is a container health check; intervals are in seconds.
type HealthCheck struct {
	Command     []string `json:"command"`
	Interval    *int32   `json:"interval,omitempty"`    // default 30, 5-300
	Timeout     *int32   `json:"timeout,omitempty"`     // default 5, 2-120
	Retries     *int32   `json:"retries,omitempty"`     // default 3, 1-10
	StartPeriod *int32   `json:"startPeriod,omitempty"` // default 0, 0-300
}

// LogConfiguration selects a container's log driver.
type LogConfiguration struct {
	LogDriver     string            `json:"logDriver"`
	Options       map[string]string `json:"options,omitempty"`
	SecretOptions []Secret          `json:"secretOptions,omitempty"`
}

// Secret injects a secret from SSM Parameter Store or Secrets Manager as an env var.
type Secret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// ContainerDependency orders container startup: condition START, COMPLETE, SUCCESS or HEALTHY.
type ContainerDependency struct {
	ContainerName string `json:"containerName"`
	Condition     string `json:"condition"`
}

// ContainerDefinition describes one container of a task definition.
type ContainerDefinition struct {
	Name              string                `json:"name,omitempty"`
	Image             string                `json:"image,omitempty"`
	Cpu               int32                 `json:"cpu"`
	Memory            *int32                `json:"memory,omitempty"`
	MemoryReservation *int32                `json:"memoryReservation,omitempty"`
	Essential         *bool                 `json:"essential,omitempty"`
	EntryPoint        []string              `json:"entryPoint,omitempty"`
	Command           []string              `json:"command,omitempty"`
	Environment       []KeyValuePair        `json:"environment"`
	PortMappings      []PortMapping         `json:"portMappings"`
	HealthCheck       *HealthCheck          `json:"healthCheck,omitempty"`
	LogConfiguration  *LogConfiguration     `json:"logConfiguration,omitempty"`
	Secrets           []Secret              `json:"secrets,omitempty"`
	DependsOn         []ContainerDependency `json:"dependsOn,omitempty"`
	StopTimeout       *int32                `json:"stopTimeout,omitempty"`
	StartTimeout      *int32                `json:"startTimeout,omitempty"`
	WorkingDirectory  string                `json:"workingDirectory,omitempty"`
	User              string                `json:"user,omitempty"`
	MountPoints       []MountPoint          `json:"mountPoints"`
	VolumesFrom       []VolumeFrom          `json:"volumesFrom"`
	DockerLabels      map[string]string     `json:"dockerLabels,omitempty"`
}

// MountPoint is accepted and echoed; Wharf does not mount volumes yet.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume,omitempty"`
	ContainerPath string `json:"containerPath,omitempty"`
	ReadOnly      *bool  `json:"readOnly,omitempty"`
}

// VolumeFrom is accepted and echoed; Wharf does not mount volumes yet.
type VolumeFrom struct {
	SourceContainer string `json:"sourceContainer,omitempty"`
	ReadOnly        *bool  `json:"readOnly,omitempty"`
}

// Attribute is a container instance or task definition attribute.
type Attribute struct {
	Name       string `json:"name"`
	Value      string `json:"value,omitempty"`
	TargetType string `json:"targetType,omitempty"`
	TargetId   string `json:"targetId,omitempty"`
}

// TaskDefinition is one revision of a task definition family.
type TaskDefinition struct {
	TaskDefinitionArn       string                `json:"taskDefinitionArn,omitempty"`
	Family                  string                `json:"family,omitempty"`
	Revision                int32                 `json:"revision"`
	Status                  string                `json:"status,omitempty"` // ACTIVE, INACTIVE, DELETE_IN_PROGRESS
	ContainerDefinitions    []ContainerDefinition `json:"containerDefinitions,omitempty"`
	NetworkMode             string                `json:"networkMode,omitempty"` // bridge, host, awsvpc, none
	TaskRoleArn             string                `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn        string                `json:"executionRoleArn,omitempty"`
	Cpu                     string                `json:"cpu,omitempty"`
	Memory                  string                `json:"memory,omitempty"`
	RequiresCompatibilities []string              `json:"requiresCompatibilities,omitempty"`
	Compatibilities         []string              `json:"compatibilities,omitempty"`
	RequiresAttributes      []Attribute           `json:"requiresAttributes,omitempty"`
	Volumes                 []any                 `json:"volumes"`
	PlacementConstraints    []any                 `json:"placementConstraints"`
	RegisteredAt            *time.Time            `json:"registeredAt,omitempty"`
	RegisteredBy            string                `json:"registeredBy,omitempty"`
	DeregisteredAt          *time.Time            `json:"deregisteredAt,omitempty"`
	DeleteRequestedAt       *time.Time            `json:"deleteRequestedAt,omitempty"`
	// Tags are kept with the definition but returned only when asked (include TAGS).
	Tags []Tag `json:"-"`
}

// NetworkBinding is a port mapping as made for a running container.
type NetworkBinding struct {
	BindIP        string `json:"bindIP,omitempty"`
	ContainerPort *int32 `json:"containerPort,omitempty"`
	HostPort      *int32 `json:"hostPort,omitempty"`
	Protocol      string `json:"protocol,omitempty"`
}

// Container is a container of a task as observed.
type Container struct {
	ContainerArn      string           `json:"containerArn,omitempty"`
	TaskArn           string           `json:"taskArn,omitempty"`
	Name              string           `json:"name,omitempty"`
	Image             string           `json:"image,omitempty"`
	RuntimeId         string           `json:"runtimeId,omitempty"`
	LastStatus        string           `json:"lastStatus,omitempty"`
	ExitCode          *int32           `json:"exitCode,omitempty"`
	Reason            string           `json:"reason,omitempty"`
	NetworkBindings   []NetworkBinding `json:"networkBindings,omitempty"`
	HealthStatus      string           `json:"healthStatus,omitempty"` // HEALTHY, UNHEALTHY, UNKNOWN
	Cpu               string           `json:"cpu,omitempty"`
	Memory            string           `json:"memory,omitempty"`
	MemoryReservation string           `json:"memoryReservation,omitempty"`
}

// ContainerOverride overrides a container's command and environment for one task.
type ContainerOverride struct {
	Name              string         `json:"name,omitempty"`
	Command           []string       `json:"command,omitempty"`
	Environment       []KeyValuePair `json:"environment,omitempty"`
	Cpu               *int32         `json:"cpu,omitempty"`
	Memory            *int32         `json:"memory,omitempty"`
	MemoryReservation *int32         `json:"memoryReservation,omitempty"`
}

// TaskOverride overrides parts of the task definition for one task.
type TaskOverride struct {
	ContainerOverrides []ContainerOverride `json:"containerOverrides"`
	Cpu                string              `json:"cpu,omitempty"`
	Memory             string              `json:"memory,omitempty"`
	TaskRoleArn        string              `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn   string              `json:"executionRoleArn,omitempty"`
}

// Task statuses, as ECS reports them in lastStatus and desiredStatus.
const (
	StatusProvisioning   = "PROVISIONING"
	StatusPending        = "PENDING"
	StatusActivating     = "ACTIVATING"
	StatusRunning        = "RUNNING"
	StatusDeactivating   = "DEACTIVATING"
	StatusStopping       = "STOPPING"
	StatusDeprovisioning = "DEPROVISIONING"
	StatusStopped        = "STOPPED"
)

// Stop codes of a stopped task.
const (
	StopCodeTaskFailedToStart         = "TaskFailedToStart"
	StopCodeEssentialContainerExited  = "EssentialContainerExited"
	StopCodeUserInitiated             = "UserInitiated"
	StopCodeServiceSchedulerInitiated = "ServiceSchedulerInitiated"
)

// Task is a running (or stopped) instantiation of a task definition.
type Task struct {
	TaskArn              string        `json:"taskArn,omitempty"`
	ClusterArn           string        `json:"clusterArn,omitempty"`
	TaskDefinitionArn    string        `json:"taskDefinitionArn,omitempty"`
	ContainerInstanceArn string        `json:"containerInstanceArn,omitempty"`
	Overrides            *TaskOverride `json:"overrides,omitempty"`
	LastStatus           string        `json:"lastStatus,omitempty"`
	DesiredStatus        string        `json:"desiredStatus,omitempty"`
	HealthStatus         string        `json:"healthStatus,omitempty"` // HEALTHY, UNHEALTHY, UNKNOWN
	Cpu                  string        `json:"cpu,omitempty"`
	Memory               string        `json:"memory,omitempty"`
	Containers           []Container   `json:"containers,omitempty"`
	StartedBy            string        `json:"startedBy,omitempty"`
	Group                string        `json:"group,omitempty"`
	LaunchType           string        `json:"launchType,omitempty"` // EC2
	Version              int64         `json:"version"`
	StopCode             string        `json:"stopCode,omitempty"`
	StoppedReason        string        `json:"stoppedReason,omitempty"`
	Connectivity         string        `json:"connectivity,omitempty"` // CONNECTED, DISCONNECTED
	ConnectivityAt       *time.Time    `json:"connectivityAt,omitempty"`
	PullStartedAt        *time.Time    `json:"pullStartedAt,omitempty"`
	PullStoppedAt        *time.Time    `json:"pullStoppedAt,omitempty"`
	CreatedAt            *time.Time    `json:"createdAt,omitempty"`
	StartedAt            *time.Time    `json:"startedAt,omitempty"`
	StoppingAt           *time.Time    `json:"stoppingAt,omitempty"`
	StoppedAt            *time.Time    `json:"stoppedAt,omitempty"`
	ExecutionStoppedAt   *time.Time    `json:"executionStoppedAt,omitempty"`
	AvailabilityZone     string        `json:"availabilityZone,omitempty"`
	Tags                 []Tag         `json:"tags,omitempty"`
	Attributes           []Attribute   `json:"attributes,omitempty"`
}

// DeploymentCircuitBreaker fails (and optionally rolls back) a deployment whose tasks
// keep failing.
type DeploymentCircuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
	// ResetOnHealthyTask (default true) resets the failure count when a task of the
	// deployment becomes healthy.
	ResetOnHealthyTask *bool `json:"resetOnHealthyTask,omitempty"`
	// ThresholdConfiguration replaces the default threshold (50% of the desired count,
	// from 3 to 200 tasks).
	ThresholdConfiguration *ThresholdConfiguration `json:"thresholdConfiguration,omitempty"`
}

// ThresholdConfiguration sets the circuit breaker's failure threshold: a count of tasks
// (COUNT) or a percentage of the desired count (BOUNDED_PERCENT, kept from 3 to 200
// tasks, or UNBOUNDED_PERCENT).
type ThresholdConfiguration struct {
	Type  string `json:"type"`
	Value int32  `json:"value"`
}

// DeploymentAlarms fails (and optionally rolls back) a deployment when a CloudWatch
// alarm goes into the ALARM state.
type DeploymentAlarms struct {
	AlarmNames []string `json:"alarmNames"`
	Enable     bool     `json:"enable"`
	Rollback   bool     `json:"rollback"`
}

// CanaryConfiguration is the traffic shift of a CANARY deployment: canaryPercent of the
// production traffic first, the rest after canaryBakeTimeInMinutes.
type CanaryConfiguration struct {
	CanaryPercent           *float64 `json:"canaryPercent,omitempty"`
	CanaryBakeTimeInMinutes *int32   `json:"canaryBakeTimeInMinutes,omitempty"`
}

// LinearConfiguration is the traffic shift of a LINEAR deployment: stepPercent of the
// production traffic at a time, stepBakeTimeInMinutes between the steps.
type LinearConfiguration struct {
	StepPercent           *float64 `json:"stepPercent,omitempty"`
	StepBakeTimeInMinutes *int32   `json:"stepBakeTimeInMinutes,omitempty"`
}

// DeploymentLifecycleHook stops a blue/green, linear or canary deployment at lifecycle
// stages. ECS invokes a Lambda function (AWS_LAMBDA) or waits (PAUSE) for
// ContinueServiceDeployment; Wharf, which has no Lambda, waits for every hook.
type DeploymentLifecycleHook struct {
	HookTargetArn        *string                                      `json:"hookTargetArn,omitempty"`
	RoleArn              *string                                      `json:"roleArn,omitempty"`
	LifecycleStages      []string                                     `json:"lifecycleStages,omitempty"`
	HookDetails          any                                          `json:"hookDetails,omitempty"`
	TargetType           string                                       `json:"targetType,omitempty"` // AWS_LAMBDA, PAUSE
	TimeoutConfiguration *DeploymentLifecycleHookTimeoutConfiguration `json:"timeoutConfiguration,omitempty"`
}

// DeploymentLifecycleHookTimeoutConfiguration is how long a hook may wait for an
// action (default 1440 minutes) and what is done then (default ROLLBACK).
type DeploymentLifecycleHookTimeoutConfiguration struct {
	Action           string `json:"action,omitempty"` // CONTINUE, ROLLBACK
	TimeoutInMinutes *int32 `json:"timeoutInMinutes,omitempty"`
}

// DeploymentConfiguration is how a service deploys: its strategy (ROLLING, BLUE_GREEN,
// LINEAR, CANARY) and their parameters, and what detects a failed deployment.
type DeploymentConfiguration struct {
	MaximumPercent           *int32                    `json:"maximumPercent,omitempty"`
	MinimumHealthyPercent    *int32                    `json:"minimumHealthyPercent,omitempty"`
	DeploymentCircuitBreaker *DeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	Alarms                   *DeploymentAlarms         `json:"alarms,omitempty"`
	Strategy                 string                    `json:"strategy,omitempty"`
	BakeTimeInMinutes        *int32                    `json:"bakeTimeInMinutes,omitempty"`
	CanaryConfiguration      *CanaryConfiguration      `json:"canaryConfiguration,omitempty"`
	LinearConfiguration      *LinearConfiguration      `json:"linearConfiguration,omitempty"`
	LifecycleHooks           []DeploymentLifecycleHook `json:"lifecycleHooks,omitempty"`
}

// DeploymentController names who deploys a service (ECS).
type DeploymentController struct {
	Type string `json:"type"`
}

// LoadBalancer attaches a service's container port to a target group.
type LoadBalancer struct {
	TargetGroupArn   string `json:"targetGroupArn,omitempty"`
	LoadBalancerName string `json:"loadBalancerName,omitempty"`
	ContainerName    string `json:"containerName,omitempty"`
	ContainerPort    *int32 `json:"containerPort,omitempty"`
	// AdvancedConfiguration is required by the BLUE_GREEN, LINEAR and CANARY strategies.
	AdvancedConfiguration *AdvancedConfiguration `json:"advancedConfiguration,omitempty"`
}

// AdvancedConfiguration gives the blue/green strategies a second target group and the
// listener rules (or listeners, for their default actions) whose weights they shift.
type AdvancedConfiguration struct {
	AlternateTargetGroupArn *string `json:"alternateTargetGroupArn,omitempty"`
	ProductionListenerRule  *string `json:"productionListenerRule,omitempty"`
	TestListenerRule        *string `json:"testListenerRule,omitempty"`
	RoleArn                 *string `json:"roleArn,omitempty"`
}

// Deployment is one task definition revision rolling out (or rolled out) in a service.
type Deployment struct {
	Id                   string                `json:"id,omitempty"`
	Status               string                `json:"status,omitempty"` // PRIMARY, ACTIVE, INACTIVE
	TaskDefinition       string                `json:"taskDefinition,omitempty"`
	DesiredCount         int32                 `json:"desiredCount"`
	PendingCount         int32                 `json:"pendingCount"`
	RunningCount         int32                 `json:"runningCount"`
	FailedTasks          int32                 `json:"failedTasks"`
	CreatedAt            *time.Time            `json:"createdAt,omitempty"`
	UpdatedAt            *time.Time            `json:"updatedAt,omitempty"`
	LaunchType           string                `json:"launchType,omitempty"`
	RolloutState         string                `json:"rolloutState,omitempty"` // COMPLETED, FAILED, IN_PROGRESS
	RolloutStateReason   string                `json:"rolloutStateReason,omitempty"`
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration,omitempty"`
}

// ServiceEvent is a line of a service's event log.
type ServiceEvent struct {
	Id        string     `json:"id,omitempty"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
	Message   string     `json:"message,omitempty"`
}

// ECSService is an ECS service (the API's Service shape): it keeps a number of tasks of
// a task definition running. It is named apart from Service, the control plane.
type ECSService struct {
	ServiceArn                    string                         `json:"serviceArn,omitempty"`
	ServiceName                   string                         `json:"serviceName,omitempty"`
	ClusterArn                    string                         `json:"clusterArn,omitempty"`
	Status                        string                         `json:"status,omitempty"` // ACTIVE, DRAINING, INACTIVE
	DesiredCount                  int32                          `json:"desiredCount"`
	RunningCount                  int32                          `json:"runningCount"`
	PendingCount                  int32                          `json:"pendingCount"`
	LaunchType                    string                         `json:"launchType,omitempty"`
	TaskDefinition                string                         `json:"taskDefinition,omitempty"`
	DeploymentConfiguration       *DeploymentConfiguration       `json:"deploymentConfiguration,omitempty"`
	DeploymentController          *DeploymentController          `json:"deploymentController,omitempty"`
	Deployments                   []Deployment                   `json:"deployments,omitempty"`
	Events                        []ServiceEvent                 `json:"events,omitempty"`
	LoadBalancers                 []LoadBalancer                 `json:"loadBalancers,omitempty"`
	NetworkConfiguration          *NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	PlacementConstraints          []PlacementConstraint          `json:"placementConstraints,omitempty"`
	PlacementStrategy             []PlacementStrategy            `json:"placementStrategy,omitempty"`
	CapacityProviderStrategy      []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion               string                         `json:"platformVersion,omitempty"`
	HealthCheckGracePeriodSeconds *int32                         `json:"healthCheckGracePeriodSeconds,omitempty"`
	SchedulingStrategy            string                         `json:"schedulingStrategy,omitempty"` // REPLICA, DAEMON
	CreatedAt                     *time.Time                     `json:"createdAt,omitempty"`
	CreatedBy                     string                         `json:"createdBy,omitempty"`
	EnableECSManagedTags          bool                           `json:"enableECSManagedTags"`
	PropagateTags                 string                         `json:"propagateTags,omitempty"`
	EnableExecuteCommand          bool                           `json:"enableExecuteCommand"`
	Tags                          []Tag                          `json:"tags,omitempty"`
}

// Resource is a registered or remaining resource of a container instance.
type Resource struct {
	Name           string   `json:"name,omitempty"` // CPU, MEMORY, PORTS, PORTS_UDP
	Type           string   `json:"type,omitempty"` // INTEGER, STRINGSET
	IntegerValue   int32    `json:"integerValue"`
	StringSetValue []string `json:"stringSetValue,omitempty"`
}

// VersionInfo describes the agent of a container instance.
type VersionInfo struct {
	AgentVersion  string `json:"agentVersion,omitempty"`
	AgentHash     string `json:"agentHash,omitempty"`
	DockerVersion string `json:"dockerVersion,omitempty"`
}

// ContainerInstance is a node that runs tasks: the local machine's agent registers one.
type ContainerInstance struct {
	ContainerInstanceArn string       `json:"containerInstanceArn,omitempty"`
	Ec2InstanceId        string       `json:"ec2InstanceId,omitempty"`
	Version              int64        `json:"version"`
	VersionInfo          *VersionInfo `json:"versionInfo,omitempty"`
	Status               string       `json:"status,omitempty"` // ACTIVE, DRAINING, INACTIVE
	StatusReason         string       `json:"statusReason,omitempty"`
	AgentConnected       bool         `json:"agentConnected"`
	RunningTasksCount    int32        `json:"runningTasksCount"`
	PendingTasksCount    int32        `json:"pendingTasksCount"`
	RegisteredResources  []Resource   `json:"registeredResources,omitempty"`
	RemainingResources   []Resource   `json:"remainingResources,omitempty"`
	Attributes           []Attribute  `json:"attributes,omitempty"`
	RegisteredAt         *time.Time   `json:"registeredAt,omitempty"`
	Tags                 []Tag        `json:"tags,omitempty"`
}

// Failure reports an item of a batch call that failed.
type Failure struct {
	Arn    string `json:"arn,omitempty"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}
