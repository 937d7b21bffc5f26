// Package autoscaling is Wharf's Application Auto Scaling for Amazon ECS services:
// scalable targets (ServiceNamespace ecs, ScalableDimension ecs:service:DesiredCount,
// ResourceId service/<cluster>/<service>), target tracking and step scaling policies,
// scheduled actions, scaling activities and tags, spoken in awsJson1_1 with the
// X-Amz-Target prefix AnyScaleFrontendService, AWS's validation and errors.
//
// Target tracking policies create and own their CloudWatch alarms as AWS does
// (TargetTracking-<resourceId>-AlarmHigh-<uuid>: 3 of 3 one-minute periods above the
// target; TargetTracking-<resourceId>-AlarmLow-<uuid>: 15 of 15 below 90% of it,
// unless DisableScaleIn), through the Alarms interface. CloudWatch invokes policies
// through DispatchAlarmAction, with the alarm's StateReasonData, while their alarms
// are in ALARM; the policy then sets the service's desired count through the Scaler
// interface and records a scaling activity (scaling.go). Run fires scheduled actions.
//
// Time: Config.TimeScale k > 1 makes cooldowns and the intervals of rate() schedules
// pass k times faster (a 300-second cooldown lasts 300/k seconds; rate(5 minutes)
// fires every 300/k seconds). at() and cron() schedules name times of the wall clock
// in their time zone and are not scaled. CloudWatch scales alarm periods with its own
// TimeScale; the two are set together by wharf up --time-scale.
//
// Where Wharf knowingly differs from AWS:
//   - Only ServiceNamespace ecs is served; every other namespace, dimension or
//     resource type is a ValidationException saying so. PredictiveScaling policies,
//     GetPredictiveScalingForecast and the HighResolution ECS metric types are
//     rejected, not accepted and ignored.
//   - The ALBRequestCountPerTarget alarm watches RequestCountPerTarget by TargetGroup
//     alone, with no unit, which is what Wharf's load balancer publishes; AWS's
//     alarm adds the LoadBalancer dimension and the unit None.
//   - Target tracking computes capacity proportionally: scale-out to
//     ceil(capacity × metric / target) (at least one more), scale-in to the smallest
//     capacity whose projected metric stays at or below the target (at least one
//     fewer, else AutoScalingAnticipatedFlapping). AWS's exact algorithm is not
//     published. The metric is the most recent datapoint the alarm evaluated.
//   - Several target tracking policies on one target act independently; AWS scales in
//     only when all of them agree.
//   - Step scaling aggregates the datapoints the alarm evaluated with
//     MetricAggregationType to choose the step.
//   - Not-scaled activities (IncludeNotScaledActivities) also record decisions that
//     AWS has no reason code for: a cooldown, a suspended direction, no matching step.
//     A not-scaled activity identical to the target's latest activity is not recorded
//     again. Each target keeps its latest 1,000 activities, for six weeks.
//   - A scheduled action whose time passed while Wharf was not running fires once
//     when Wharf is back; an at() time already past when the action is put never
//     fires; a rate() schedule fires one interval after its StartTime (or its
//     creation); a cron() time that a daylight-saving change skips fires when the
//     clocks have jumped (2:30 at 3:30), one it repeats fires once. Run checks every
//     ten seconds (every second with a time scale).
//   - Step scaling policies list in Alarms the alarms whose AlarmActions name them only
//     when the Alarms implementation can describe alarms (AlarmDescriber).
package autoscaling
