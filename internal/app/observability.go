package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/wharf-dev/wharf/internal/agent"
	"github.com/wharf-dev/wharf/internal/autoscaling"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/ecs"
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

// ecsScaler is ECS as Application Auto Scaling scales it (autoscaling.Scaler).
type ecsScaler struct{ ecs *ecs.Service }

// DesiredCount implements autoscaling.Scaler.
func (e ecsScaler) DesiredCount(ctx context.Context, cluster, service string) (int32, error) {
	out, err := e.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: &cluster, Services: []string{service}})
	if err != nil {
		return 0, err
	}
	if len(out.Services) != 1 || out.Services[0].Status != "ACTIVE" {
		return 0, fmt.Errorf("%w: service %s in cluster %s", autoscaling.ErrServiceNotFound, service, cluster)
	}
	return out.Services[0].DesiredCount, nil
}

// SetDesiredCount implements autoscaling.Scaler.
func (e ecsScaler) SetDesiredCount(ctx context.Context, cluster, service string, n int32) error {
	_, err := e.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: &cluster, Service: &service, DesiredCount: &n})
	return err
}

// lateDispatcher hands CloudWatch's alarm actions to Application Auto Scaling, which is
// built after CloudWatch (it creates its alarms there): set is called once both exist.
type lateDispatcher struct {
	mu sync.Mutex
	as *autoscaling.Service
}

func (d *lateDispatcher) set(as *autoscaling.Service) {
	d.mu.Lock()
	d.as = as
	d.mu.Unlock()
}

// DispatchAlarmAction implements cloudwatch.ActionDispatcher.
func (d *lateDispatcher) DispatchAlarmAction(ctx context.Context, a cloudwatch.AlarmAction) error {
	d.mu.Lock()
	as := d.as
	d.mu.Unlock()
	if as == nil {
		return errors.New("Application Auto Scaling is not running yet")
	}
	if !strings.HasPrefix(a.ActionARN, "arn:aws:autoscaling:") {
		return fmt.Errorf("action %s: Wharf dispatches only Application Auto Scaling policies", a.ActionARN)
	}
	return as.DispatchAlarmAction(ctx, a)
}

// deploymentAlarms reads the states of the alarms ECS deployments watch
// (ecs.Alarms). ECS is built before CloudWatch, so set is called once both exist.
type deploymentAlarms struct {
	mu sync.Mutex
	cw *cloudwatch.Service
}

func (d *deploymentAlarms) set(cw *cloudwatch.Service) {
	d.mu.Lock()
	d.cw = cw
	d.mu.Unlock()
}

// AlarmStates implements ecs.Alarms: the state of each named metric or composite
// alarm that exists.
func (d *deploymentAlarms) AlarmStates(ctx context.Context, names []string) (map[string]string, error) {
	d.mu.Lock()
	cw := d.cw
	d.mu.Unlock()
	out := map[string]string{}
	if cw == nil {
		return out, nil
	}
	for start := 0; start < len(names); start += 100 { // DescribeAlarms takes 100 names
		in := &cloudwatch.DescribeAlarmsInput{AlarmNames: names[start:min(start+100, len(names))], AlarmTypes: []string{"MetricAlarm", "CompositeAlarm"}}
		for {
			page, err := cw.DescribeAlarms(ctx, in)
			if err != nil {
				return nil, err
			}
			for _, a := range page.MetricAlarms {
				out[a.AlarmName] = a.StateValue
			}
			for _, a := range page.CompositeAlarms {
				out[a.AlarmName] = a.StateValue
			}
			if page.NextToken == nil {
				break
			}
			in.NextToken = page.NextToken
		}
	}
	return out, nil
}
