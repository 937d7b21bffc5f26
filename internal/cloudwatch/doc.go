// Package cloudwatch is Wharf's Amazon CloudWatch metrics and alarms service. It
// speaks all three protocols CloudWatch clients use (rpcv2Cbor for the current Go
// SDK, awsJson1_0 for botocore, awsQuery for older clients) through the gateway,
// with query-compatible errors (awsapi.Error.QueryCode).
//
// Metrics: PutMetricData (Value, Values/Counts, StatisticValues, units, one-second
// and one-minute storage resolution), GetMetricStatistics (standard statistics and
// percentiles), GetMetricData (metric statistics and metric math, see
// mathparse.go), ListMetrics. Data is aggregated at ingest into the four resolutions
// CloudWatch keeps (memstore.go), held in memory and made durable by a write-ahead
// log with group commit and snapshots (wal.go).
//
// Alarms: metric alarms on one metric or on metric math, M out of N, all four
// TreatMissingData behaviours, composite alarms, history, actions dispatched through
// an ActionDispatcher, all evaluated by Run against an injected clock, with an
// optional time scale (evaluate.go).
//
// Wharf's own services publish with Put (AWS/ namespaces allowed); WritePrometheus
// exposes every metric to Prometheus.
//
// Where Wharf knowingly differs from AWS:
//   - Anomaly detection (ThresholdMetricId, the band comparison operators), Metrics
//     Insights queries (SEARCH, SELECT), PromQL alarms (EvaluationCriteria), alarm
//     warm-up, ActionConfiguration and composite alarm action suppression are
//     rejected with a ValidationError rather than accepted and ignored. Dashboards, metric streams, insight rules and
//     anomaly detectors are not served.
//   - Extended statistics are percentiles (pNN.NN) only; trimmed means (tm, TM),
//     winsorized means (wm), trimmed counts and sums (tc, ts), IQM and PR are not.
//     Percentiles come from a sketch accurate to 1% of the value.
//   - Dynamic labels are not expanded; LabelOptions is validated and ignored.
//   - An alarm's evaluation range is EvaluationPeriods + 2 periods (CloudWatch says
//     only that it reads more than EvaluationPeriods).
//   - Alarms are limited to 10,000 per account (LimitExceeded).
//   - Entities sent with EntityMetricData are not kept; their metric data is.
//   - Alarm actions go to an ActionDispatcher (Application Auto Scaling); there is no
//     SNS, Lambda or EC2 to deliver to, so without a dispatcher, or for ARNs it does
//     not serve, the action is recorded in the history as failed. Auto Scaling
//     actions (arn:aws:autoscaling:...) are invoked again every minute while the
//     alarm stays in the state, as CloudWatch documents; others only on transitions.
//   - Composite alarm StateReason wording is Wharf's own.
package cloudwatch
