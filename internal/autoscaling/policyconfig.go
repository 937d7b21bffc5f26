package autoscaling

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/wharf-dev/wharf/internal/cloudwatch"
)

// metricTypes is the model's MetricType enumeration.
var metricTypes = []string{"DynamoDBReadCapacityUtilization", "DynamoDBWriteCapacityUtilization", "ALBRequestCountPerTarget",
	"RDSReaderAverageCPUUtilization", "RDSReaderAverageDatabaseConnections", "EC2SpotFleetRequestAverageCPUUtilization",
	"EC2SpotFleetRequestAverageNetworkIn", "EC2SpotFleetRequestAverageNetworkOut", "SageMakerVariantInvocationsPerInstance",
	"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization", "AppStreamAverageCapacityUtilization",
	"ComprehendInferenceUtilization", "LambdaProvisionedConcurrencyUtilization", "CassandraReadCapacityUtilization",
	"CassandraWriteCapacityUtilization", "KafkaBrokerStorageUtilization", "ElastiCacheEngineCPUUtilization",
	"ElastiCacheDatabaseMemoryUsagePercentage", "ElastiCachePrimaryEngineCPUUtilization",
	"ElastiCacheReplicaEngineCPUUtilization", "ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage",
	"NeptuneReaderAverageCPUUtilization", "SageMakerVariantProvisionedConcurrencyUtilization",
	"ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage", "SageMakerInferenceComponentInvocationsPerCopy",
	"WorkSpacesAverageUserSessionsCapacityUtilization", "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
	"SageMakerVariantConcurrentRequestsPerModelHighResolution", "ECSServiceAverageCPUUtilizationHighResolution",
	"ECSServiceAverageMemoryUtilizationHighResolution"}

var (
	metricStatistics = []string{"Average", "Minimum", "Maximum", "SampleCount", "Sum"}
	adjustmentTypes  = []string{AdjustmentChangeInCapacity, AdjustmentPercentChangeInCapacity, AdjustmentExactCapacity}
	aggregationTypes = []string{"Average", "Minimum", "Maximum"}
	policyTypes      = []string{PolicyTypeStep, PolicyTypeTargetTracking, PolicyTypePredictive}
)

// The bounds of TargetValue in the model.
const (
	minTargetValue = 8.515920e-109
	maxTargetValue = 1.174271e+108
)

// defaultCooldown is the cooldown of ECS services when a policy does not set one.
const defaultCooldown = 300

// checkCooldown validates a cooldown: a number of seconds, at least 0.
func checkCooldown(member string, v *int32) error {
	if v != nil && *v < 0 {
		return errValidation("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 0", *v, member)
	}
	return nil
}

// checkTracking validates a target tracking configuration for an ECS service.
func checkTracking(c *TargetTrackingScalingPolicyConfiguration) error {
	const p = "targetTrackingScalingPolicyConfiguration"
	if c.TargetValue == nil {
		return errNull(p + ".targetValue")
	}
	if v := *c.TargetValue; math.IsNaN(v) || v < minTargetValue || v > maxTargetValue {
		return errValidation("1 validation error detected: Value '%g' at '%s.targetValue' failed to satisfy constraint: Member must be between %g and %g", v, p, minTargetValue, maxTargetValue)
	}
	if err := checkCooldown(p+".scaleInCooldown", c.ScaleInCooldown); err != nil {
		return err
	}
	if err := checkCooldown(p+".scaleOutCooldown", c.ScaleOutCooldown); err != nil {
		return err
	}
	switch {
	case c.PredefinedMetricSpecification != nil && c.CustomizedMetricSpecification != nil:
		return errValidation("A target tracking scaling policy takes either a PredefinedMetricSpecification or a CustomizedMetricSpecification, not both.")
	case c.PredefinedMetricSpecification != nil:
		return checkPredefined(c.PredefinedMetricSpecification)
	case c.CustomizedMetricSpecification != nil:
		return checkCustomized(c.CustomizedMetricSpecification)
	}
	return errValidation("A target tracking scaling policy needs a PredefinedMetricSpecification or a CustomizedMetricSpecification.")
}

func checkPredefined(m *PredefinedMetricSpecification) error {
	const p = "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification"
	if m.PredefinedMetricType == "" {
		return errNull(p + ".predefinedMetricType")
	}
	if !slices.Contains(metricTypes, m.PredefinedMetricType) {
		return errEnum(p+".predefinedMetricType", m.PredefinedMetricType, metricTypes)
	}
	switch m.PredefinedMetricType {
	case MetricECSCPU, MetricECSMemory:
		if m.ResourceLabel != nil {
			return errValidation("ResourceLabel can be specified only with the predefined metric type ALBRequestCountPerTarget.")
		}
		return nil
	case MetricALBRequests:
		if m.ResourceLabel == nil || *m.ResourceLabel == "" {
			return errValidation("ResourceLabel is required for the predefined metric type ALBRequestCountPerTarget.")
		}
		if _, ok := parseResourceLabel(*m.ResourceLabel); !ok {
			return errValidation("ResourceLabel %s is not valid: it must be app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>.", clip(*m.ResourceLabel))
		}
		return nil
	case "ECSServiceAverageCPUUtilizationHighResolution", "ECSServiceAverageMemoryUtilizationHighResolution":
		return errValidation("The predefined metric type %s is not supported by Wharf; use %s.", m.PredefinedMetricType,
			strings.TrimSuffix(m.PredefinedMetricType, "HighResolution"))
	}
	return errValidation("The predefined metric type %s is not valid for ServiceNamespace ecs: use ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization or ALBRequestCountPerTarget.", m.PredefinedMetricType)
}

// parseResourceLabel checks an ALB resource label,
// app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>, and returns its target group
// part, targetgroup/<tg-name>/<tg-id>.
func parseResourceLabel(label string) (string, bool) {
	if len(label) > 1023 {
		return "", false
	}
	parts := strings.Split(label, "/")
	if len(parts) != 6 || parts[0] != "app" || parts[3] != "targetgroup" {
		return "", false
	}
	for _, i := range []int{1, 2, 4, 5} {
		if !elbName(parts[i]) {
			return "", false
		}
	}
	return strings.Join(parts[3:], "/"), true
}

// elbName reports whether a load balancer or target group name or id has ELB's
// characters: letters, digits and hyphens, 1 to 32 (names) or more (ids).
func elbName(s string) bool {
	if s == "" || len(s) > 64 || strings.HasPrefix(s, "-") || strings.HasSuffix(s, "-") {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func checkCustomized(m *CustomizedMetricSpecification) error {
	const p = "targetTrackingScalingPolicyConfiguration.customizedMetricSpecification"
	single := m.MetricName != nil || m.Namespace != nil || m.Statistic != "" || len(m.Dimensions) > 0 || m.Unit != nil
	if len(m.Metrics) > 0 {
		if single {
			return errValidation("A CustomizedMetricSpecification takes either Metrics or MetricName, Namespace, Dimensions, Statistic and Unit, not both.")
		}
		returned := 0
		for i, q := range m.Metrics {
			at := func(f string) string { return p + ".metrics." + itoa(int32(i+1)) + "." + f }
			if deref(q.Id) == "" {
				return errNull(at("id"))
			}
			if (q.Expression != nil) == (q.MetricStat != nil) {
				return errValidation("Metrics.%d (%s) must have exactly one of Expression and MetricStat.", i+1, *q.Id)
			}
			if st := q.MetricStat; st != nil {
				if st.Metric == nil || deref(st.Metric.MetricName) == "" {
					return errNull(at("metricStat.metric.metricName"))
				}
				if deref(st.Metric.Namespace) == "" {
					return errNull(at("metricStat.metric.namespace"))
				}
				if deref(st.Stat) == "" {
					return errNull(at("metricStat.stat"))
				}
			}
			if q.ReturnData == nil || *q.ReturnData {
				returned++
			}
		}
		if returned != 1 {
			return errValidation("Metrics must have exactly one query that returns data (ReturnData true); %d do.", returned)
		}
		return nil
	}
	if deref(m.MetricName) == "" {
		return errNull(p + ".metricName")
	}
	if deref(m.Namespace) == "" {
		return errNull(p + ".namespace")
	}
	if m.Statistic == "" {
		return errNull(p + ".statistic")
	}
	if !slices.Contains(metricStatistics, m.Statistic) {
		return errEnum(p+".statistic", m.Statistic, metricStatistics)
	}
	for i, d := range m.Dimensions {
		if d.Name == "" || d.Value == "" {
			return errValidation("Dimensions.%d needs a Name and a Value.", i+1)
		}
	}
	return nil
}

// checkStep validates a step scaling configuration: an adjustment type, step ranges
// that neither overlap nor leave gaps between them, with at most one unbounded below
// and one unbounded above.
func checkStep(c *StepScalingPolicyConfiguration) error {
	const p = "stepScalingPolicyConfiguration"
	if c.AdjustmentType == "" {
		return errNull(p + ".adjustmentType")
	}
	if !slices.Contains(adjustmentTypes, c.AdjustmentType) {
		return errEnum(p+".adjustmentType", c.AdjustmentType, adjustmentTypes)
	}
	if c.MetricAggregationType != "" && !slices.Contains(aggregationTypes, c.MetricAggregationType) {
		return errEnum(p+".metricAggregationType", c.MetricAggregationType, aggregationTypes)
	}
	if err := checkCooldown(p+".cooldown", c.Cooldown); err != nil {
		return err
	}
	if m := c.MinAdjustmentMagnitude; m != nil {
		if c.AdjustmentType != AdjustmentPercentChangeInCapacity {
			return errValidation("MinAdjustmentMagnitude is only supported with the adjustment type PercentChangeInCapacity.")
		}
		if *m < 1 {
			return errValidation("MinAdjustmentMagnitude must be at least 1.")
		}
	}
	if len(c.StepAdjustments) == 0 {
		return errValidation("A step scaling policy needs at least one step adjustment.")
	}
	steps := slices.Clone(c.StepAdjustments)
	for i, st := range steps {
		if st.ScalingAdjustment == nil {
			return errNull(p + ".stepAdjustments." + itoa(int32(i+1)) + ".scalingAdjustment")
		}
		if c.AdjustmentType == AdjustmentExactCapacity && *st.ScalingAdjustment < 0 {
			return errValidation("The scaling adjustment of an ExactCapacity step must be at least 0.")
		}
		lo, hi := st.MetricIntervalLowerBound, st.MetricIntervalUpperBound
		if lo == nil && hi == nil {
			return errValidation("MetricIntervalLowerBound and MetricIntervalUpperBound cannot both be null in the same step adjustment.")
		}
		if lo != nil && hi != nil && *lo >= *hi {
			return errValidation("The upper bound of a step adjustment (%g) must be greater than its lower bound (%g).", *hi, *lo)
		}
	}
	sort.SliceStable(steps, func(i, j int) bool {
		a, b := steps[i].MetricIntervalLowerBound, steps[j].MetricIntervalLowerBound
		return a == nil && b != nil || a != nil && b != nil && *a < *b
	})
	for i, st := range steps {
		if st.MetricIntervalLowerBound == nil && i > 0 {
			return errValidation("Only one step adjustment may have a null lower bound (negative infinity).")
		}
		if st.MetricIntervalUpperBound == nil && i < len(steps)-1 {
			return errValidation("Only one step adjustment may have a null upper bound (positive infinity).")
		}
		if i > 0 {
			prev := steps[i-1].MetricIntervalUpperBound
			if *prev != *st.MetricIntervalLowerBound {
				return errValidation("The ranges of step adjustments must not overlap or leave a gap: a step ends at %g and the next begins at %g.", *prev, *st.MetricIntervalLowerBound)
			}
		}
	}
	return nil
}

// alarmMetric fills the metric of a target tracking policy's alarm.
func alarmMetric(k targetKey, c *TargetTrackingScalingPolicyConfiguration, in *cloudwatch.PutMetricAlarmInput) {
	const period = int32(60)
	in.Period = ptr(period)
	if m := c.PredefinedMetricSpecification; m != nil {
		switch m.PredefinedMetricType {
		case MetricALBRequests:
			tg, _ := parseResourceLabel(deref(m.ResourceLabel))
			in.Namespace, in.MetricName, in.Statistic = ptr("AWS/ApplicationELB"), ptr("RequestCountPerTarget"), ptr("Sum")
			in.Dimensions = []cloudwatch.Dimension{{Name: "TargetGroup", Value: tg}}
		default:
			name := "CPUUtilization"
			if m.PredefinedMetricType == MetricECSMemory {
				name = "MemoryUtilization"
			}
			in.Namespace, in.MetricName, in.Statistic, in.Unit = ptr("AWS/ECS"), ptr(name), ptr("Average"), ptr("Percent")
			in.Dimensions = []cloudwatch.Dimension{{Name: "ClusterName", Value: k.cluster()}, {Name: "ServiceName", Value: k.service()}}
		}
		return
	}
	m := c.CustomizedMetricSpecification
	if len(m.Metrics) == 0 {
		in.Namespace, in.MetricName, in.Statistic, in.Unit = m.Namespace, m.MetricName, ptr(m.Statistic), m.Unit
		for _, d := range m.Dimensions {
			in.Dimensions = append(in.Dimensions, cloudwatch.Dimension{Name: d.Name, Value: d.Value})
		}
		return
	}
	in.Period = nil
	for _, q := range m.Metrics {
		out := cloudwatch.MetricDataQuery{Id: deref(q.Id), Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData}
		if q.ReturnData == nil {
			out.ReturnData = ptr(true)
		}
		if st := q.MetricStat; st != nil {
			metric := &cloudwatch.Metric{Namespace: deref(st.Metric.Namespace), MetricName: deref(st.Metric.MetricName),
				Dimensions: []cloudwatch.Dimension{}}
			for _, d := range st.Metric.Dimensions {
				metric.Dimensions = append(metric.Dimensions, cloudwatch.Dimension{Name: d.Name, Value: d.Value})
			}
			out.MetricStat = &cloudwatch.MetricStat{Metric: metric, Period: ptr(period), Stat: deref(st.Stat), Unit: deref(st.Unit)}
		}
		in.Metrics = append(in.Metrics, out)
	}
}
