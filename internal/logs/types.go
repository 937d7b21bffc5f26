package logs

// The shapes below follow the CloudWatch Logs API model (member names as the wire
// spells them). Timestamps are milliseconds since the epoch, as the model's longs.
// Event messages are tagged `sensitive:"true"`: log data is customer content that
// the audit log must not copy.

// LogGroup describes a log group (DescribeLogGroups).
type LogGroup struct {
	Arn                       *string `json:"arn,omitempty"`
	CreationTime              *int64  `json:"creationTime,omitempty"`
	DataProtectionStatus      string  `json:"dataProtectionStatus,omitempty"`
	DeletionProtectionEnabled *bool   `json:"deletionProtectionEnabled,omitempty"`
	KmsKeyId                  *string `json:"kmsKeyId,omitempty"`
	LogGroupArn               *string `json:"logGroupArn,omitempty"`
	LogGroupClass             string  `json:"logGroupClass,omitempty"`
	LogGroupName              *string `json:"logGroupName,omitempty"`
	MetricFilterCount         *int32  `json:"metricFilterCount,omitempty"`
	RetentionInDays           *int32  `json:"retentionInDays,omitempty"`
	StoredBytes               *int64  `json:"storedBytes,omitempty"`
}

// LogStream describes a log stream (DescribeLogStreams).
type LogStream struct {
	Arn                 *string `json:"arn,omitempty"`
	CreationTime        *int64  `json:"creationTime,omitempty"`
	FirstEventTimestamp *int64  `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64  `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64  `json:"lastIngestionTime,omitempty"`
	LogStreamName       *string `json:"logStreamName,omitempty"`
	StoredBytes         *int64  `json:"storedBytes,omitempty"`
	UploadSequenceToken *string `json:"uploadSequenceToken,omitempty"`
}

// InputLogEvent is an event to store: its time (ms since the epoch) and message.
type InputLogEvent struct {
	Message   *string `json:"message" sensitive:"true"`
	Timestamp *int64  `json:"timestamp"`
}

// OutputLogEvent is a stored event (GetLogEvents).
type OutputLogEvent struct {
	IngestionTime *int64  `json:"ingestionTime,omitempty"`
	Message       *string `json:"message,omitempty" sensitive:"true"`
	Timestamp     *int64  `json:"timestamp,omitempty"`
}

// FilteredLogEvent is a stored event (FilterLogEvents).
type FilteredLogEvent struct {
	EventId       *string `json:"eventId,omitempty"`
	IngestionTime *int64  `json:"ingestionTime,omitempty"`
	LogStreamName *string `json:"logStreamName,omitempty"`
	Message       *string `json:"message,omitempty" sensitive:"true"`
	Timestamp     *int64  `json:"timestamp,omitempty"`
}

// SearchedLogStream tells whether FilterLogEvents searched a stream completely.
type SearchedLogStream struct {
	LogStreamName      *string `json:"logStreamName,omitempty"`
	SearchedCompletely *bool   `json:"searchedCompletely,omitempty"`
}

// RejectedLogEventsInfo reports the events PutLogEvents did not store.
type RejectedLogEventsInfo struct {
	ExpiredLogEventEndIndex  *int32 `json:"expiredLogEventEndIndex,omitempty"`
	TooNewLogEventStartIndex *int32 `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int32 `json:"tooOldLogEventEndIndex,omitempty"`
}

// MetricTransformation says which metric a metric filter publishes.
type MetricTransformation struct {
	MetricName      *string           `json:"metricName"`
	MetricNamespace *string           `json:"metricNamespace"`
	MetricValue     *string           `json:"metricValue"`
	DefaultValue    *float64          `json:"defaultValue,omitempty"`
	Dimensions      map[string]string `json:"dimensions,omitempty"`
	Unit            string            `json:"unit,omitempty"`
}

// MetricFilter describes a metric filter (DescribeMetricFilters).
type MetricFilter struct {
	CreationTime          *int64                 `json:"creationTime,omitempty"`
	FilterName            *string                `json:"filterName,omitempty"`
	FilterPattern         *string                `json:"filterPattern,omitempty"`
	LogGroupName          *string                `json:"logGroupName,omitempty"`
	MetricTransformations []MetricTransformation `json:"metricTransformations,omitempty"`
}

// MetricFilterMatchRecord is one message TestMetricFilter matched.
type MetricFilterMatchRecord struct {
	EventMessage    *string           `json:"eventMessage,omitempty" sensitive:"true"`
	EventNumber     int64             `json:"eventNumber"`
	ExtractedValues map[string]string `json:"extractedValues"`
}

// CreateLogGroupInput is the input of CreateLogGroup.
type CreateLogGroupInput struct {
	LogGroupName              *string           `json:"logGroupName"`
	KmsKeyId                  *string           `json:"kmsKeyId,omitempty"`
	LogGroupClass             string            `json:"logGroupClass,omitempty"`
	Tags                      map[string]string `json:"tags,omitempty"`
	DeletionProtectionEnabled *bool             `json:"deletionProtectionEnabled,omitempty"`
}

// CreateLogGroupOutput is the (empty) output of CreateLogGroup.
type CreateLogGroupOutput struct{}

// DeleteLogGroupInput is the input of DeleteLogGroup.
type DeleteLogGroupInput struct {
	LogGroupName *string `json:"logGroupName"`
}

// DeleteLogGroupOutput is the (empty) output of DeleteLogGroup.
type DeleteLogGroupOutput struct{}

// DescribeLogGroupsInput is the input of DescribeLogGroups.
type DescribeLogGroupsInput struct {
	AccountIdentifiers    []string `json:"accountIdentifiers,omitempty"`
	IncludeLinkedAccounts *bool    `json:"includeLinkedAccounts,omitempty"`
	Limit                 *int32   `json:"limit,omitempty"`
	LogGroupClass         string   `json:"logGroupClass,omitempty"`
	LogGroupIdentifiers   []string `json:"logGroupIdentifiers,omitempty"`
	LogGroupNamePattern   *string  `json:"logGroupNamePattern,omitempty"`
	LogGroupNamePrefix    *string  `json:"logGroupNamePrefix,omitempty"`
	NextToken             *string  `json:"nextToken,omitempty"`
}

// DescribeLogGroupsOutput is the output of DescribeLogGroups.
type DescribeLogGroupsOutput struct {
	LogGroups []LogGroup `json:"logGroups"`
	NextToken *string    `json:"nextToken,omitempty"`
}

// PutRetentionPolicyInput is the input of PutRetentionPolicy.
type PutRetentionPolicyInput struct {
	LogGroupName    *string `json:"logGroupName"`
	RetentionInDays *int32  `json:"retentionInDays"`
}

// PutRetentionPolicyOutput is the (empty) output of PutRetentionPolicy.
type PutRetentionPolicyOutput struct{}

// DeleteRetentionPolicyInput is the input of DeleteRetentionPolicy.
type DeleteRetentionPolicyInput struct {
	LogGroupName *string `json:"logGroupName"`
}

// DeleteRetentionPolicyOutput is the (empty) output of DeleteRetentionPolicy.
type DeleteRetentionPolicyOutput struct{}

// TagLogGroupInput is the input of TagLogGroup.
type TagLogGroupInput struct {
	LogGroupName *string           `json:"logGroupName"`
	Tags         map[string]string `json:"tags"`
}

// TagLogGroupOutput is the (empty) output of TagLogGroup.
type TagLogGroupOutput struct{}

// UntagLogGroupInput is the input of UntagLogGroup.
type UntagLogGroupInput struct {
	LogGroupName *string  `json:"logGroupName"`
	Tags         []string `json:"tags"`
}

// UntagLogGroupOutput is the (empty) output of UntagLogGroup.
type UntagLogGroupOutput struct{}

// ListTagsLogGroupInput is the input of ListTagsLogGroup.
type ListTagsLogGroupInput struct {
	LogGroupName *string `json:"logGroupName"`
}

// ListTagsLogGroupOutput is the output of ListTagsLogGroup.
type ListTagsLogGroupOutput struct {
	Tags map[string]string `json:"tags"`
}

// TagResourceInput is the input of TagResource.
type TagResourceInput struct {
	ResourceArn *string           `json:"resourceArn"`
	Tags        map[string]string `json:"tags"`
}

// TagResourceOutput is the (empty) output of TagResource.
type TagResourceOutput struct{}

// UntagResourceInput is the input of UntagResource.
type UntagResourceInput struct {
	ResourceArn *string  `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

// UntagResourceOutput is the (empty) output of UntagResource.
type UntagResourceOutput struct{}

// ListTagsForResourceInput is the input of ListTagsForResource.
type ListTagsForResourceInput struct {
	ResourceArn *string `json:"resourceArn"`
}

// ListTagsForResourceOutput is the output of ListTagsForResource.
type ListTagsForResourceOutput struct {
	Tags map[string]string `json:"tags"`
}

// CreateLogStreamInput is the input of CreateLogStream.
type CreateLogStreamInput struct {
	LogGroupName  *string `json:"logGroupName"`
	LogStreamName *string `json:"logStreamName"`
}

// CreateLogStreamOutput is the (empty) output of CreateLogStream.
type CreateLogStreamOutput struct{}

// DeleteLogStreamInput is the input of DeleteLogStream.
type DeleteLogStreamInput struct {
	LogGroupName  *string `json:"logGroupName"`
	LogStreamName *string `json:"logStreamName"`
}

// DeleteLogStreamOutput is the (empty) output of DeleteLogStream.
type DeleteLogStreamOutput struct{}

// DescribeLogStreamsInput is the input of DescribeLogStreams.
type DescribeLogStreamsInput struct {
	Descending          *bool   `json:"descending,omitempty"`
	Limit               *int32  `json:"limit,omitempty"`
	LogGroupIdentifier  *string `json:"logGroupIdentifier,omitempty"`
	LogGroupName        *string `json:"logGroupName,omitempty"`
	LogStreamNamePrefix *string `json:"logStreamNamePrefix,omitempty"`
	NextToken           *string `json:"nextToken,omitempty"`
	OrderBy             string  `json:"orderBy,omitempty"`
}

// DescribeLogStreamsOutput is the output of DescribeLogStreams.
type DescribeLogStreamsOutput struct {
	LogStreams []LogStream `json:"logStreams"`
	NextToken  *string     `json:"nextToken,omitempty"`
}

// PutLogEventsInput is the input of PutLogEvents. The sequence token is ignored, as
// AWS does today.
type PutLogEventsInput struct {
	LogEvents     []InputLogEvent `json:"logEvents"`
	LogGroupName  *string         `json:"logGroupName"`
	LogStreamName *string         `json:"logStreamName"`
	SequenceToken *string         `json:"sequenceToken,omitempty"`
	Entity        map[string]any  `json:"entity,omitempty"`
}

// PutLogEventsOutput is the output of PutLogEvents.
type PutLogEventsOutput struct {
	NextSequenceToken     *string                `json:"nextSequenceToken,omitempty"`
	RejectedLogEventsInfo *RejectedLogEventsInfo `json:"rejectedLogEventsInfo,omitempty"`
}

// GetLogEventsInput is the input of GetLogEvents.
type GetLogEventsInput struct {
	LogStreamName      *string `json:"logStreamName"`
	EndTime            *int64  `json:"endTime,omitempty"`
	Limit              *int32  `json:"limit,omitempty"`
	LogGroupIdentifier *string `json:"logGroupIdentifier,omitempty"`
	LogGroupName       *string `json:"logGroupName,omitempty"`
	NextToken          *string `json:"nextToken,omitempty"`
	StartFromHead      *bool   `json:"startFromHead,omitempty"`
	StartTime          *int64  `json:"startTime,omitempty"`
	Unmask             *bool   `json:"unmask,omitempty"`
}

// GetLogEventsOutput is the output of GetLogEvents.
type GetLogEventsOutput struct {
	Events            []OutputLogEvent `json:"events"`
	NextBackwardToken *string          `json:"nextBackwardToken,omitempty"`
	NextForwardToken  *string          `json:"nextForwardToken,omitempty"`
}

// FilterLogEventsInput is the input of FilterLogEvents.
type FilterLogEventsInput struct {
	EndTime             *int64   `json:"endTime,omitempty"`
	FilterPattern       *string  `json:"filterPattern,omitempty"`
	Interleaved         *bool    `json:"interleaved,omitempty"`
	Limit               *int32   `json:"limit,omitempty"`
	LogGroupIdentifier  *string  `json:"logGroupIdentifier,omitempty"`
	LogGroupName        *string  `json:"logGroupName,omitempty"`
	LogStreamNamePrefix *string  `json:"logStreamNamePrefix,omitempty"`
	LogStreamNames      []string `json:"logStreamNames,omitempty"`
	NextToken           *string  `json:"nextToken,omitempty"`
	StartFromHead       *bool    `json:"startFromHead,omitempty"`
	StartTime           *int64   `json:"startTime,omitempty"`
	Unmask              *bool    `json:"unmask,omitempty"`
}

// FilterLogEventsOutput is the output of FilterLogEvents.
type FilterLogEventsOutput struct {
	Events             []FilteredLogEvent  `json:"events"`
	NextToken          *string             `json:"nextToken,omitempty"`
	SearchedLogStreams []SearchedLogStream `json:"searchedLogStreams"`
}

// PutMetricFilterInput is the input of PutMetricFilter.
type PutMetricFilterInput struct {
	FilterName                *string                `json:"filterName"`
	FilterPattern             *string                `json:"filterPattern"`
	LogGroupName              *string                `json:"logGroupName"`
	MetricTransformations     []MetricTransformation `json:"metricTransformations"`
	ApplyOnTransformedLogs    *bool                  `json:"applyOnTransformedLogs,omitempty"`
	EmitSystemFieldDimensions []string               `json:"emitSystemFieldDimensions,omitempty"`
	FieldSelectionCriteria    *string                `json:"fieldSelectionCriteria,omitempty"`
}

// PutMetricFilterOutput is the (empty) output of PutMetricFilter.
type PutMetricFilterOutput struct{}

// DescribeMetricFiltersInput is the input of DescribeMetricFilters.
type DescribeMetricFiltersInput struct {
	FilterNamePrefix *string `json:"filterNamePrefix,omitempty"`
	Limit            *int32  `json:"limit,omitempty"`
	LogGroupName     *string `json:"logGroupName,omitempty"`
	MetricName       *string `json:"metricName,omitempty"`
	MetricNamespace  *string `json:"metricNamespace,omitempty"`
	NextToken        *string `json:"nextToken,omitempty"`
}

// DescribeMetricFiltersOutput is the output of DescribeMetricFilters.
type DescribeMetricFiltersOutput struct {
	MetricFilters []MetricFilter `json:"metricFilters"`
	NextToken     *string        `json:"nextToken,omitempty"`
}

// DeleteMetricFilterInput is the input of DeleteMetricFilter.
type DeleteMetricFilterInput struct {
	FilterName   *string `json:"filterName"`
	LogGroupName *string `json:"logGroupName"`
}

// DeleteMetricFilterOutput is the (empty) output of DeleteMetricFilter.
type DeleteMetricFilterOutput struct{}

// TestMetricFilterInput is the input of TestMetricFilter.
type TestMetricFilterInput struct {
	FilterPattern    *string  `json:"filterPattern"`
	LogEventMessages []string `json:"logEventMessages" sensitive:"true"`
}

// TestMetricFilterOutput is the output of TestMetricFilter.
type TestMetricFilterOutput struct {
	Matches []MetricFilterMatchRecord `json:"matches"`
}
