package cloudwatch

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

const maxStatDatapoints = 1440

// statSpec is a parsed statistic: a standard one or a percentile.
type statSpec struct {
	name string  // as given: "Average", "p99.9"
	pct  float64 // the percentile (0 to 100) of "pNN", or -1
}

// parseStat parses a statistic name: SampleCount, Average, Sum, Minimum, Maximum or a
// percentile p0 to p100 (up to ten decimals).
func parseStat(s string) (statSpec, bool) {
	if slices.Contains(standardStatistics, s) {
		return statSpec{name: s, pct: -1}, true
	}
	if len(s) < 2 || s[0] != 'p' {
		return statSpec{}, false
	}
	num := s[1:]
	whole, frac, hasFrac := strings.Cut(num, ".")
	if whole == "" || len(whole) > 3 || hasFrac && len(frac) > 10 {
		return statSpec{}, false
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return statSpec{}, false
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || v > 100 {
		return statSpec{}, false
	}
	return statSpec{name: s, pct: v}, true
}

// value returns the statistic of a, or false when it is unavailable (no data, or a
// percentile of data that has none).
func (st statSpec) value(a *agg) (float64, bool) {
	if a.n == 0 {
		return 0, false
	}
	switch st.name {
	case "SampleCount":
		return a.n, true
	case "Average":
		return a.sum / a.n, true
	case "Sum":
		return a.sum, true
	case "Minimum":
		return a.min, true
	case "Maximum":
		return a.max, true
	}
	if a.noPct {
		return 0, false
	}
	return a.sk.quantile(st.pct/100, a.min, a.max)
}

// validPeriod reports whether p is a period CloudWatch accepts for queries: 1, 5,
// 10, 20, 30 or a multiple of 60.
func validPeriod(p int64) bool {
	switch p {
	case 1, 5, 10, 20, 30:
		return true
	}
	return p >= 60 && p%60 == 0
}

// alignStart rounds a query's start time down as CloudWatch does: to the period for
// sub-minute periods, otherwise to the minute, five minutes or the hour by age.
func alignStart(from, period, now int64) int64 {
	g := int64(60)
	switch age := now - from; {
	case period < 60:
		g = period
	case age > tierKeep[2]:
		g = 3600
	case age > tierKeep[1]:
		g = 300
	}
	return from - mod(from, g)
}

// tierFor picks the tier that answers a period starting at from: 1-second data for
// sub-minute periods within 3 hours; otherwise the finest tier that still holds from
// and divides the period. ok is false when none can (no data, as in CloudWatch).
func tierFor(period, from, now int64) (int, bool) {
	age := now - from
	if period%60 != 0 {
		return 0, age <= tierKeep[0]
	}
	for t := 1; t < numTiers; t++ {
		if age <= tierKeep[t] && period%tierRes[t] == 0 && from%tierRes[t] == 0 {
			return t, true
		}
	}
	return 0, false
}

// GetMetricStatisticsInput is the input of GetMetricStatistics.
type GetMetricStatisticsInput struct {
	Namespace          string      `json:"Namespace"`
	MetricName         string      `json:"MetricName"`
	Dimensions         []Dimension `json:"Dimensions,omitempty"`
	StartTime          *time.Time  `json:"StartTime"`
	EndTime            *time.Time  `json:"EndTime"`
	Period             *int32      `json:"Period"`
	Statistics         []string    `json:"Statistics,omitempty"`
	ExtendedStatistics []string    `json:"ExtendedStatistics,omitempty"`
	Unit               string      `json:"Unit,omitempty"`
}

// GetMetricStatisticsOutput is the output of GetMetricStatistics.
type GetMetricStatisticsOutput struct {
	Label      string      `json:"Label,omitempty"`
	Datapoints []Datapoint `json:"Datapoints"`
}

// GetMetricStatistics returns statistics of one metric per period; without a Unit,
// data of each unit comes back as separate datapoints.
func (s *Service) GetMetricStatistics(ctx context.Context, in *GetMetricStatisticsInput) (*GetMetricStatisticsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch {
	case in.Namespace == "":
		return nil, errMissing("Namespace")
	case in.MetricName == "":
		return nil, errMissing("MetricName")
	case in.StartTime == nil:
		return nil, errMissing("StartTime")
	case in.EndTime == nil:
		return nil, errMissing("EndTime")
	case in.Period == nil:
		return nil, errMissing("Period")
	}
	if len(in.Statistics) == 0 && len(in.ExtendedStatistics) == 0 {
		return nil, errCombination("At least one of the parameters Statistics and ExtendedStatistics must be specified.")
	}
	if len(in.Statistics) > 0 && len(in.ExtendedStatistics) > 0 {
		return nil, errCombination("The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.")
	}
	if len(in.Statistics) > 5 {
		return nil, errInvalidValue("The collection Statistics must not have a size greater than 5.")
	}
	if len(in.ExtendedStatistics) > 10 {
		return nil, errInvalidValue("The collection ExtendedStatistics must not have a size greater than 10.")
	}
	var stats []statSpec
	for i, name := range in.Statistics {
		if !slices.Contains(standardStatistics, name) {
			return nil, errInvalidValue("The parameter Statistics.member.%d must be a value in the set [ %s ].", i+1, strings.Join(standardStatistics, ", "))
		}
		stats = append(stats, statSpec{name: name, pct: -1})
	}
	for i, name := range in.ExtendedStatistics {
		st, ok := parseStat(name)
		if !ok || st.pct < 0 {
			return nil, errInvalidValue("The value %s for parameter ExtendedStatistics.member.%d is not a valid percentile statistic (p0.0 to p100).", name, i+1)
		}
		stats = append(stats, st)
	}
	period := int64(*in.Period)
	if !validPeriod(period) {
		return nil, errInvalidValue("The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60.")
	}
	if _, err := validUnit(in.Unit, "Unit"); err != nil {
		return nil, err
	}
	dims, err := validDims(in.Dimensions, "Dimensions")
	if err != nil {
		return nil, err
	}
	if !in.StartTime.Before(*in.EndTime) {
		return nil, errInvalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	now := s.clock.Now().Unix()
	from := alignStart(in.StartTime.Unix(), period, now)
	to := ceilDiv(in.EndTime.UnixNano(), int64(time.Second))
	if n := ceilDiv(to-from, period); n > maxStatDatapoints {
		return nil, errCombination("You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n, maxStatDatapoints)
	}
	out := &GetMetricStatisticsOutput{Label: in.MetricName, Datapoints: []Datapoint{}}
	tier, ok := tierFor(period, from, now)
	if !ok {
		return out, nil
	}
	key := seriesKey(in.Namespace, in.MetricName, dims)
	withPct := len(in.ExtendedStatistics) > 0
	units := []string{in.Unit}
	if in.Unit == "" {
		units = s.mem.units(key)
	}
	for _, unit := range units {
		for _, pa := range s.mem.periods(key, unit, tier, from, to, period, withPct) {
			dp := Datapoint{Timestamp: ptr(time.Unix(pa.t, 0).UTC()), Unit: unit}
			for _, st := range stats {
				v, ok := st.value(&pa.a)
				if !ok {
					continue
				}
				switch st.name {
				case "SampleCount":
					dp.SampleCount = ptr(v)
				case "Average":
					dp.Average = ptr(v)
				case "Sum":
					dp.Sum = ptr(v)
				case "Minimum":
					dp.Minimum = ptr(v)
				case "Maximum":
					dp.Maximum = ptr(v)
				default:
					if dp.ExtendedStatistics == nil {
						dp.ExtendedStatistics = map[string]float64{}
					}
					dp.ExtendedStatistics[st.name] = v
				}
			}
			out.Datapoints = append(out.Datapoints, dp)
		}
	}
	slices.SortStableFunc(out.Datapoints, func(a, b Datapoint) int { return a.Timestamp.Compare(*b.Timestamp) })
	return out, nil
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return a / b
	}
	return (a + b - 1) / b
}

// metricSeries computes one metric statistic per period over [from, to) as a series
// (periods without a value left out); from is aligned by the caller. unit "" takes
// data of every unit together.
func (s *Service) metricSeries(key, unit string, st statSpec, from, to, period, now int64) *tseries {
	out := &tseries{}
	tier, ok := tierFor(period, from, now)
	if !ok {
		return out
	}
	for _, pa := range s.mem.periods(key, unit, tier, from, to, period, st.pct >= 0) {
		if v, ok := st.value(&pa.a); ok && !math.IsNaN(v) {
			out.ts = append(out.ts, pa.t)
			out.vs = append(out.vs, v)
		}
	}
	return out
}

// metricLabel is the default label of a metric query.
func metricLabel(m *Metric) string { return m.MetricName }
