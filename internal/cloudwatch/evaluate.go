package cloudwatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// Alarm evaluation. Each metric alarm is evaluated once per evaluation interval:
// every minute for periods of a minute or more, every period for 10, 20 and 30
// seconds (AWS's cadence), with the window of periods ending at the start of the
// current interval. With Config.TimeScale k, a period P counts as
// max(1 s, P/k) of real time and the interval shrinks alike; at k = 1 periods and
// intervals fall on the minute, as in CloudWatch.
//
// An evaluation reads the alarm's evaluation range, EvaluationPeriods + 2 periods,
// and decides as CloudWatch documents ("How alarm state is evaluated when data is
// missing"): with at least N real datapoints in the range, the N most recent decide
// (ALARM when at least M breach); with fewer, missing datapoints are filled as
// TreatMissingData says (breaching/notBreaching), or not at all (missing: no data at
// all is INSUFFICIENT_DATA; ignore keeps the state), including the premature-alarm
// rule for intermittent breaching data.

// notBreaching, breaching and missingPoint classify a datapoint.
const (
	pointMissing = iota
	pointOK
	pointBreach
)

// outcome is the result of evaluating an alarm.
type outcome struct {
	keep       bool // leave the state as it is
	state      string
	reason     string
	reasonData string
}

// transition is a state change to act on.
type transition struct {
	alarm      *alarmRecord
	oldState   string
	newState   string
	reason     string
	reasonData string
	at         time.Time
}

// Run evaluates alarms until ctx ends, and once an hour drops alarm history older
// than two weeks and snapshots the metric data. It returns nil when ctx ends.
func (s *Service) Run(ctx context.Context) error {
	tick := 10 * time.Second
	if s.scale > 1 {
		tick = time.Second
	}
	lastHousekeeping := s.clock.Now()
	for {
		now := s.clock.Now()
		wait := now.Truncate(tick).Add(tick).Sub(now)
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(wait):
		}
		now = s.clock.Now()
		s.evaluateAll(ctx, now)
		if now.Sub(lastHousekeeping) >= time.Hour {
			lastHousekeeping = now
			if err := s.purgeHistory(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Error("cloudwatch: purge alarm history", "err", err)
			}
			if err := s.compact(); err != nil {
				s.log.Error("cloudwatch: metric snapshot failed", "err", err)
			}
		}
	}
}

// scaled returns the real-time length of a period of p seconds.
func (s *Service) scaled(p int64) int64 {
	if s.scale <= 1 {
		return p
	}
	return max(1, int64(math.Round(float64(p)/s.scale)))
}

// interval returns an alarm's evaluation interval for a period of p seconds.
func (s *Service) interval(p int64) int64 {
	pe := s.scaled(p)
	iv := s.scaled(min(p, 60))
	if pe%iv != 0 && pe < 60 {
		iv = pe // keep sub-minute windows aligned to their periods
	}
	return max(1, iv)
}

// evalState is what the evaluator remembers between passes (not persisted: after a
// restart every alarm is simply due).
type evalState struct {
	last        map[string]int64  // alarm → last evaluation (unix seconds)
	fingerprint map[string]string // composite alarm → its children's states
}

// evaluateAll runs one pass: every due metric alarm, then composite alarms whose
// children changed.
func (s *Service) evaluateAll(ctx context.Context, at time.Time) {
	trs, repeats := s.evaluatePass(ctx, at)
	// Actions run outside evalMu, so that a dispatcher may call back into the
	// service.
	for _, tr := range trs {
		s.runActions(ctx, tr, false)
	}
	for _, rp := range repeats {
		s.runActions(ctx, rp, true)
	}
	if s.afterEval != nil {
		s.afterEval(at)
	}
}

// evaluatePass evaluates and stores the alarms' states, returning the transitions
// and the repeated Auto Scaling invocations to act on.
func (s *Service) evaluatePass(ctx context.Context, at time.Time) (trs, repeats []*transition) {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	if s.evalMem.last == nil {
		s.evalMem = evalState{last: map[string]int64{}, fingerprint: map[string]string{}}
	}
	now := at.Unix()
	var alarms []*alarmRecord
	err := s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketAlarms, "", func(_ string, raw []byte) error {
			var r alarmRecord
			if err := store.Decode(raw, &r); err != nil {
				return err
			}
			alarms = append(alarms, &r)
			return nil
		})
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("cloudwatch: load alarms", "err", err)
		}
		return nil, nil
	}
	live := map[string]bool{}
	for _, r := range alarms {
		live[r.Name] = true
		if r.Metric == nil {
			continue
		}
		period := s.alarmPeriodOf(r)
		iv := s.interval(period)
		last, seen := s.evalMem.last[r.Name]
		if seen && now/iv <= last/iv {
			continue
		}
		s.evalMem.last[r.Name] = now
		end := now - mod(now, iv)
		o := s.evaluateMetricAlarm(r, end, at)
		if o.keep || o.state == r.StateValue {
			if rp := s.repeatDue(r, o, at); rp != nil {
				repeats = append(repeats, rp)
			}
			continue
		}
		tr, err := s.commitState(ctx, r, o, at)
		if err != nil {
			s.log.Error("cloudwatch: store alarm state", "alarm", r.Name, "err", err)
			continue
		}
		if tr != nil {
			trs = append(trs, tr)
			r.StateValue = tr.newState
		}
	}
	// Composite alarms, after their children changed.
	states := map[string]string{}
	for _, r := range alarms {
		states[r.Name] = r.StateValue
	}
	for _, r := range alarms {
		if r.Composite == nil {
			continue
		}
		rule, err := parseRule(r.Composite.AlarmRule)
		if err != nil {
			continue
		}
		var fp strings.Builder
		fmt.Fprintf(&fp, "v%d", r.Version)
		for _, ref := range rule.alarms(nil) {
			fp.WriteString("|" + ref + "=" + states[s.alarmNameOf(ref)])
		}
		if s.evalMem.fingerprint[r.Name] == fp.String() {
			continue
		}
		s.evalMem.fingerprint[r.Name] = fp.String()
		o := s.evaluateComposite(r, rule, states, at)
		if o.state == r.StateValue {
			continue
		}
		tr, err := s.commitState(ctx, r, o, at)
		if err != nil {
			s.log.Error("cloudwatch: store alarm state", "alarm", r.Name, "err", err)
			continue
		}
		if tr != nil {
			trs = append(trs, tr)
			states[r.Name] = tr.newState
		}
	}
	for name := range s.evalMem.last {
		if !live[name] {
			delete(s.evalMem.last, name)
		}
	}
	for name := range s.evalMem.fingerprint {
		if !live[name] {
			delete(s.evalMem.fingerprint, name)
		}
	}
	return trs, repeats
}

// alarmPeriodOf returns a metric alarm's period in seconds.
func (s *Service) alarmPeriodOf(r *alarmRecord) int64 {
	if r.Metric.Period != nil {
		return int64(*r.Metric.Period)
	}
	if m, err := compileAlarmMetrics(r.Metric.Metrics); err == nil {
		return m.period
	}
	return 60
}

// commitState stores an outcome if the alarm is still the one evaluated.
func (s *Service) commitState(ctx context.Context, r *alarmRecord, o outcome, at time.Time) (*transition, error) {
	var tr *transition
	var data *string
	if o.reasonData != "" {
		data = &o.reasonData
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		cur, err := getAlarm(tx, r.Name)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		tr, err = s.applyState(tx, cur, r.Version, o.state, o.reason, data, at.UTC().Truncate(time.Millisecond))
		return err
	})
	return tr, err
}

// applyState sets an alarm's state in tx if its configuration is still version;
// a change of state value records a StateUpdate history item and returns the
// transition.
func (s *Service) applyState(tx *store.Tx, r *alarmRecord, version int64, state, reason string, data *string, now time.Time) (*transition, error) {
	if r.Version != version {
		return nil, nil // reconfigured meanwhile: the next pass evaluates the new one
	}
	old, oldReason := r.StateValue, r.StateReason
	r.StateValue, r.StateReason, r.StateReasonData, r.StateUpdated = state, reason, data, now
	if old == state {
		return nil, tx.Put(bucketAlarms, r.Name, r)
	}
	r.StateTransitioned = now
	if len(r.actionsFor(state)) > 0 && hasAutoScaling(r.actionsFor(state)) {
		r.LastRepeat = now
	}
	if err := tx.Put(bucketAlarms, r.Name, r); err != nil {
		return nil, err
	}
	if err := s.addHistory(tx, stateHistory(r, old, oldReason, now)); err != nil {
		return nil, err
	}
	return &transition{alarm: r, oldState: old, newState: state, reason: reason, reasonData: deref(data), at: now}, nil
}

func isAutoScaling(arn string) bool { return strings.HasPrefix(arn, "arn:aws:autoscaling:") }

func hasAutoScaling(actions []string) bool {
	for _, a := range actions {
		if isAutoScaling(a) {
			return true
		}
	}
	return false
}

// repeatDue returns the repeated invocation of an alarm's Auto Scaling actions when
// a minute (scaled) has passed since the last one and the state is unchanged.
func (s *Service) repeatDue(r *alarmRecord, o outcome, at time.Time) *transition {
	if r.Composite != nil || !r.actionsEnabled() || !hasAutoScaling(r.actionsFor(r.StateValue)) {
		return nil
	}
	// Once a minute, with a quarter of it to spare for the jitter of real timers.
	every := time.Duration(s.scaled(60)) * time.Second
	if at.Sub(r.LastRepeat) < every-every/4 {
		return nil
	}
	reason, data := r.StateReason, deref(r.StateReasonData)
	if !o.keep && o.state == r.StateValue {
		reason, data = o.reason, o.reasonData
	}
	return &transition{alarm: r, oldState: r.StateValue, newState: r.StateValue, reason: reason, reasonData: data, at: at.UTC()}
}

// runActions invokes the actions of a transition (or, with repeat, only the Auto
// Scaling actions again) and records each in the history.
func (s *Service) runActions(ctx context.Context, tr *transition, repeat bool) {
	r := tr.alarm
	if !r.actionsEnabled() {
		return
	}
	var hist []historyRecord
	for _, arn := range r.actionsFor(tr.newState) {
		if repeat && !isAutoScaling(arn) {
			continue
		}
		a := AlarmAction{AlarmName: r.Name, AlarmARN: s.alarmARN(r.Name), ActionARN: arn, OldState: tr.oldState,
			NewState: tr.newState, Reason: tr.reason, ReasonData: tr.reasonData, Time: tr.at}
		var err error
		if s.dispatch == nil {
			err = errors.New("no action dispatcher is configured")
		} else {
			err = s.dispatch.DispatchAlarmAction(ctx, a)
		}
		if err != nil {
			s.log.Warn("cloudwatch: alarm action failed", "alarm", r.Name, "action", arn, "err", err)
		}
		hist = append(hist, actionHistory(a, r.alarmType(), err, s.now()))
	}
	if len(hist) == 0 {
		return
	}
	err := s.update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if repeat {
			if cur, err := getAlarm(tx, r.Name); err == nil {
				cur.LastRepeat = tr.at
				if err := tx.Put(bucketAlarms, r.Name, cur); err != nil {
					return err
				}
			}
		}
		for _, h := range hist {
			if err := s.addHistory(tx, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("cloudwatch: record alarm actions", "alarm", r.Name, "err", err)
	}
}

// evaluateComposite evaluates a composite alarm's rule.
func (s *Service) evaluateComposite(r *alarmRecord, rule *ruleNode, states map[string]string, at time.Time) outcome {
	state := func(ref string) string { return states[s.alarmNameOf(ref)] }
	type trig struct {
		Arn   string `json:"arn"`
		State struct {
			Value     string `json:"value"`
			Timestamp string `json:"timestamp"`
		} `json:"state"`
	}
	var triggering []trig
	for _, ref := range rule.alarms(nil) {
		if state(ref) == StateAlarm {
			var t trig
			t.Arn = s.alarmARN(s.alarmNameOf(ref))
			t.State.Value = StateAlarm
			t.State.Timestamp = historyTime(at)
			triggering = append(triggering, t)
		}
	}
	if rule.eval(state) {
		raw, _ := json.Marshal(map[string]any{"triggeringAlarms": triggering})
		return outcome{state: StateAlarm, reason: "The alarm rule evaluated to TRUE: " + r.Composite.AlarmRule, reasonData: string(raw)}
	}
	raw, _ := json.Marshal(map[string]any{"triggeringAlarms": []trig{}})
	return outcome{state: StateOK, reason: "The alarm rule evaluated to FALSE: " + r.Composite.AlarmRule, reasonData: string(raw)}
}

// slotData is what an alarm's evaluation range holds.
type slotData struct {
	start  int64 // the first period's start
	period int64
	vals   []float64
	has    []bool
	counts []float64 // sample counts (single-metric alarms)
}

// evaluateMetricAlarm evaluates a metric alarm over the range ending at end.
func (s *Service) evaluateMetricAlarm(r *alarmRecord, end int64, at time.Time) outcome {
	c := r.Metric
	n := int(deref(c.EvaluationPeriods))
	m := n
	if c.DatapointsToAlarm != nil {
		m = int(*c.DatapointsToAlarm)
	}
	rng := n + 2
	period := s.alarmPeriodOf(r)
	pe := s.scaled(period)
	sd := slotData{start: end - int64(rng)*pe, period: pe, vals: make([]float64, rng), has: make([]bool, rng), counts: make([]float64, rng)}
	now := at.Unix()
	var errMsg string
	statName := ""
	if c.MetricName != nil {
		dims, _ := validDims(c.Dimensions, "")
		key := seriesKey(deref(c.Namespace), *c.MetricName, dims)
		stat := statSpec{name: deref(c.Statistic), pct: -1}
		if c.ExtendedStatistic != nil {
			stat, _ = parseStat(*c.ExtendedStatistic)
		}
		statName = stat.name
		series := s.alarmSeries(key, deref(c.Unit), stat, sd.start, end, pe, now)
		sd.fill(series)
		if stat.pct >= 0 {
			for t, cnt := range s.periodCountsExact(key, deref(c.Unit), sd.start, end, pe, now) {
				if i := (t - sd.start) / pe; i >= 0 && int(i) < rng {
					sd.counts[i] = cnt
				}
			}
		}
	} else {
		series, err := s.alarmMath(c.Metrics, sd.start, end, now)
		if err != nil {
			errMsg = err.Error()
		} else {
			sd.fill(series)
		}
	}
	if errMsg != "" {
		return outcome{state: StateInsufficientData, reason: "Evaluation error: " + errMsg}
	}
	threshold := deref(c.Threshold)
	points := make([]int, rng)
	for i := range points {
		if !sd.has[i] {
			continue
		}
		if breaches(c.ComparisonOperator, sd.vals[i], threshold) {
			points[i] = pointBreach
		} else {
			points[i] = pointOK
		}
	}
	// Percentile alarms may ignore periods with too few samples.
	if c.ExtendedStatistic != nil && deref(c.EvaluateLowSampleCountPercentile) == "ignore" {
		st, _ := parseStat(*c.ExtendedStatistic)
		need := lowSampleLimit(st.pct)
		for i := range points {
			if points[i] != pointMissing && sd.counts[i] < need {
				return outcome{keep: true}
			}
		}
	}
	treat := deref(c.TreatMissingData)
	if treat == "" {
		treat = "missing"
	}
	d := decide(points, n, m, treat)
	if d.keep {
		return outcome{keep: true}
	}
	o := outcome{state: d.state}
	switch d.state {
	case StateInsufficientData:
		o.reason = fmt.Sprintf("Insufficient Data: %d %s unknown.", n, plural(n, "datapoint was", "datapoints were"))
	default:
		o.reason = thresholdReason(c.ComparisonOperator, threshold, d, &sd, r.StateValue, n, m)
	}
	o.reasonData = reasonData(at, &sd, d, statName, deref(c.Unit), period, threshold)
	return o
}

// lowSampleLimit is the sample count below which a percentile is not statistically
// significant: 10/(1-p) for p ≥ 0.5, 10/p below.
func lowSampleLimit(pct float64) float64 {
	p := pct / 100
	switch {
	case p >= 1:
		return 0
	case p >= 0.5:
		return 10 / (1 - p)
	case p > 0:
		return 10 / p
	}
	return 0
}

func (sd *slotData) fill(series *tseries) {
	for i, t := range series.ts {
		if k := (t - sd.start) / sd.period; t >= sd.start && int(k) < len(sd.vals) {
			sd.vals[k], sd.has[k] = series.vs[i], true
		}
	}
}

// alarmTier picks the tier for an alarm's range: the minute tiers when periods and
// range fall on minutes, else the 1-second tier.
func alarmTier(period, from, now int64) (int, bool) {
	if period%60 == 0 && from%60 == 0 {
		return tierFor(period, from, now)
	}
	return 0, now-from <= tierKeep[0]
}

// alarmSeries is metricSeries over an exactly aligned alarm range.
func (s *Service) alarmSeries(key, unit string, st statSpec, from, to, period, now int64) *tseries {
	out := &tseries{}
	tier, ok := alarmTier(period, from, now)
	if !ok {
		return out
	}
	for _, pa := range s.mem.periods(key, unit, tier, from, to, period, st.pct >= 0) {
		if v, ok := st.value(&pa.a); ok && finite(v) {
			out.ts = append(out.ts, pa.t)
			out.vs = append(out.vs, v)
		}
	}
	return out
}

func (s *Service) periodCountsExact(key, unit string, from, to, period, now int64) map[int64]float64 {
	tier, ok := alarmTier(period, from, now)
	if !ok {
		return nil
	}
	out := map[int64]float64{}
	for _, pa := range s.mem.periods(key, unit, tier, from, to, period, false) {
		out[pa.t] = pa.a.n
	}
	return out
}

// alarmMath evaluates a math alarm's queries over [from, to) with scaled periods.
func (s *Service) alarmMath(qs []MetricDataQuery, from, to, now int64) (*tseries, error) {
	m, err := compileAlarmMetrics(qs)
	if err != nil {
		return nil, err
	}
	run := &queryRun{s: s, queries: m.queries, byID: m.byID, from: from, to: to, now: now, scale: s.scaled,
		memo: map[string]mval{}, exact: true}
	v, err := run.value(m.result.q.Id)
	if err != nil {
		return nil, err
	}
	if v.kind != vSeries {
		return nil, fmt.Errorf("the expression %s returns %s; an alarm needs a single time series", m.result.q.Id, v.describe())
	}
	return v.s, nil
}

// breaches compares a value with the threshold.
func breaches(op string, v, t float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= t
	case "GreaterThanThreshold":
		return v > t
	case "LessThanThreshold":
		return v < t
	case "LessThanOrEqualToThreshold":
		return v <= t
	}
	return false
}

// decision is the outcome of the missing-data rules over an evaluation range.
type decision struct {
	keep      bool
	state     string
	evaluated []int // slot indexes of the real datapoints evaluated, oldest first
	filled    int   // missing datapoints filled in
	fillAs    int   // pointBreach or pointOK
	breaching int   // breaching datapoints among the evaluated and filled
}

// decide applies CloudWatch's evaluation rules to a range of datapoints (oldest
// first) for an M out of N alarm.
func decide(points []int, n, m int, treat string) decision {
	var real []int
	for i, p := range points {
		if p != pointMissing {
			real = append(real, i)
		}
	}
	count := func(idx []int) int {
		b := 0
		for _, i := range idx {
			if points[i] == pointBreach {
				b++
			}
		}
		return b
	}
	verdict := func(d decision) decision {
		if d.breaching >= m {
			d.state = StateAlarm
		} else {
			d.state = StateOK
		}
		return d
	}
	if len(real) >= n {
		ev := real[len(real)-n:]
		return verdict(decision{evaluated: ev, breaching: count(ev)})
	}
	fill := n - len(real)
	switch treat {
	case "breaching":
		return verdict(decision{evaluated: real, filled: fill, fillAs: pointBreach, breaching: count(real) + fill})
	case "notBreaching":
		return verdict(decision{evaluated: real, filled: fill, fillAs: pointOK, breaching: count(real)})
	}
	// missing, ignore
	if len(real) == 0 {
		if treat == "ignore" {
			return decision{keep: true}
		}
		return decision{state: StateInsufficientData}
	}
	b := count(real)
	if b < len(real) {
		return verdict(decision{evaluated: real, breaching: b})
	}
	// Every real datapoint breaches: the premature-alarm rule. Within the last N
	// periods, the oldest breaching datapoint is at least M periods old and all
	// newer ones are breaching or missing.
	oldest := -1
	for i := max(0, len(points)-n); i < len(points); i++ {
		if points[i] == pointBreach {
			oldest = i
			break
		}
	}
	if oldest >= 0 && len(points)-oldest >= m {
		if treat == "ignore" {
			return decision{keep: true}
		}
		return decision{state: StateAlarm, evaluated: real, breaching: b}
	}
	if b >= m {
		return decision{state: StateAlarm, evaluated: real, breaching: b}
	}
	return decision{keep: true}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

var comparePhrases = map[string]string{
	"GreaterThanOrEqualToThreshold": "greater than or equal to",
	"GreaterThanThreshold":          "greater than",
	"LessThanThreshold":             "less than",
	"LessThanOrEqualToThreshold":    "less than or equal to",
}

// thresholdReason writes the StateReason of an OK or ALARM outcome as CloudWatch
// does: "Threshold Crossed: 2 out of the last 3 datapoints [90.0 (01/06/25
// 12:02:00), 85.0 (01/06/25 12:01:00)] were greater than the threshold (80.0)
// (minimum 2 datapoints for OK -> ALARM transition)."
func thresholdReason(op string, threshold float64, d decision, sd *slotData, old string, n, m int) string {
	want := pointBreach
	phrase := comparePhrases[op]
	need := m
	if d.state == StateOK {
		want = pointOK
		phrase = "not " + phrase
		need = n - m + 1
	}
	var listed []string
	k := 0
	for j := len(d.evaluated) - 1; j >= 0; j-- {
		i := d.evaluated[j]
		isBreach := breaches(op, sd.vals[i], threshold)
		if (want == pointBreach) == isBreach {
			k++
			listed = append(listed, fmt.Sprintf("%s (%s)", javaDouble(sd.vals[i]),
				time.Unix(sd.start+int64(i)*sd.period, 0).UTC().Format("02/01/06 15:04:05")))
		}
	}
	filledMatching := 0
	if d.filled > 0 && d.fillAs == want {
		filledMatching = d.filled
	}
	if len(d.evaluated) == 0 && d.filled > 0 {
		as := "NotBreaching"
		if d.fillAs == pointBreach {
			as = "Breaching"
		}
		return fmt.Sprintf("Threshold Crossed: no datapoints were received for %d %s and %d missing %s treated as [%s].",
			d.filled, plural(d.filled, "period", "periods"), d.filled, plural(d.filled, "datapoint was", "datapoints were"), as)
	}
	total := k + filledMatching
	msg := fmt.Sprintf("Threshold Crossed: %d out of the last %d %s [%s] %s %s the threshold (%s) (minimum %d %s for %s -> %s transition).",
		total, n, plural(n, "datapoint", "datapoints"), strings.Join(listed, ", "), plural(total, "was", "were"), phrase,
		javaDouble(threshold), need, plural(need, "datapoint", "datapoints"), old, d.state)
	if d.filled > 0 {
		as := "NotBreaching"
		if d.fillAs == pointBreach {
			as = "Breaching"
		}
		msg += fmt.Sprintf(" %d missing %s treated as [%s].", d.filled, plural(d.filled, "datapoint was", "datapoints were"), as)
	}
	return msg
}

// reasonData writes the StateReasonData JSON of a metric alarm evaluation.
func reasonData(at time.Time, sd *slotData, d decision, stat, unit string, period int64, threshold float64) string {
	type point struct {
		Timestamp   string   `json:"timestamp"`
		SampleCount *float64 `json:"sampleCount,omitempty"`
		Value       *float64 `json:"value,omitempty"`
	}
	data := struct {
		Version             string    `json:"version"`
		QueryDate           string    `json:"queryDate"`
		StartDate           string    `json:"startDate,omitempty"`
		Statistic           string    `json:"statistic,omitempty"`
		Unit                string    `json:"unit,omitempty"`
		Period              int64     `json:"period"`
		RecentDatapoints    []float64 `json:"recentDatapoints"`
		Threshold           float64   `json:"threshold"`
		EvaluatedDatapoints []point   `json:"evaluatedDatapoints,omitempty"`
	}{Version: "1.0", QueryDate: historyTime(at), Statistic: stat, Unit: unit, Period: period,
		RecentDatapoints: []float64{}, Threshold: threshold}
	if len(d.evaluated) > 0 {
		data.StartDate = historyTime(time.Unix(sd.start+int64(d.evaluated[0])*sd.period, 0))
	}
	for _, i := range d.evaluated {
		data.RecentDatapoints = append(data.RecentDatapoints, sd.vals[i])
	}
	for j := len(d.evaluated) - 1; j >= 0; j-- {
		i := d.evaluated[j]
		p := point{Timestamp: historyTime(time.Unix(sd.start+int64(i)*sd.period, 0)), Value: ptr(sd.vals[i])}
		if sd.counts[i] > 0 {
			p.SampleCount = ptr(sd.counts[i])
		}
		data.EvaluatedDatapoints = append(data.EvaluatedDatapoints, p)
	}
	raw, _ := json.Marshal(data)
	return string(raw)
}

// javaDouble formats a number as Java's Double.toString does, which is how
// CloudWatch writes datapoints in reasons ("85.0", "1.5E7").
func javaDouble(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	if math.IsInf(v, 0) {
		if v > 0 {
			return "Infinity"
		}
		return "-Infinity"
	}
	if a := math.Abs(v); a != 0 && (a < 1e-3 || a >= 1e7) {
		s := strconv.FormatFloat(v, 'E', -1, 64)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		exp = strings.TrimPrefix(exp, "+")
		return mant + "E" + exp
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
