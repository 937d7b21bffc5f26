package app

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"

	"github.com/wharf-dev/wharf/internal/agent"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/logs"
)

// logSink ships the output of awslogs containers to CloudWatch Logs (agent.LogSink).
type logSink struct {
	logs *logs.Service
	log  *slog.Logger
}

// Append implements agent.LogSink.
func (l logSink) Append(ctx context.Context, group, stream string, events []agent.LogEvent, createGroup bool) error {
	in := make([]logs.InputLogEvent, len(events))
	for i, e := range events {
		msg, ts := e.Message, e.Timestamp.UnixMilli()
		in[i] = logs.InputLogEvent{Message: &msg, Timestamp: &ts}
	}
	err := l.logs.Append(ctx, group, stream, in, createGroup)
	var dropped *logs.DroppedEventsError
	if errors.As(err, &dropped) {
		// The rest is stored: retrying would store it twice.
		l.log.Warn("log events dropped", "log_group", group, "log_stream", stream, "reason", err)
		return nil
	}
	return err
}

// metricSink publishes the data points of log metric filters to CloudWatch
// (logs.MetricSink).
type metricSink struct{ cw *cloudwatch.Service }

// PutMetrics implements logs.MetricSink.
func (m metricSink) PutMetrics(ctx context.Context, namespace string, data []logs.Metric) error {
	out := make([]cloudwatch.MetricDatum, len(data))
	for i, d := range data {
		v, t := d.Value, d.Timestamp
		out[i] = cloudwatch.MetricDatum{MetricName: d.Name, Value: &v, Timestamp: &t, Unit: d.Unit}
		for _, k := range slices.Sorted(maps.Keys(d.Dimensions)) {
			out[i].Dimensions = append(out[i].Dimensions, cloudwatch.Dimension{Name: k, Value: d.Dimensions[k]})
		}
	}
	return m.cw.Put(ctx, namespace, out)
}
