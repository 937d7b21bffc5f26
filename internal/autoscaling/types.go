package autoscaling

import "time"

// The shapes below follow the Application Auto Scaling API model (member names as
// the SDK spells them); the gateway's awsJson1_1 codec carries them.

// Enumerations of the model that Wharf serves.
const (
	NamespaceECS        = "ecs"
	DimensionECSDesired = "ecs:service:DesiredCount"

	PolicyTypeTargetTracking = "TargetTrackingScaling"
	PolicyTypeStep           = "StepScaling"
	PolicyTypePredictive     = "PredictiveScaling"

	AdjustmentChangeInCapacity        = "ChangeInCapacity"
	AdjustmentPercentChangeInCapacity = "PercentChangeInCapacity"
	AdjustmentExactCapacity           = "ExactCapacity"

	StatusPending     = "Pending"
	StatusInProgress  = "InProgress"
	StatusSuccessful  = "Successful"
	StatusOverridden  = "Overridden"
	StatusUnfulfilled = "Unfulfilled"
	StatusFailed      = "Failed"

	MetricECSCPU        = "ECSServiceAverageCPUUtilization"
	MetricECSMemory     = "ECSServiceAverageMemoryUtilization"
	MetricALBRequests   = "ALBRequestCountPerTarget"
	NotScaledMax        = "AlreadyAtMaxCapacity"
	NotScaledMin        = "AlreadyAtMinCapacity"
	NotScaledDesired    = "AlreadyAtDesiredCapacity"
	NotScaledFlapping   = "AutoScalingAnticipatedFlapping"
	NotScaledUnscalable = "TargetServicePutResourceAsUnscalable"
)

// SuspendedState says which kinds of scaling are suspended on a scalable target.
type SuspendedState struct {
	DynamicScalingInSuspended  *bool `json:",omitempty"`
	DynamicScalingOutSuspended *bool `json:",omitempty"`
	ScheduledScalingSuspended  *bool `json:",omitempty"`
}

// RegisterScalableTargetInput is the input of RegisterScalableTarget.
type RegisterScalableTargetInput struct {
	ServiceNamespace  string
	ResourceId        string
	ScalableDimension string
	MinCapacity       *int32            `json:",omitempty"`
	MaxCapacity       *int32            `json:",omitempty"`
	RoleARN           *string           `json:",omitempty"`
	SuspendedState    *SuspendedState   `json:",omitempty"`
	Tags              map[string]string `json:",omitempty"`
}

// RegisterScalableTargetOutput is the output of RegisterScalableTarget.
type RegisterScalableTargetOutput struct {
	ScalableTargetARN *string `json:",omitempty"`
}

// ScalableTarget is a scalable target as DescribeScalableTargets returns it.
type ScalableTarget struct {
	CreationTime      *time.Time      `json:",omitempty"`
	MaxCapacity       *int32          `json:",omitempty"`
	MinCapacity       *int32          `json:",omitempty"`
	PredictedCapacity *int32          `json:",omitempty"`
	ResourceId        string          `json:",omitempty"`
	RoleARN           string          `json:",omitempty"`
	ScalableDimension string          `json:",omitempty"`
	ScalableTargetARN string          `json:",omitempty"`
	ServiceNamespace  string          `json:",omitempty"`
	SuspendedState    *SuspendedState `json:",omitempty"`
}

// DescribeScalableTargetsInput is the input of DescribeScalableTargets.
type DescribeScalableTargetsInput struct {
	ServiceNamespace  string
	ResourceIds       []string `json:",omitempty"`
	ScalableDimension string   `json:",omitempty"`
	MaxResults        *int32   `json:",omitempty"`
	NextToken         *string  `json:",omitempty"`
}

// DescribeScalableTargetsOutput is the output of DescribeScalableTargets.
type DescribeScalableTargetsOutput struct {
	ScalableTargets []ScalableTarget
	NextToken       *string `json:",omitempty"`
}

// DeregisterScalableTargetInput is the input of DeregisterScalableTarget.
type DeregisterScalableTargetInput struct {
	ServiceNamespace  string
	ResourceId        string
	ScalableDimension string
}

// EmptyOutput is the output of operations that return nothing.
type EmptyOutput struct{}

// MetricDimension is a dimension of a customized metric.
type MetricDimension struct {
	Name  string
	Value string
}

// TargetTrackingMetricDimension is a dimension of a metric in a metric data query.
type TargetTrackingMetricDimension struct {
	Name  string
	Value string
}

// TargetTrackingMetric is a metric of a metric data query.
type TargetTrackingMetric struct {
	Dimensions []TargetTrackingMetricDimension `json:",omitempty"`
	MetricName *string                         `json:",omitempty"`
	Namespace  *string                         `json:",omitempty"`
}

// TargetTrackingMetricStat is a metric, a statistic and optionally a unit.
type TargetTrackingMetricStat struct {
	Metric *TargetTrackingMetric `json:",omitempty"`
	Stat   *string               `json:",omitempty"`
	Unit   *string               `json:",omitempty"`
}

// TargetTrackingMetricDataQuery is one query of a customized metric with metric
// math: a metric statistic or an expression over other queries' ids.
type TargetTrackingMetricDataQuery struct {
	Id         *string                   `json:",omitempty"`
	Expression *string                   `json:",omitempty"`
	Label      *string                   `json:",omitempty"`
	MetricStat *TargetTrackingMetricStat `json:",omitempty"`
	ReturnData *bool                     `json:",omitempty"`
}

// CustomizedMetricSpecification is a CloudWatch metric of the user's choosing for a
// target tracking policy: one metric, or metric math (Metrics).
type CustomizedMetricSpecification struct {
	Dimensions []MetricDimension               `json:",omitempty"`
	MetricName *string                         `json:",omitempty"`
	Metrics    []TargetTrackingMetricDataQuery `json:",omitempty"`
	Namespace  *string                         `json:",omitempty"`
	Statistic  string                          `json:",omitempty"`
	Unit       *string                         `json:",omitempty"`
}

// PredefinedMetricSpecification is a predefined metric of a target tracking policy.
type PredefinedMetricSpecification struct {
	PredefinedMetricType string
	ResourceLabel        *string `json:",omitempty"`
}

// TargetTrackingScalingPolicyConfiguration configures a target tracking policy.
type TargetTrackingScalingPolicyConfiguration struct {
	TargetValue                   *float64                       `json:",omitempty"`
	CustomizedMetricSpecification *CustomizedMetricSpecification `json:",omitempty"`
	DisableScaleIn                *bool                          `json:",omitempty"`
	PredefinedMetricSpecification *PredefinedMetricSpecification `json:",omitempty"`
	ScaleInCooldown               *int32                         `json:",omitempty"`
	ScaleOutCooldown              *int32                         `json:",omitempty"`
}

// StepAdjustment is one step of a step scaling policy: a range of the difference
// between the metric and the alarm threshold, and the adjustment it makes.
type StepAdjustment struct {
	ScalingAdjustment        *int32   `json:",omitempty"`
	MetricIntervalLowerBound *float64 `json:",omitempty"`
	MetricIntervalUpperBound *float64 `json:",omitempty"`
}

// StepScalingPolicyConfiguration configures a step scaling policy.
type StepScalingPolicyConfiguration struct {
	AdjustmentType         string           `json:",omitempty"`
	Cooldown               *int32           `json:",omitempty"`
	MetricAggregationType  string           `json:",omitempty"`
	MinAdjustmentMagnitude *int32           `json:",omitempty"`
	StepAdjustments        []StepAdjustment `json:",omitempty"`
}

// PutScalingPolicyInput is the input of PutScalingPolicy.
type PutScalingPolicyInput struct {
	PolicyName                               string
	ServiceNamespace                         string
	ResourceId                               string
	ScalableDimension                        string
	PolicyType                               string                                    `json:",omitempty"`
	PredictiveScalingPolicyConfiguration     any                                       `json:",omitempty"`
	StepScalingPolicyConfiguration           *StepScalingPolicyConfiguration           `json:",omitempty"`
	TargetTrackingScalingPolicyConfiguration *TargetTrackingScalingPolicyConfiguration `json:",omitempty"`
}

// Alarm is a CloudWatch alarm of a scaling policy.
type Alarm struct {
	AlarmARN  string
	AlarmName string
}

// PutScalingPolicyOutput is the output of PutScalingPolicy.
type PutScalingPolicyOutput struct {
	PolicyARN *string `json:",omitempty"`
	Alarms    []Alarm `json:",omitempty"`
}

// ScalingPolicy is a scaling policy as DescribeScalingPolicies returns it.
type ScalingPolicy struct {
	Alarms                                   []Alarm                                   `json:",omitempty"`
	CreationTime                             *time.Time                                `json:",omitempty"`
	PolicyARN                                string                                    `json:",omitempty"`
	PolicyName                               string                                    `json:",omitempty"`
	PolicyType                               string                                    `json:",omitempty"`
	ResourceId                               string                                    `json:",omitempty"`
	ScalableDimension                        string                                    `json:",omitempty"`
	ServiceNamespace                         string                                    `json:",omitempty"`
	StepScalingPolicyConfiguration           *StepScalingPolicyConfiguration           `json:",omitempty"`
	TargetTrackingScalingPolicyConfiguration *TargetTrackingScalingPolicyConfiguration `json:",omitempty"`
}

// DescribeScalingPoliciesInput is the input of DescribeScalingPolicies.
type DescribeScalingPoliciesInput struct {
	ServiceNamespace  string
	PolicyNames       []string `json:",omitempty"`
	ResourceId        string   `json:",omitempty"`
	ScalableDimension string   `json:",omitempty"`
	MaxResults        *int32   `json:",omitempty"`
	NextToken         *string  `json:",omitempty"`
}

// DescribeScalingPoliciesOutput is the output of DescribeScalingPolicies.
type DescribeScalingPoliciesOutput struct {
	ScalingPolicies []ScalingPolicy
	NextToken       *string `json:",omitempty"`
}

// DeleteScalingPolicyInput is the input of DeleteScalingPolicy.
type DeleteScalingPolicyInput struct {
	PolicyName        string
	ServiceNamespace  string
	ResourceId        string
	ScalableDimension string
}

// NotScaledReason says why a scaling activity did not scale.
type NotScaledReason struct {
	Code            string
	CurrentCapacity *int32 `json:",omitempty"`
	MaxCapacity     *int32 `json:",omitempty"`
	MinCapacity     *int32 `json:",omitempty"`
}

// ScalingActivity is a scaling activity as DescribeScalingActivities returns it.
type ScalingActivity struct {
	ActivityId        string
	Cause             string
	Description       string
	Details           *string `json:",omitempty"`
	EndTime           *time.Time
	NotScaledReasons  []NotScaledReason `json:",omitempty"`
	ResourceId        string
	ScalableDimension string
	ServiceNamespace  string
	StartTime         *time.Time
	StatusCode        string
	StatusMessage     *string `json:",omitempty"`
}

// DescribeScalingActivitiesInput is the input of DescribeScalingActivities.
type DescribeScalingActivitiesInput struct {
	ServiceNamespace           string
	IncludeNotScaledActivities *bool   `json:",omitempty"`
	ResourceId                 string  `json:",omitempty"`
	ScalableDimension          string  `json:",omitempty"`
	MaxResults                 *int32  `json:",omitempty"`
	NextToken                  *string `json:",omitempty"`
}

// DescribeScalingActivitiesOutput is the output of DescribeScalingActivities.
type DescribeScalingActivitiesOutput struct {
	ScalingActivities []ScalingActivity
	NextToken         *string `json:",omitempty"`
}

// ScalableTargetAction is the minimum and maximum capacity a scheduled action sets.
type ScalableTargetAction struct {
	MaxCapacity *int32 `json:",omitempty"`
	MinCapacity *int32 `json:",omitempty"`
}

// PutScheduledActionInput is the input of PutScheduledAction.
type PutScheduledActionInput struct {
	ScheduledActionName  string
	ServiceNamespace     string
	ResourceId           string
	ScalableDimension    string
	Schedule             *string               `json:",omitempty"`
	Timezone             *string               `json:",omitempty"`
	StartTime            *time.Time            `json:",omitempty"`
	EndTime              *time.Time            `json:",omitempty"`
	ScalableTargetAction *ScalableTargetAction `json:",omitempty"`
}

// ScheduledAction is a scheduled action as DescribeScheduledActions returns it.
type ScheduledAction struct {
	CreationTime         *time.Time            `json:",omitempty"`
	EndTime              *time.Time            `json:",omitempty"`
	ResourceId           string                `json:",omitempty"`
	ScalableDimension    string                `json:",omitempty"`
	ScalableTargetAction *ScalableTargetAction `json:",omitempty"`
	Schedule             string                `json:",omitempty"`
	ScheduledActionARN   string                `json:",omitempty"`
	ScheduledActionName  string                `json:",omitempty"`
	ServiceNamespace     string                `json:",omitempty"`
	StartTime            *time.Time            `json:",omitempty"`
	Timezone             *string               `json:",omitempty"`
}

// DescribeScheduledActionsInput is the input of DescribeScheduledActions.
type DescribeScheduledActionsInput struct {
	ServiceNamespace     string
	ResourceId           string   `json:",omitempty"`
	ScalableDimension    string   `json:",omitempty"`
	ScheduledActionNames []string `json:",omitempty"`
	MaxResults           *int32   `json:",omitempty"`
	NextToken            *string  `json:",omitempty"`
}

// DescribeScheduledActionsOutput is the output of DescribeScheduledActions.
type DescribeScheduledActionsOutput struct {
	ScheduledActions []ScheduledAction
	NextToken        *string `json:",omitempty"`
}

// DeleteScheduledActionInput is the input of DeleteScheduledAction.
type DeleteScheduledActionInput struct {
	ScheduledActionName string
	ServiceNamespace    string
	ResourceId          string
	ScalableDimension   string
}

// GetPredictiveScalingForecastInput is the input of GetPredictiveScalingForecast,
// which Wharf does not serve.
type GetPredictiveScalingForecastInput struct {
	ServiceNamespace  string
	ResourceId        string
	ScalableDimension string
	PolicyName        string
	StartTime         *time.Time `json:",omitempty"`
	EndTime           *time.Time `json:",omitempty"`
}

// TagResourceInput is the input of TagResource.
type TagResourceInput struct {
	ResourceARN string
	Tags        map[string]string
}

// UntagResourceInput is the input of UntagResource.
type UntagResourceInput struct {
	ResourceARN string
	TagKeys     []string
}

// ListTagsForResourceInput is the input of ListTagsForResource.
type ListTagsForResourceInput struct {
	ResourceARN string
}

// ListTagsForResourceOutput is the output of ListTagsForResource.
type ListTagsForResourceOutput struct {
	Tags map[string]string
}
