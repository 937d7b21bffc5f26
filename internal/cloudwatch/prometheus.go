package cloudwatch

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"
)

// WritePrometheus writes every metric in the Prometheus text exposition format
// 0.0.4, one gauge per metric: its average over the latest minute that has data (all
// units together). The family name is the namespace and metric name, lower-cased,
// with every run of other characters than letters and digits made one underscore
// (AWS/ECS CPUUtilization is aws_ecs_cpuutilization; MyApp Latency is
// myapp_latency); the labels are namespace (the CloudWatch namespace itself) and one
// label per dimension, its name sanitized the same way without lower-casing (a
// dimension that would collide with "namespace" or another label gets a "dim_"
// prefix).
func (s *Service) WritePrometheus(w io.Writer) error {
	type sample struct {
		labels string
		value  float64
	}
	type family struct {
		name, help string
		samples    []sample
	}
	fams := map[string]*family{}
	for _, m := range s.mem.list(true) {
		if m.latest.n == 0 {
			continue
		}
		name := promName(strings.ToLower(m.ns + "_" + m.name))
		f := fams[name]
		if f == nil {
			f = &family{name: name, help: "CloudWatch metric " + m.ns + " " + m.name + ": average of the latest minute with data."}
			fams[name] = f
		}
		var lb strings.Builder
		lb.WriteString(`namespace="` + promEscape(m.ns) + `"`)
		used := map[string]bool{"namespace": true}
		for _, d := range m.dims {
			ln := promName(d.Name)
			for used[ln] {
				ln = "dim_" + ln
			}
			used[ln] = true
			lb.WriteString("," + ln + `="` + promEscape(d.Value) + `"`)
		}
		f.samples = append(f.samples, sample{labels: lb.String(), value: m.latest.sum / m.latest.n})
	}
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	bw := bufio.NewWriter(w)
	for _, n := range names {
		f := fams[n]
		sort.Slice(f.samples, func(i, j int) bool { return f.samples[i].labels < f.samples[j].labels })
		bw.WriteString("# HELP " + f.name + " " + promHelpEscape(f.help) + "\n")
		bw.WriteString("# TYPE " + f.name + " gauge\n")
		for _, smp := range f.samples {
			bw.WriteString(f.name + "{" + smp.labels + "} " + strconv.FormatFloat(smp.value, 'g', -1, 64) + "\n")
		}
	}
	return bw.Flush()
}

// promName makes a valid Prometheus metric or label name: letters, digits and
// underscores, not starting with a digit.
func promName(s string) string {
	var b strings.Builder
	under := false
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !ok {
			if !under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = true
			continue
		}
		under = false
		b.WriteRune(c)
	}
	out := strings.TrimSuffix(b.String(), "_")
	if out == "" || out[0] >= '0' && out[0] <= '9' {
		out = "_" + out
	}
	return out
}

func promEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func promHelpEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}
