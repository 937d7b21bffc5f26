// Package logs is Wharf's Amazon CloudWatch Logs: log groups with retention, tags and
// classes, log streams, PutLogEvents with AWS's batch rules, GetLogEvents and
// FilterLogEvents with AWS's token semantics and filter pattern language, and metric
// filters whose data points go to a MetricSink (CloudWatch) as events are stored.
//
// Events are stored durably before PutLogEvents returns, in an append-only segment log
// per log group (see segment.go for the format and the benchmark that chose it);
// group, stream and metric filter metadata live in internal/store. Retention is real:
// expired events stop being returned at once, and Run deletes the segments that hold
// only expired events.
//
// Append is the entry point of a log driver (the awslogs driver of the agent): it
// creates the stream and group as needed and stores without authorization.
//
// Where Wharf knowingly differs from AWS:
//   - kmsKeyId is recorded and reported but events are not encrypted with it;
//     deletion protection, data protection, transformers, subscription filters,
//     Logs Insights, Live Tail and cross-account observability are not served.
//   - DescribeLogGroups' logGroupNamePattern is the case-sensitive substring match the
//     API reference describes.
//   - Deleting a log stream hides its events at once; their bytes go when the segments
//     holding them expire or the group is deleted.
//   - The regex (%...%) filter syntax is RE2 restricted to the characters AWS allows;
//     unquoted terms may hold letters, digits, '_', '.' and '-' (AWS documents letters,
//     digits and '_').
//   - storedBytes of a group is the size of its segment files; of a stream, 0 (AWS
//     reports 0 there too).
package logs
