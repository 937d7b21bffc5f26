// Package platformmetrics publishes the CloudWatch metrics that AWS publishes for the
// services Wharf runs, from Wharf's own components, at 1-second resolution:
//
//   - AWS/ApplicationELB, from the load balancer data plane's counters: RequestCount,
//     HTTPCode_*, TargetResponseTime, HealthyHostCount... with AWS's dimensions
//     (LoadBalancer=app/<name>/<id>, TargetGroup=targetgroup/<name>/<id>), and
//     RequestCountPerTarget derived as CloudWatch does (a target group's requests
//     divided by its healthy targets);
//   - AWS/ECS CPUUtilization and MemoryUtilization per ClusterName and ServiceName (and
//     per ClusterName), from the tasks' measured CPU time and memory, as a percentage of
//     what their task definitions reserve;
//   - ECS/ContainerInsights RunningTaskCount, DesiredTaskCount and PendingTaskCount per
//     ClusterName and ServiceName, where AWS's Container Insights puts them.
//
// Counters are published as the difference between two readings, and nothing is
// published for a counter that did not move, as AWS publishes ALB metrics only when
// there is traffic.
package platformmetrics

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/agent"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/ecs"
	"github.com/wharf-dev/wharf/internal/lb"
)

// Sink stores metric data (CloudWatch's Put).
type Sink interface {
	Put(ctx context.Context, namespace string, data []cloudwatch.MetricDatum) error
}

// LoadBalancers reads the data plane's counters (lb.Proxy).
type LoadBalancers interface {
	Metrics() []lb.Metric
}

// Tasks samples what the node's tasks use (agent.Agent).
type Tasks interface {
	TaskStats(ctx context.Context) []agent.TaskStats
}

// Services lists the ECS services' task counts (ecs.Service).
type Services interface {
	ServiceCounts(ctx context.Context) ([]ecs.ServiceCount, error)
}

// Config wires a Publisher. Every source is optional.
type Config struct {
	Sink          Sink
	LoadBalancers LoadBalancers
	Tasks         Tasks
	Services      Services
	// Interval between publications; one second when zero.
	Interval time.Duration
	// Now is the clock of the timestamps; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// Publisher publishes the metrics; Run drives it.
type Publisher struct {
	cfg      Config
	log      *slog.Logger
	counters map[string]lb.Metric       // last reading of each counter and summary, by series
	cpu      map[string]agent.TaskStats // last sample of each task, by task ARN
	failing  bool                       // the sink failed last time (logged once)
}

// New returns a Publisher.
func New(cfg Config) *Publisher {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Publisher{cfg: cfg, log: cfg.Logger, counters: map[string]lb.Metric{}, cpu: map[string]agent.TaskStats{}}
}

// Run publishes every interval until ctx ends.
func (p *Publisher) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			p.Publish(ctx)
		}
	}
}

// Publish takes one reading of every source and stores what changed.
func (p *Publisher) Publish(ctx context.Context) {
	now := p.cfg.Now().UTC().Truncate(time.Second)
	batches := map[string][]cloudwatch.MetricDatum{}
	if p.cfg.LoadBalancers != nil {
		batches[lb.MetricsNamespace] = p.loadBalancerData(p.cfg.LoadBalancers.Metrics(), now)
	}
	if p.cfg.Tasks != nil {
		batches["AWS/ECS"] = p.taskData(p.cfg.Tasks.TaskStats(ctx), now)
	}
	if p.cfg.Services != nil {
		counts, err := p.cfg.Services.ServiceCounts(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.Warn("reading ECS service counts", "err", err)
		}
		batches["ECS/ContainerInsights"] = countData(counts, now)
	}
	failed := false
	for _, ns := range slices.Sorted(maps.Keys(batches)) {
		data := batches[ns]
		for len(data) > 0 {
			n := min(len(data), 1000) // PutMetricData's limit per call
			if err := p.cfg.Sink.Put(ctx, ns, data[:n]); err != nil {
				failed = true
				if !p.failing && ctx.Err() == nil {
					p.log.Warn("publishing metrics", "namespace", ns, "err", err)
				}
				break
			}
			data = data[n:]
		}
	}
	p.failing = failed
}

// loadBalancerData turns a reading of the data plane's metrics into data: the change
// of counters and summaries since the last reading, the value of gauges, and each
// target group's RequestCountPerTarget.
func (p *Publisher) loadBalancerData(ms []lb.Metric, now time.Time) []cloudwatch.MetricDatum {
	var out []cloudwatch.MetricDatum
	healthy := map[string]float64{}  // target group dimension → healthy hosts
	requests := map[string]float64{} // target group dimension → requests this interval
	seen := map[string]bool{}
	for _, m := range ms {
		key := seriesKey(m.Name, m.Dimensions)
		seen[key] = true
		tg := m.Dimensions["TargetGroup"]
		switch m.Kind {
		case lb.Gauge:
			out = append(out, datum(m.Name, m.Dimensions, m.Value, m.Unit, now))
			if m.Name == "HealthyHostCount" && tg != "" {
				healthy[tg] = m.Value
			}
		case lb.Counter:
			prev, had := p.counters[key]
			p.counters[key] = m
			delta := m.Value
			if had {
				delta -= prev.Value
			}
			if delta <= 0 {
				continue
			}
			out = append(out, datum(m.Name, m.Dimensions, delta, m.Unit, now))
			if m.Name == "RequestCount" && tg != "" {
				requests[tg] += delta
			}
		case lb.Summary:
			prev, had := p.counters[key]
			p.counters[key] = m
			sum, n := m.Value, m.SampleCount
			if had {
				sum, n = sum-prev.Value, n-prev.SampleCount
			}
			if n <= 0 {
				continue
			}
			// The data plane keeps only sums, so each interval's minimum and maximum
			// are its mean.
			mean := sum / n
			d := datum(m.Name, m.Dimensions, 0, m.Unit, now)
			d.Value = nil
			d.StatisticValues = &cloudwatch.StatisticSet{SampleCount: &n, Sum: &sum, Minimum: &mean, Maximum: &mean}
			out = append(out, d)
		}
	}
	for key := range p.counters {
		if !seen[key] {
			delete(p.counters, key) // a load balancer or target group that went away
		}
	}
	for tg, n := range requests {
		if h := healthy[tg]; h > 0 {
			out = append(out, datum("RequestCountPerTarget", map[string]string{"TargetGroup": tg}, n/h, "Count", now))
		}
	}
	return out
}

// taskData computes each service's (and cluster's) CPU and memory utilization over the
// interval since the previous sample of its tasks.
func (p *Publisher) taskData(stats []agent.TaskStats, now time.Time) []cloudwatch.MetricDatum {
	type usage struct {
		cpuUsed, cpuReserved float64 // CPU units
		memUsed, memReserved float64 // MiB
	}
	byService := map[[2]string]*usage{}
	byCluster := map[string]*usage{}
	live := map[string]bool{}
	for _, s := range stats {
		live[s.TaskArn] = true
		prev, had := p.cpu[s.TaskArn]
		p.cpu[s.TaskArn] = s
		cluster := s.ClusterArn[strings.LastIndexByte(s.ClusterArn, '/')+1:]
		service, ok := strings.CutPrefix(s.Group, "service:")
		if !ok || !had || !s.Time.After(prev.Time) {
			continue
		}
		reserved := float64(s.TaskCPUUnits)
		if reserved == 0 {
			reserved = 1024 // no reservation: measured against one vCPU
		}
		used := float64(s.CPU-prev.CPU) / float64(s.Time.Sub(prev.Time)) * 1024
		for _, u := range []*usage{entry(byService, [2]string{cluster, service}), entry(byCluster, cluster)} {
			u.cpuUsed += max(used, 0)
			u.cpuReserved += reserved
			if s.TaskMemoryMiB > 0 {
				u.memUsed += float64(s.MemoryBytes) / (1 << 20)
				u.memReserved += float64(s.TaskMemoryMiB)
			}
		}
	}
	for arn := range p.cpu {
		if !live[arn] {
			delete(p.cpu, arn)
		}
	}
	var out []cloudwatch.MetricDatum
	add := func(dims map[string]string, u *usage) {
		out = append(out, datum("CPUUtilization", dims, 100*u.cpuUsed/u.cpuReserved, "Percent", now))
		if u.memReserved > 0 {
			out = append(out, datum("MemoryUtilization", dims, 100*u.memUsed/u.memReserved, "Percent", now))
		}
	}
	for k, u := range byService {
		add(map[string]string{"ClusterName": k[0], "ServiceName": k[1]}, u)
	}
	for c, u := range byCluster {
		add(map[string]string{"ClusterName": c}, u)
	}
	return out
}

// entry returns m[k], made when missing.
func entry[K comparable, V any](m map[K]*V, k K) *V {
	v, ok := m[k]
	if !ok {
		v = new(V)
		m[k] = v
	}
	return v
}

// countData reports the task counts of each service.
func countData(counts []ecs.ServiceCount, now time.Time) []cloudwatch.MetricDatum {
	var out []cloudwatch.MetricDatum
	for _, c := range counts {
		dims := map[string]string{"ClusterName": c.Cluster, "ServiceName": c.Service}
		out = append(out,
			datum("RunningTaskCount", dims, float64(c.Running), "Count", now),
			datum("DesiredTaskCount", dims, float64(c.Desired), "Count", now),
			datum("PendingTaskCount", dims, float64(c.Pending), "Count", now))
	}
	return out
}

// datum is one high-resolution value.
func datum(name string, dims map[string]string, v float64, unit string, t time.Time) cloudwatch.MetricDatum {
	res := int32(1)
	d := cloudwatch.MetricDatum{MetricName: name, Value: &v, Unit: unit, Timestamp: &t, StorageResolution: &res}
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		d.Dimensions = append(d.Dimensions, cloudwatch.Dimension{Name: k, Value: dims[k]})
	}
	return d
}

// seriesKey names a metric series.
func seriesKey(name string, dims map[string]string) string {
	var b strings.Builder
	b.WriteString(name)
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		b.WriteString("\x00" + k + "=" + dims[k])
	}
	return b.String()
}
