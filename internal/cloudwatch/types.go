package cloudwatch

import "time"

// The shapes below follow the CloudWatch API model (member names as the SDK spells
// them); the gateway's codecs carry them in rpcv2Cbor, awsJson1_0 and awsQuery.

// Dimension is a name/value pair that is part of a metric's identity.
type Dimension struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// DimensionFilter filters ListMetrics: a dimension name and, optionally, its value.
type DimensionFilter struct {
	Name  string  `json:"Name"`
	Value *string `json:"Value,omitempty"`
}

// StatisticSet is a pre-aggregated set of samples published with PutMetricData.
type StatisticSet struct {
	SampleCount *float64 `json:"SampleCount"`
	Sum         *float64 `json:"Sum"`
	Minimum     *float64 `json:"Minimum"`
	Maximum     *float64 `json:"Maximum"`
}

// MetricDatum is one metric's data in a PutMetricData call: a single Value, Values
// with Counts, or a StatisticSet, at a timestamp (the time of receipt when absent).
type MetricDatum struct {
	MetricName        string        `json:"MetricName"`
	Dimensions        []Dimension   `json:"Dimensions,omitempty"`
	Timestamp         *time.Time    `json:"Timestamp,omitempty"`
	Value             *float64      `json:"Value,omitempty"`
	StatisticValues   *StatisticSet `json:"StatisticValues,omitempty"`
	Values            []float64     `json:"Values,omitempty"`
	Counts            []float64     `json:"Counts,omitempty"`
	Unit              string        `json:"Unit,omitempty"`
	StorageResolution *int32        `json:"StorageResolution,omitempty"`
}

// Metric identifies a metric: namespace, name and dimensions.
type Metric struct {
	Namespace  string      `json:"Namespace,omitempty"`
	MetricName string      `json:"MetricName,omitempty"`
	Dimensions []Dimension `json:"Dimensions"`
}

// MetricStat is a metric, a period, a statistic and optionally a unit.
type MetricStat struct {
	Metric *Metric `json:"Metric,omitempty"`
	Period *int32  `json:"Period,omitempty"`
	Stat   string  `json:"Stat,omitempty"`
	Unit   string  `json:"Unit,omitempty"`
}

// MetricDataQuery is one query of GetMetricData or of a metric-math alarm: a metric
// statistic or a math expression over other queries' ids.
type MetricDataQuery struct {
	Id         string      `json:"Id"`
	AccountId  *string     `json:"AccountId,omitempty"`
	Expression *string     `json:"Expression,omitempty"`
	Label      *string     `json:"Label,omitempty"`
	MetricStat *MetricStat `json:"MetricStat,omitempty"`
	Period     *int32      `json:"Period,omitempty"`
	ReturnData *bool       `json:"ReturnData,omitempty"`
}

// MessageData is an informational message about a query's results.
type MessageData struct {
	Code  *string `json:"Code,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// MetricDataResult is the result of one GetMetricData query.
type MetricDataResult struct {
	Id         string        `json:"Id,omitempty"`
	Label      string        `json:"Label,omitempty"`
	Messages   []MessageData `json:"Messages"`
	StatusCode string        `json:"StatusCode,omitempty"`
	Timestamps []time.Time   `json:"Timestamps"`
	Values     []float64     `json:"Values"`
}

// LabelOptions holds the time zone of dynamic labels.
type LabelOptions struct {
	Timezone *string `json:"Timezone,omitempty"`
}

// Datapoint is one period's statistics (GetMetricStatistics).
type Datapoint struct {
	Average            *float64           `json:"Average,omitempty"`
	ExtendedStatistics map[string]float64 `json:"ExtendedStatistics,omitempty"`
	Maximum            *float64           `json:"Maximum,omitempty"`
	Minimum            *float64           `json:"Minimum,omitempty"`
	SampleCount        *float64           `json:"SampleCount,omitempty"`
	Sum                *float64           `json:"Sum,omitempty"`
	Timestamp          *time.Time         `json:"Timestamp,omitempty"`
	Unit               string             `json:"Unit,omitempty"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// MetricAlarm is a metric alarm as DescribeAlarms returns it.
type MetricAlarm struct {
	ActionsEnabled                     *bool             `json:"ActionsEnabled,omitempty"`
	AlarmActions                       []string          `json:"AlarmActions"`
	AlarmArn                           string            `json:"AlarmArn,omitempty"`
	AlarmConfigurationUpdatedTimestamp *time.Time        `json:"AlarmConfigurationUpdatedTimestamp,omitempty"`
	AlarmDescription                   *string           `json:"AlarmDescription,omitempty"`
	AlarmName                          string            `json:"AlarmName,omitempty"`
	ComparisonOperator                 string            `json:"ComparisonOperator,omitempty"`
	DatapointsToAlarm                  *int32            `json:"DatapointsToAlarm,omitempty"`
	Dimensions                         []Dimension       `json:"Dimensions"`
	EvaluateLowSampleCountPercentile   *string           `json:"EvaluateLowSampleCountPercentile,omitempty"`
	EvaluationPeriods                  *int32            `json:"EvaluationPeriods,omitempty"`
	ExtendedStatistic                  *string           `json:"ExtendedStatistic,omitempty"`
	InsufficientDataActions            []string          `json:"InsufficientDataActions"`
	MetricName                         *string           `json:"MetricName,omitempty"`
	Metrics                            []MetricDataQuery `json:"Metrics,omitempty"`
	Namespace                          *string           `json:"Namespace,omitempty"`
	OKActions                          []string          `json:"OKActions"`
	Period                             *int32            `json:"Period,omitempty"`
	StateReason                        string            `json:"StateReason,omitempty"`
	StateReasonData                    *string           `json:"StateReasonData,omitempty"`
	StateTransitionedTimestamp         *time.Time        `json:"StateTransitionedTimestamp,omitempty"`
	StateUpdatedTimestamp              *time.Time        `json:"StateUpdatedTimestamp,omitempty"`
	StateValue                         string            `json:"StateValue,omitempty"`
	Statistic                          *string           `json:"Statistic,omitempty"`
	Threshold                          *float64          `json:"Threshold,omitempty"`
	ThresholdMetricId                  *string           `json:"ThresholdMetricId,omitempty"`
	TreatMissingData                   *string           `json:"TreatMissingData,omitempty"`
	Unit                               *string           `json:"Unit,omitempty"`
}

// CompositeAlarm is a composite alarm as DescribeAlarms returns it.
type CompositeAlarm struct {
	ActionsEnabled                     *bool      `json:"ActionsEnabled,omitempty"`
	AlarmActions                       []string   `json:"AlarmActions"`
	AlarmArn                           string     `json:"AlarmArn,omitempty"`
	AlarmConfigurationUpdatedTimestamp *time.Time `json:"AlarmConfigurationUpdatedTimestamp,omitempty"`
	AlarmDescription                   *string    `json:"AlarmDescription,omitempty"`
	AlarmName                          string     `json:"AlarmName,omitempty"`
	AlarmRule                          string     `json:"AlarmRule,omitempty"`
	InsufficientDataActions            []string   `json:"InsufficientDataActions"`
	OKActions                          []string   `json:"OKActions"`
	StateReason                        string     `json:"StateReason,omitempty"`
	StateReasonData                    *string    `json:"StateReasonData,omitempty"`
	StateTransitionedTimestamp         *time.Time `json:"StateTransitionedTimestamp,omitempty"`
	StateUpdatedTimestamp              *time.Time `json:"StateUpdatedTimestamp,omitempty"`
	StateValue                         string     `json:"StateValue,omitempty"`
}

// AlarmHistoryItem is one entry of an alarm's history.
type AlarmHistoryItem struct {
	AlarmName       string     `json:"AlarmName,omitempty"`
	AlarmType       string     `json:"AlarmType,omitempty"`
	HistoryData     string     `json:"HistoryData,omitempty"`
	HistoryItemType string     `json:"HistoryItemType,omitempty"`
	HistorySummary  string     `json:"HistorySummary,omitempty"`
	Timestamp       *time.Time `json:"Timestamp,omitempty"`
}

// Enumerations of the model.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"

	AlarmTypeMetric    = "MetricAlarm"
	AlarmTypeComposite = "CompositeAlarm"

	HistoryConfigurationUpdate = "ConfigurationUpdate"
	HistoryStateUpdate         = "StateUpdate"
	HistoryAction              = "Action"

	ScanTimestampDescending = "TimestampDescending"
	ScanTimestampAscending  = "TimestampAscending"
)

// standardUnits are the units CloudWatch accepts, in the order its error lists them.
var standardUnits = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
	"Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
	"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
	"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
	"Count/Second", "None"}

var standardStatistics = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

var comparisonOperators = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold",
	"LessThanThreshold", "LessThanOrEqualToThreshold"}

var anomalyOperators = []string{"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold",
	"GreaterThanUpperThreshold"}

var treatMissingValues = []string{"breaching", "notBreaching", "ignore", "missing"}
