package lb

import (
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// MetricKind tells how a Metric's Value accumulates.
type MetricKind int

const (
	// Counter values only grow from the Proxy's start; a publisher sends the difference
	// between two readings as a CloudWatch Sum.
	Counter MetricKind = iota
	// Gauge values are the current value (HealthyHostCount, ActiveConnectionCount).
	Gauge
	// Summary values are a running sum of observations with their running count in
	// SampleCount (TargetResponseTime, in seconds); a publisher sends the differences
	// as a CloudWatch statistic set.
	Summary
)

// Metric is one CloudWatch metric of the AWS/ApplicationELB namespace as the data
// plane counts it. Dimensions use CloudWatch's names: LoadBalancer
// ("app/<name>/<id>") and TargetGroup ("targetgroup/<name>/<id>"; target group
// metrics also carry the LoadBalancer of the listener that uses the group).
// RequestCountPerTarget is not listed: as CloudWatch does, a publisher derives it as
// a period's RequestCount of a target group divided by its HealthyHostCount.
type Metric struct {
	Name        string
	Dimensions  map[string]string
	Value       float64
	SampleCount float64 // for Summary metrics
	Unit        string  // Count or Seconds
	Kind        MetricKind
}

// MetricsNamespace is the CloudWatch namespace of the metrics.
const MetricsNamespace = "AWS/ApplicationELB"

// counters are the hot-path counters of a load balancer or a target group. Each is
// one atomic add; nothing allocates.
type counters struct {
	requests atomic.Uint64
	target   [6]atomic.Uint64 // HTTPCode_Target_<n>XX_Count, by first digit
	elb      [6]atomic.Uint64 // HTTPCode_ELB_<n>XX_Count, by first digit
	elb502   atomic.Uint64
	elb503   atomic.Uint64
	elb504   atomic.Uint64
	rtNanos  atomic.Uint64 // TargetResponseTime sum
	rtCount  atomic.Uint64
	newConns atomic.Uint64
	active   atomic.Int64
	fixed    atomic.Uint64 // HTTP_Fixed_Response_Count
	redirect atomic.Uint64 // HTTP_Redirect_Count
}

func (c *counters) targetCode(code int, rt time.Duration) {
	if d := code / 100; d >= 1 && d <= 5 {
		c.target[d].Add(1)
	}
	c.rtNanos.Add(uint64(rt))
	c.rtCount.Add(1)
}

func (c *counters) elbCode(code int) {
	if d := code / 100; d >= 1 && d <= 5 {
		c.elb[d].Add(1)
	}
	switch code {
	case 502:
		c.elb502.Add(1)
	case 503:
		c.elb503.Add(1)
	case 504:
		c.elb504.Add(1)
	}
}

// dimension returns the CloudWatch dimension value of an ARN: the part after
// "loadbalancer/" for a load balancer, after the last ':' for a target group.
func dimension(arn string) string {
	if i := strings.Index(arn, ":loadbalancer/"); i >= 0 {
		return arn[i+len(":loadbalancer/"):]
	}
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// appendTarget appends the request and code counters shared by load balancers
// and target groups.
func (c *counters) appendTarget(out []Metric, dims map[string]string) []Metric {
	out = append(out, Metric{Name: "RequestCount", Dimensions: dims, Value: float64(c.requests.Load()), Unit: "Count"})
	for d := 2; d <= 5; d++ {
		out = append(out, Metric{Name: "HTTPCode_Target_" + string(rune('0'+d)) + "XX_Count", Dimensions: dims, Value: float64(c.target[d].Load()), Unit: "Count"})
	}
	out = append(out, Metric{Name: "TargetResponseTime", Dimensions: dims, Value: time.Duration(c.rtNanos.Load()).Seconds(), SampleCount: float64(c.rtCount.Load()), Unit: "Seconds", Kind: Summary})
	return out
}

// Metrics returns the current value of every metric the data plane keeps, for each
// load balancer and target group of the last snapshot, sorted by name and dimensions.
// Counters are cumulative since New.
func (p *Proxy) Metrics() []Metric {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Metric
	for _, lb := range p.lbs {
		dims := map[string]string{"LoadBalancer": dimension(lb.arn)}
		c := &lb.m
		out = c.appendTarget(out, dims)
		for d := 3; d <= 5; d++ {
			out = append(out, Metric{Name: "HTTPCode_ELB_" + string(rune('0'+d)) + "XX_Count", Dimensions: dims, Value: float64(c.elb[d].Load()), Unit: "Count"})
		}
		out = append(out,
			Metric{Name: "HTTPCode_ELB_502_Count", Dimensions: dims, Value: float64(c.elb502.Load()), Unit: "Count"},
			Metric{Name: "HTTPCode_ELB_503_Count", Dimensions: dims, Value: float64(c.elb503.Load()), Unit: "Count"},
			Metric{Name: "HTTPCode_ELB_504_Count", Dimensions: dims, Value: float64(c.elb504.Load()), Unit: "Count"},
			Metric{Name: "HTTP_Fixed_Response_Count", Dimensions: dims, Value: float64(c.fixed.Load()), Unit: "Count"},
			Metric{Name: "HTTP_Redirect_Count", Dimensions: dims, Value: float64(c.redirect.Load()), Unit: "Count"},
			Metric{Name: "NewConnectionCount", Dimensions: dims, Value: float64(c.newConns.Load()), Unit: "Count"},
			Metric{Name: "ActiveConnectionCount", Dimensions: dims, Value: float64(c.active.Load()), Unit: "Count", Kind: Gauge},
		)
	}
	for _, st := range p.groups {
		cfg := st.cfg.Load()
		dims := map[string]string{"TargetGroup": st.dim}
		if lb := p.tgLB[st.arn]; lb != "" {
			dims["LoadBalancer"] = dimension(lb)
		}
		out = st.m.appendTarget(out, dims)
		healthy, unhealthy := 0, 0
		for _, t := range cfg.active {
			switch t.state.Load() {
			case stHealthy, stUnavailable:
				healthy++
			case stUnhealthy:
				unhealthy++
			}
		}
		out = append(out,
			Metric{Name: "HealthyHostCount", Dimensions: dims, Value: float64(healthy), Unit: "Count", Kind: Gauge},
			Metric{Name: "UnHealthyHostCount", Dimensions: dims, Value: float64(unhealthy), Unit: "Count", Kind: Gauge},
		)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return dimKey(out[i].Dimensions) < dimKey(out[j].Dimensions)
	})
	return out
}

func dimKey(d map[string]string) string {
	return d["LoadBalancer"] + "|" + d["TargetGroup"]
}
