package platformmetrics

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/agent"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/ecs"
	"github.com/wharf-dev/wharf/internal/lb"
)

type recorder struct {
	mu   sync.Mutex
	data map[string][]cloudwatch.MetricDatum
}

func (r *recorder) Put(_ context.Context, ns string, data []cloudwatch.MetricDatum) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.data[ns] = append(r.data[ns], data...)
	return nil
}

// take returns and forgets what was published of a metric with the given dimension
// values (all must match).
func (r *recorder) take(ns, name string, dims map[string]string) []float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []float64
	kept := r.data[ns][:0]
	for _, d := range r.data[ns] {
		match := d.MetricName == name && len(d.Dimensions) == len(dims)
		for _, dim := range d.Dimensions {
			match = match && dims[dim.Name] == dim.Value
		}
		if !match {
			kept = append(kept, d)
			continue
		}
		if d.Value != nil {
			out = append(out, *d.Value)
		} else {
			out = append(out, *d.StatisticValues.Sum / *d.StatisticValues.SampleCount)
		}
	}
	r.data[ns] = kept
	return out
}

type lbSource struct{ ms []lb.Metric }

func (l *lbSource) Metrics() []lb.Metric { return l.ms }

type taskSource struct{ stats []agent.TaskStats }

func (t *taskSource) TaskStats(context.Context) []agent.TaskStats { return t.stats }

type serviceSource struct{}

func (serviceSource) ServiceCounts(context.Context) ([]ecs.ServiceCount, error) {
	return []ecs.ServiceCount{{Cluster: "default", Service: "web", Desired: 3, Running: 2, Pending: 1}}, nil
}

func TestPublish(t *testing.T) {
	rec := &recorder{data: map[string][]cloudwatch.MetricDatum{}}
	lbDims := map[string]string{"LoadBalancer": "app/web/1"}
	tgDims := map[string]string{"LoadBalancer": "app/web/1", "TargetGroup": "targetgroup/tg/2"}
	lbs := &lbSource{}
	reading := func(requests, rtSum, rtCount, healthy float64) {
		lbs.ms = []lb.Metric{
			{Name: "RequestCount", Dimensions: lbDims, Value: requests, Unit: "Count", Kind: lb.Counter},
			{Name: "RequestCount", Dimensions: tgDims, Value: requests, Unit: "Count", Kind: lb.Counter},
			{Name: "TargetResponseTime", Dimensions: lbDims, Value: rtSum, SampleCount: rtCount, Unit: "Seconds", Kind: lb.Summary},
			{Name: "HealthyHostCount", Dimensions: tgDims, Value: healthy, Unit: "Count", Kind: lb.Gauge},
		}
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tasks := &taskSource{}
	sample := func(at time.Duration, cpu time.Duration) {
		tasks.stats = []agent.TaskStats{{TaskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/a", ClusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
			Group: "service:web", TaskCPUUnits: 512, TaskMemoryMiB: 256, CPU: cpu, MemoryBytes: 64 << 20, Time: start.Add(at)}}
	}
	now := start
	p := New(Config{Sink: rec, LoadBalancers: lbs, Tasks: tasks, Services: serviceSource{}, Now: func() time.Time { return now }})

	reading(100, 5, 100, 2)
	sample(0, 0)
	p.Publish(context.Background())
	// The first reading only sets the baseline of counters.
	if got := rec.take(lb.MetricsNamespace, "RequestCount", lbDims); len(got) != 1 || got[0] != 100 {
		t.Fatalf("first RequestCount: %v, want [100] (counted from the data plane's start)", got)
	}
	rec.take(lb.MetricsNamespace, "TargetResponseTime", lbDims)
	rec.take(lb.MetricsNamespace, "RequestCountPerTarget", map[string]string{"TargetGroup": "targetgroup/tg/2"})

	reading(160, 8, 130, 2) // 60 more requests, 30 more responses taking 3 s in all
	sample(time.Second, 250*time.Millisecond)
	now = now.Add(time.Second)
	p.Publish(context.Background())
	if got := rec.take(lb.MetricsNamespace, "RequestCount", lbDims); len(got) != 1 || got[0] != 60 {
		t.Errorf("RequestCount: %v, want [60]", got)
	}
	if got := rec.take(lb.MetricsNamespace, "RequestCountPerTarget", map[string]string{"TargetGroup": "targetgroup/tg/2"}); len(got) != 1 || got[0] != 30 {
		t.Errorf("RequestCountPerTarget: %v, want [30]", got)
	}
	if got := rec.take(lb.MetricsNamespace, "TargetResponseTime", lbDims); len(got) != 1 || math.Abs(got[0]-0.1) > 1e-9 {
		t.Errorf("TargetResponseTime: %v, want [0.1]", got)
	}
	// 0.25 s of CPU in 1 s is 256 units of the 512 reserved: 50%; 64 of 256 MiB: 25%.
	svc := map[string]string{"ClusterName": "default", "ServiceName": "web"}
	if got := rec.take("AWS/ECS", "CPUUtilization", svc); len(got) != 1 || math.Abs(got[0]-50) > 1e-9 {
		t.Errorf("CPUUtilization: %v, want [50]", got)
	}
	if got := rec.take("AWS/ECS", "MemoryUtilization", svc); len(got) != 1 || got[0] != 25 {
		t.Errorf("MemoryUtilization: %v, want [25]", got)
	}
	if got := rec.take("AWS/ECS", "CPUUtilization", map[string]string{"ClusterName": "default"}); len(got) != 1 {
		t.Errorf("cluster CPUUtilization: %v", got)
	}
	if got := rec.take("ECS/ContainerInsights", "RunningTaskCount", svc); len(got) != 2 || got[0] != 2 || got[1] != 2 {
		t.Errorf("RunningTaskCount: %v, want 2 each time", got)
	}

	// No traffic: no RequestCount datapoint, as AWS publishes none.
	now = now.Add(time.Second)
	p.Publish(context.Background())
	if got := rec.take(lb.MetricsNamespace, "RequestCount", lbDims); len(got) != 0 {
		t.Errorf("RequestCount without traffic: %v, want none", got)
	}
}
