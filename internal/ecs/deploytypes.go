package ecs

import "time"

// The shapes of service deployments and service revisions, after the ECS API model.

// Service deployment statuses.
const (
	sdPending            = "PENDING"
	sdInProgress         = "IN_PROGRESS"
	sdSuccessful         = "SUCCESSFUL"
	sdStopped            = "STOPPED"
	sdStopRequested      = "STOP_REQUESTED"
	sdRollbackRequested  = "ROLLBACK_REQUESTED"
	sdRollbackInProgress = "ROLLBACK_IN_PROGRESS"
	sdRollbackSuccessful = "ROLLBACK_SUCCESSFUL"
	sdRollbackFailed     = "ROLLBACK_FAILED"
)

// Deployment strategies.
const (
	strategyRolling   = "ROLLING"
	strategyBlueGreen = "BLUE_GREEN"
	strategyLinear    = "LINEAR"
	strategyCanary    = "CANARY"
)

// Lifecycle stages of a service deployment (ServiceDeployment.lifecycleStage), and the
// stages a lifecycle hook can run at (which add PRE_PRODUCTION_TRAFFIC_SHIFT).
const (
	stageReconcileService        = "RECONCILE_SERVICE"
	stagePreScaleUp              = "PRE_SCALE_UP"
	stageScaleUp                 = "SCALE_UP"
	stagePostScaleUp             = "POST_SCALE_UP"
	stageTestTrafficShift        = "TEST_TRAFFIC_SHIFT"
	stagePostTestTrafficShift    = "POST_TEST_TRAFFIC_SHIFT"
	stagePreProductionShift      = "PRE_PRODUCTION_TRAFFIC_SHIFT"
	stageProductionTrafficShift  = "PRODUCTION_TRAFFIC_SHIFT"
	stagePostProductionShift     = "POST_PRODUCTION_TRAFFIC_SHIFT"
	stageBakeTime                = "BAKE_TIME"
	stageCleanUp                 = "CLEAN_UP"
	monitorDisabled              = "DISABLED"
	monitorMonitoring            = "MONITORING"
	monitorTriggered             = "TRIGGERED"
	monitorMonitoringComplete    = "MONITORING_COMPLETE"
	hookAwaitingAction           = "AWAITING_ACTION"
	hookSucceeded                = "SUCCEEDED"
	hookFailed                   = "FAILED"
	hookTimedOut                 = "TIMED_OUT"
	hookActionContinue           = "CONTINUE"
	hookActionRollback           = "ROLLBACK"
	hookTargetLambda             = "AWS_LAMBDA"
	hookTargetPause              = "PAUSE"
	defaultHookTimeoutMinutes    = 1440
	defaultCanaryPercent         = 5.0
	defaultCanaryBakeTimeMinutes = 10
	defaultLinearStepPercent     = 10.0
	defaultLinearStepBakeMinutes = 6
)

// hookStages are the stages a lifecycle hook may name, in the order they come.
var hookStages = []string{
	stageReconcileService, stagePreScaleUp, stagePostScaleUp, stageTestTrafficShift,
	stagePostTestTrafficShift, stagePreProductionShift, stageProductionTrafficShift, stagePostProductionShift,
}

// ServiceRevisionSummary is a service revision in a service deployment, with its task
// counts and the share of the traffic it was given.
type ServiceRevisionSummary struct {
	Arn                              string   `json:"arn,omitempty"`
	RequestedTaskCount               int32    `json:"requestedTaskCount"`
	RunningTaskCount                 int32    `json:"runningTaskCount"`
	PendingTaskCount                 int32    `json:"pendingTaskCount"`
	RequestedProductionTrafficWeight *float64 `json:"requestedProductionTrafficWeight,omitempty"`
	RequestedTestTrafficWeight       *float64 `json:"requestedTestTrafficWeight,omitempty"`
}

// Rollback says why and when a service deployment rolled back, and to which revision.
type Rollback struct {
	Reason             string     `json:"reason,omitempty"`
	StartedAt          *time.Time `json:"startedAt,omitempty"`
	ServiceRevisionArn string     `json:"serviceRevisionArn,omitempty"`
}

// ServiceDeploymentCircuitBreaker is the circuit breaker of a service deployment.
type ServiceDeploymentCircuitBreaker struct {
	Status       string `json:"status,omitempty"` // TRIGGERED, MONITORING, MONITORING_COMPLETE, DISABLED
	FailureCount int32  `json:"failureCount"`
	Threshold    int32  `json:"threshold"`
}

// ServiceDeploymentAlarms is the alarm monitoring of a service deployment.
type ServiceDeploymentAlarms struct {
	Status              string   `json:"status,omitempty"`
	AlarmNames          []string `json:"alarmNames,omitempty"`
	TriggeredAlarmNames []string `json:"triggeredAlarmNames,omitempty"`
}

// DeploymentLifecycleHookDetail is one run of a lifecycle hook in a service deployment;
// ContinueServiceDeployment acts on it by its hookId.
type DeploymentLifecycleHookDetail struct {
	HookId        string     `json:"hookId,omitempty"`
	Status        string     `json:"status,omitempty"` // AWAITING_ACTION, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT
	TargetArn     string     `json:"targetArn,omitempty"`
	TargetType    string     `json:"targetType,omitempty"`
	TimeoutAction string     `json:"timeoutAction,omitempty"`
	ExpiresAt     *time.Time `json:"expiresAt,omitempty"`
}

// ServiceDeployment is the rollout of a service revision: from the revisions that ran
// (sourceServiceRevisions) to the target one.
type ServiceDeployment struct {
	ServiceDeploymentArn     string                           `json:"serviceDeploymentArn,omitempty"`
	ServiceArn               string                           `json:"serviceArn,omitempty"`
	ClusterArn               string                           `json:"clusterArn,omitempty"`
	CreatedAt                *time.Time                       `json:"createdAt,omitempty"`
	StartedAt                *time.Time                       `json:"startedAt,omitempty"`
	FinishedAt               *time.Time                       `json:"finishedAt,omitempty"`
	StoppedAt                *time.Time                       `json:"stoppedAt,omitempty"`
	UpdatedAt                *time.Time                       `json:"updatedAt,omitempty"`
	SourceServiceRevisions   []ServiceRevisionSummary         `json:"sourceServiceRevisions"`
	TargetServiceRevision    *ServiceRevisionSummary          `json:"targetServiceRevision,omitempty"`
	Status                   string                           `json:"status,omitempty"`
	StatusReason             string                           `json:"statusReason,omitempty"`
	LifecycleStage           string                           `json:"lifecycleStage,omitempty"`
	DeploymentConfiguration  *DeploymentConfiguration         `json:"deploymentConfiguration,omitempty"`
	Rollback                 *Rollback                        `json:"rollback,omitempty"`
	DeploymentCircuitBreaker *ServiceDeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	Alarms                   *ServiceDeploymentAlarms         `json:"alarms,omitempty"`
	LifecycleHookDetails     []DeploymentLifecycleHookDetail  `json:"lifecycleHookDetails,omitempty"`
}

// ServiceDeploymentBrief is a service deployment as ListServiceDeployments lists it.
type ServiceDeploymentBrief struct {
	ServiceDeploymentArn     string     `json:"serviceDeploymentArn,omitempty"`
	ServiceArn               string     `json:"serviceArn,omitempty"`
	ClusterArn               string     `json:"clusterArn,omitempty"`
	CreatedAt                *time.Time `json:"createdAt,omitempty"`
	StartedAt                *time.Time `json:"startedAt,omitempty"`
	FinishedAt               *time.Time `json:"finishedAt,omitempty"`
	TargetServiceRevisionArn string     `json:"targetServiceRevisionArn,omitempty"`
	Status                   string     `json:"status,omitempty"`
	StatusReason             string     `json:"statusReason,omitempty"`
}

// ContainerImage is an image a service revision runs.
type ContainerImage struct {
	ContainerName string `json:"containerName,omitempty"`
	Image         string `json:"image,omitempty"`
	ImageDigest   string `json:"imageDigest,omitempty"`
}

// ServiceRevisionLoadBalancer is the target group a service revision's tasks serve
// behind, and the production listener rule that sends traffic there.
type ServiceRevisionLoadBalancer struct {
	TargetGroupArn         string `json:"targetGroupArn,omitempty"`
	ProductionListenerRule string `json:"productionListenerRule,omitempty"`
}

// ResolvedConfiguration is what a service revision resolved to: for the blue/green
// strategies, which of the two target groups its tasks use.
type ResolvedConfiguration struct {
	LoadBalancers []ServiceRevisionLoadBalancer `json:"loadBalancers,omitempty"`
}

// ServiceRevision is a version of a service: its task definition and the configuration
// its tasks run with. Every deployment makes one.
type ServiceRevision struct {
	ServiceRevisionArn       string                         `json:"serviceRevisionArn,omitempty"`
	ServiceArn               string                         `json:"serviceArn,omitempty"`
	ClusterArn               string                         `json:"clusterArn,omitempty"`
	TaskDefinition           string                         `json:"taskDefinition,omitempty"`
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	LaunchType               string                         `json:"launchType,omitempty"`
	PlatformVersion          string                         `json:"platformVersion,omitempty"`
	LoadBalancers            []LoadBalancer                 `json:"loadBalancers,omitempty"`
	NetworkConfiguration     *NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	ContainerImages          []ContainerImage               `json:"containerImages,omitempty"`
	GuardDutyEnabled         bool                           `json:"guardDutyEnabled"`
	CreatedAt                *time.Time                     `json:"createdAt,omitempty"`
	ResolvedConfiguration    *ResolvedConfiguration         `json:"resolvedConfiguration,omitempty"`
}
