package cloudwatch

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

const (
	bucketAlarms  = "cloudwatch.alarms"  // alarm name → alarmRecord
	bucketHistory = "cloudwatch.history" // time (20 digits) + sequence → historyRecord

	maxAlarms          = 10000 // Wharf's limit on alarms per account (AWS: no fixed limit)
	maxActions         = 5
	maxTags            = 50
	maxAlarmMetrics    = 10 // metrics in a math alarm
	maxAlarmQueries    = 20
	maxDescribeRecords = 100
	initialReason      = "Unchecked: Initial alarm creation"
)

// alarmRecord is an alarm as the store keeps it: its configuration (the input that
// made it) and its state.
type alarmRecord struct {
	Name      string                  `json:"name"`
	Version   int64                   `json:"version"` // bumped by every configuration change
	Metric    *PutMetricAlarmInput    `json:"metric,omitempty"`
	Composite *PutCompositeAlarmInput `json:"composite,omitempty"`

	StateValue        string    `json:"stateValue"`
	StateReason       string    `json:"stateReason"`
	StateReasonData   *string   `json:"stateReasonData,omitempty"`
	StateUpdated      time.Time `json:"stateUpdated"`
	StateTransitioned time.Time `json:"stateTransitioned"`
	ConfigUpdated     time.Time `json:"configUpdated"`
	Tags              []Tag     `json:"tags,omitempty"`
	// LastRepeat is when Auto Scaling actions were last invoked (they repeat each
	// minute while the alarm stays in a state).
	LastRepeat time.Time `json:"lastRepeat,omitzero"`
}

func (r *alarmRecord) alarmType() string {
	if r.Composite != nil {
		return AlarmTypeComposite
	}
	return AlarmTypeMetric
}

func (r *alarmRecord) actionsEnabled() bool {
	if r.Composite != nil {
		return r.Composite.ActionsEnabled == nil || *r.Composite.ActionsEnabled
	}
	return r.Metric.ActionsEnabled == nil || *r.Metric.ActionsEnabled
}

func (r *alarmRecord) setActionsEnabled(on bool) {
	if r.Composite != nil {
		r.Composite.ActionsEnabled = &on
	} else {
		r.Metric.ActionsEnabled = &on
	}
}

// actionsFor returns the actions of a state.
func (r *alarmRecord) actionsFor(state string) []string {
	var ok, alarm, insufficient []string
	if r.Composite != nil {
		ok, alarm, insufficient = r.Composite.OKActions, r.Composite.AlarmActions, r.Composite.InsufficientDataActions
	} else {
		ok, alarm, insufficient = r.Metric.OKActions, r.Metric.AlarmActions, r.Metric.InsufficientDataActions
	}
	switch state {
	case StateOK:
		return ok
	case StateAlarm:
		return alarm
	}
	return insufficient
}

func (r *alarmRecord) allActions() []string {
	return slices.Concat(r.actionsFor(StateOK), r.actionsFor(StateAlarm), r.actionsFor(StateInsufficientData))
}

func getAlarm(tx *store.Tx, name string) (*alarmRecord, error) {
	var r alarmRecord
	if err := tx.Get(bucketAlarms, name, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// PutMetricAlarmInput is the input of PutMetricAlarm (and the configuration the
// store keeps).
type PutMetricAlarmInput struct {
	AlarmName                        string            `json:"AlarmName"`
	AlarmDescription                 *string           `json:"AlarmDescription,omitempty"`
	ActionsEnabled                   *bool             `json:"ActionsEnabled,omitempty"`
	AlarmActions                     []string          `json:"AlarmActions,omitempty"`
	OKActions                        []string          `json:"OKActions,omitempty"`
	InsufficientDataActions          []string          `json:"InsufficientDataActions,omitempty"`
	MetricName                       *string           `json:"MetricName,omitempty"`
	Namespace                        *string           `json:"Namespace,omitempty"`
	Statistic                        *string           `json:"Statistic,omitempty"`
	ExtendedStatistic                *string           `json:"ExtendedStatistic,omitempty"`
	Dimensions                       []Dimension       `json:"Dimensions,omitempty"`
	Period                           *int32            `json:"Period,omitempty"`
	Unit                             *string           `json:"Unit,omitempty"`
	EvaluationPeriods                *int32            `json:"EvaluationPeriods,omitempty"`
	DatapointsToAlarm                *int32            `json:"DatapointsToAlarm,omitempty"`
	Threshold                        *float64          `json:"Threshold,omitempty"`
	ComparisonOperator               string            `json:"ComparisonOperator,omitempty"`
	TreatMissingData                 *string           `json:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile *string           `json:"EvaluateLowSampleCountPercentile,omitempty"`
	Metrics                          []MetricDataQuery `json:"Metrics,omitempty"`
	Tags                             []Tag             `json:"Tags,omitempty"`
	ThresholdMetricId                *string           `json:"ThresholdMetricId,omitempty"`
	EvaluationInterval               *int32            `json:"EvaluationInterval,omitempty"`
	EvaluationCriteria               any               `json:"EvaluationCriteria,omitempty"`
	ActionConfiguration              any               `json:"ActionConfiguration,omitempty"`
	WarmUpConfiguration              any               `json:"WarmUpConfiguration,omitempty"`
}

// PutMetricAlarmOutput is the (empty) output of PutMetricAlarm.
type PutMetricAlarmOutput struct{}

// alarmPeriod reports whether p is a period alarms accept: 10, 20, 30 or a multiple
// of 60.
func alarmPeriod(p int64) bool {
	return p == 10 || p == 20 || p == 30 || p >= 60 && p%60 == 0
}

// validAlarmName checks an alarm name: 1 to 255 characters, no control characters.
func validAlarmName(name, param string) error {
	if name == "" {
		return errMissing(param)
	}
	if len(name) > 255 {
		return errValidation("The parameter %s must not be longer than 255 characters.", param)
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f {
			return errValidation("The parameter %s must not contain control characters.", param)
		}
	}
	return nil
}

// validActions checks an action list: at most five ARNs.
func validActions(actions []string, param string) error {
	if len(actions) > maxActions {
		return errValidation("The collection %s must not have a size greater than %d.", param, maxActions)
	}
	for i, a := range actions {
		if parts := strings.SplitN(a, ":", 6); len(parts) < 6 || parts[0] != "arn" || parts[2] == "" || len(a) > 1024 {
			return errValidation("Invalid arn syntax: the value %s for parameter %s.member.%d is not an ARN.", a, param, i+1)
		}
	}
	return nil
}

func validTags(tags []Tag, param string) error {
	if len(tags) > maxTags {
		return errInvalidValue("The collection %s must not have a size greater than %d.", param, maxTags)
	}
	for i, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return errInvalidValue("The parameter %s.member.%d.Key must be 1 to 128 characters long.", param, i+1)
		}
		if len(t.Value) > 256 {
			return errInvalidValue("The parameter %s.member.%d.Value must be at most 256 characters long.", param, i+1)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errInvalidValue("The tag key %s is reserved: keys starting with aws: are for AWS use.", t.Key)
		}
	}
	return nil
}

// mathAlarm is the compiled metric math of an alarm.
type mathAlarm struct {
	queries []*compiledQuery
	byID    map[string]*compiledQuery
	result  *compiledQuery // the query with ReturnData
	period  int64
}

// compileAlarmMetrics validates the Metrics of a math alarm.
func compileAlarmMetrics(qs []MetricDataQuery) (*mathAlarm, error) {
	if len(qs) > maxAlarmQueries {
		return nil, errValidation("The collection Metrics must not have a size greater than %d.", maxAlarmQueries)
	}
	queries, byID, err := compileQueries(qs, "Metrics")
	if err != nil {
		return nil, err
	}
	m := &mathAlarm{queries: queries, byID: byID}
	stats := 0
	for _, c := range queries {
		if c.returnData() {
			if m.result != nil {
				return nil, errValidation("Metrics list must contain exactly one metric matching the ReturnData parameter (true).")
			}
			m.result = c
		}
		if c.expr != nil {
			continue
		}
		stats++
		if !alarmPeriod(c.period) {
			return nil, errValidation("The value %d for parameter Metrics.member.%d.MetricStat.Period is invalid: alarm periods are 10, 20, 30 or a multiple of 60.", c.period, c.num)
		}
		if m.period == 0 {
			m.period = c.period
		} else if c.period != m.period {
			return nil, errValidation("All metrics in the Metrics list of an alarm must use the same period.")
		}
	}
	if m.result == nil {
		return nil, errValidation("Metrics list must contain exactly one metric matching the ReturnData parameter (true).")
	}
	if stats == 0 {
		return nil, errValidation("Metrics list must contain at least one metric (MetricStat).")
	}
	if stats > maxAlarmMetrics {
		return nil, errValidation("A math alarm can use at most %d metrics.", maxAlarmMetrics)
	}
	if p := m.result.q.Period; p != nil && m.result.expr != nil {
		if !alarmPeriod(int64(*p)) {
			return nil, errValidation("The value %d for parameter Metrics.member.%d.Period is invalid: alarm periods are 10, 20, 30 or a multiple of 60.", *p, m.result.num)
		}
		m.period = int64(*p)
	}
	return m, nil
}

// validateMetricAlarm checks a PutMetricAlarm input as AWS does.
func validateMetricAlarm(in *PutMetricAlarmInput) error {
	if err := validAlarmName(in.AlarmName, "AlarmName"); err != nil {
		return err
	}
	if d := in.AlarmDescription; d != nil && len(*d) > 1024 {
		return errValidation("The parameter AlarmDescription must not be longer than 1024 characters.")
	}
	for _, l := range []struct {
		name string
		v    []string
	}{{"AlarmActions", in.AlarmActions}, {"OKActions", in.OKActions}, {"InsufficientDataActions", in.InsufficientDataActions}} {
		if err := validActions(l.v, l.name); err != nil {
			return err
		}
	}
	if in.EvaluationCriteria != nil || in.EvaluationInterval != nil {
		return errValidation("EvaluationCriteria (PromQL alarms) are not supported by Wharf.")
	}
	if in.WarmUpConfiguration != nil {
		return errValidation("WarmUpConfiguration is not supported by Wharf.")
	}
	if in.ActionConfiguration != nil {
		return errValidation("ActionConfiguration is not supported by Wharf: it has no notification content to configure.")
	}
	switch {
	case in.ComparisonOperator == "":
		return errMissing("ComparisonOperator")
	case slices.Contains(anomalyOperators, in.ComparisonOperator) || in.ThresholdMetricId != nil:
		return errValidation("Anomaly detection alarms (ComparisonOperator %s, ThresholdMetricId) are not supported by Wharf: it has no anomaly detection models.", in.ComparisonOperator)
	case !slices.Contains(comparisonOperators, in.ComparisonOperator):
		return errValidation("The parameter ComparisonOperator must be a value in the set [ %s ].", strings.Join(append(slices.Clone(comparisonOperators), anomalyOperators...), ", "))
	}
	if in.Threshold == nil {
		return errMissing("Threshold")
	}
	if !finite(*in.Threshold) {
		return errInvalidValue("The value %s for parameter Threshold is invalid.", fmtNum(*in.Threshold))
	}
	if in.EvaluationPeriods == nil {
		return errMissing("EvaluationPeriods")
	}
	n := *in.EvaluationPeriods
	if n < 1 {
		return errValidation("The parameter EvaluationPeriods must be greater than or equal to 1.")
	}
	if m := in.DatapointsToAlarm; m != nil && (*m < 1 || *m > n) {
		return errValidation("The parameter DatapointsToAlarm must be between 1 and EvaluationPeriods (%d).", n)
	}
	if t := in.TreatMissingData; t != nil && !slices.Contains(treatMissingValues, *t) {
		return errValidation("The parameter TreatMissingData must be a value in the set [ %s ].", strings.Join(treatMissingValues, ", "))
	}
	if e := in.EvaluateLowSampleCountPercentile; e != nil && *e != "evaluate" && *e != "ignore" && *e != "" {
		return errValidation("The parameter EvaluateLowSampleCountPercentile must be a value in the set [ evaluate, ignore ].")
	}
	if err := validTags(in.Tags, "Tags"); err != nil {
		return err
	}
	var period int64
	if len(in.Metrics) > 0 {
		for _, f := range []struct {
			name string
			set  bool
		}{{"MetricName", in.MetricName != nil}, {"Namespace", in.Namespace != nil}, {"Dimensions", len(in.Dimensions) > 0},
			{"Period", in.Period != nil}, {"Unit", in.Unit != nil}, {"Statistic", in.Statistic != nil},
			{"ExtendedStatistic", in.ExtendedStatistic != nil}} {
			if f.set {
				return errCombination("The parameters Metrics and %s are mutually exclusive and you have specified both.", f.name)
			}
		}
		m, err := compileAlarmMetrics(in.Metrics)
		if err != nil {
			return err
		}
		period = m.period
	} else {
		switch {
		case in.MetricName == nil || *in.MetricName == "":
			return errCombination("At least one of the parameters MetricName and Metrics must be specified.")
		case in.Namespace == nil || *in.Namespace == "":
			return errMissing("Namespace")
		case in.Period == nil:
			return errMissing("Period")
		}
		if err := validName(*in.Namespace, "Namespace", maxNameLen); err != nil {
			return err
		}
		if err := validName(*in.MetricName, "MetricName", maxNameLen); err != nil {
			return err
		}
		period = int64(*in.Period)
		if !alarmPeriod(period) {
			return errValidation("The value %d for parameter Period is invalid: alarm periods are 10, 20, 30 or a multiple of 60.", period)
		}
		switch {
		case in.Statistic != nil && in.ExtendedStatistic != nil:
			return errCombination("The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.")
		case in.Statistic == nil && in.ExtendedStatistic == nil:
			return errCombination("At least one of the parameters Statistic and ExtendedStatistic must be specified.")
		case in.Statistic != nil && !slices.Contains(standardStatistics, *in.Statistic):
			return errValidation("The parameter Statistic must be a value in the set [ %s ].", strings.Join(standardStatistics, ", "))
		}
		if in.ExtendedStatistic != nil {
			if st, ok := parseStat(*in.ExtendedStatistic); !ok || st.pct < 0 {
				return errValidation("The value %s for parameter ExtendedStatistic is not supported: Wharf evaluates percentiles p0 to p100.", *in.ExtendedStatistic)
			}
		}
		if _, err := validDims(in.Dimensions, "Dimensions"); err != nil {
			return err
		}
		if in.Unit != nil {
			if _, err := validUnit(*in.Unit, "Unit"); err != nil {
				return err
			}
		}
	}
	total := period * int64(n)
	if period < 3600 && total > 86400 {
		return errValidation("The total evaluation period (Period × EvaluationPeriods = %d seconds) must not exceed one day (86,400 seconds) for periods shorter than an hour.", total)
	}
	if total > 604800 {
		return errValidation("The total evaluation period (Period × EvaluationPeriods = %d seconds) must not exceed seven days (604,800 seconds).", total)
	}
	return nil
}

// PutMetricAlarm creates or replaces a metric alarm. A new alarm starts in
// INSUFFICIENT_DATA; an updated one keeps its state; tags apply on creation only.
func (s *Service) PutMetricAlarm(ctx context.Context, in *PutMetricAlarmInput) (*PutMetricAlarmOutput, error) {
	if err := validateMetricAlarm(in); err != nil {
		return nil, err
	}
	cfg := *in
	if cfg.Dimensions != nil {
		cfg.Dimensions, _ = validDims(cfg.Dimensions, "Dimensions")
	}
	if err := s.putAlarm(ctx, in.AlarmName, &cfg, nil, in.Tags); err != nil {
		return nil, err
	}
	return &PutMetricAlarmOutput{}, nil
}

// putAlarm stores a new or updated alarm and its ConfigurationUpdate history item.
func (s *Service) putAlarm(ctx context.Context, name string, metric *PutMetricAlarmInput, composite *PutCompositeAlarmInput, tags []Tag) error {
	now := s.now()
	return s.update(ctx, func(tx *store.Tx) error {
		old, err := getAlarm(tx, name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if old != nil && (old.Composite != nil) != (composite != nil) {
			return errValidation("The alarm %s already exists as a %s.", name, old.alarmType())
		}
		if composite != nil {
			if err := s.checkRule(tx, name, composite.AlarmRule); err != nil {
				return err
			}
		}
		rec := &alarmRecord{Name: name, Metric: metric, Composite: composite, ConfigUpdated: now}
		if metric != nil {
			metric.Tags = nil
		} else {
			composite.Tags = nil
		}
		typ := "Create"
		if old == nil {
			if tx.Count(bucketAlarms, "") >= maxAlarms {
				return errLimit("The maximum number of alarms (%d) has been reached.", maxAlarms)
			}
			rec.Version = 1
			rec.StateValue, rec.StateReason = StateInsufficientData, initialReason
			rec.StateUpdated, rec.StateTransitioned = now, now
			rec.Tags = append([]Tag(nil), tags...)
		} else {
			typ = "Update"
			rec.Version = old.Version + 1
			rec.StateValue, rec.StateReason, rec.StateReasonData = old.StateValue, old.StateReason, old.StateReasonData
			rec.StateUpdated, rec.StateTransitioned, rec.Tags = old.StateUpdated, old.StateTransitioned, old.Tags
		}
		if err := tx.Put(bucketAlarms, name, rec); err != nil {
			return err
		}
		return s.addHistory(tx, s.configHistoryItem(rec, old, typ, now))
	})
}

// ---- PutCompositeAlarm ----

// PutCompositeAlarmInput is the input of PutCompositeAlarm (and the configuration
// the store keeps).
type PutCompositeAlarmInput struct {
	AlarmName                        string   `json:"AlarmName"`
	AlarmRule                        string   `json:"AlarmRule"`
	AlarmDescription                 *string  `json:"AlarmDescription,omitempty"`
	ActionsEnabled                   *bool    `json:"ActionsEnabled,omitempty"`
	AlarmActions                     []string `json:"AlarmActions,omitempty"`
	OKActions                        []string `json:"OKActions,omitempty"`
	InsufficientDataActions          []string `json:"InsufficientDataActions,omitempty"`
	Tags                             []Tag    `json:"Tags,omitempty"`
	ActionsSuppressor                *string  `json:"ActionsSuppressor,omitempty"`
	ActionsSuppressorExtensionPeriod *int32   `json:"ActionsSuppressorExtensionPeriod,omitempty"`
	ActionsSuppressorWaitPeriod      *int32   `json:"ActionsSuppressorWaitPeriod,omitempty"`
	ActionConfiguration              any      `json:"ActionConfiguration,omitempty"`
}

// PutCompositeAlarmOutput is the (empty) output of PutCompositeAlarm.
type PutCompositeAlarmOutput struct{}

// PutCompositeAlarm creates or replaces a composite alarm, whose state is its rule
// over other alarms' states.
func (s *Service) PutCompositeAlarm(ctx context.Context, in *PutCompositeAlarmInput) (*PutCompositeAlarmOutput, error) {
	if err := validAlarmName(in.AlarmName, "AlarmName"); err != nil {
		return nil, err
	}
	if in.AlarmRule == "" {
		return nil, errMissing("AlarmRule")
	}
	if d := in.AlarmDescription; d != nil && len(*d) > 1024 {
		return nil, errValidation("The parameter AlarmDescription must not be longer than 1024 characters.")
	}
	for _, l := range []struct {
		name string
		v    []string
	}{{"AlarmActions", in.AlarmActions}, {"OKActions", in.OKActions}, {"InsufficientDataActions", in.InsufficientDataActions}} {
		if err := validActions(l.v, l.name); err != nil {
			return nil, err
		}
	}
	if in.ActionsSuppressor != nil || in.ActionsSuppressorWaitPeriod != nil || in.ActionsSuppressorExtensionPeriod != nil {
		return nil, errValidation("Action suppression (ActionsSuppressor) is not supported by Wharf.")
	}
	if in.ActionConfiguration != nil {
		return nil, errValidation("ActionConfiguration is not supported by Wharf: it has no notification content to configure.")
	}
	if err := validTags(in.Tags, "Tags"); err != nil {
		return nil, err
	}
	if _, err := parseRule(in.AlarmRule); err != nil {
		return nil, errValidation("The parameter AlarmRule is invalid: %s.", err.Error())
	}
	cfg := *in
	if err := s.putAlarm(ctx, in.AlarmName, nil, &cfg, in.Tags); err != nil {
		return nil, err
	}
	return &PutCompositeAlarmOutput{}, nil
}

// alarmNameOf returns the alarm name a rule reference (a name or an ARN) denotes.
func (s *Service) alarmNameOf(ref string) string {
	if p := "arn:aws:cloudwatch:" + s.region + ":" + s.account + ":alarm:"; strings.HasPrefix(ref, p) {
		return ref[len(p):]
	}
	return ref
}

// checkRule checks that a composite alarm's rule refers to existing alarms and
// makes no cycle.
func (s *Service) checkRule(tx *store.Tx, name, rule string) error {
	n, err := parseRule(rule)
	if err != nil {
		return errValidation("The parameter AlarmRule is invalid: %s.", err.Error())
	}
	var missing []string
	for _, ref := range n.alarms(nil) {
		child := s.alarmNameOf(ref)
		if child == name {
			return errValidation("The alarm rule of %s refers to the alarm itself.", name)
		}
		if !tx.Has(bucketAlarms, child) {
			missing = append(missing, ref)
		}
	}
	if len(missing) > 0 {
		return errValidation("Could not save the composite alarm as alarms [%s] in the alarm rule do not exist", strings.Join(missing, ", "))
	}
	// A cycle: some alarm the rule reaches refers back to name.
	seen := map[string]bool{}
	var reach func(alarm string) bool
	reach = func(alarm string) bool {
		if seen[alarm] {
			return false
		}
		seen[alarm] = true
		r, err := getAlarm(tx, alarm)
		if err != nil || r.Composite == nil {
			return false
		}
		rn, err := parseRule(r.Composite.AlarmRule)
		if err != nil {
			return false
		}
		for _, ref := range rn.alarms(nil) {
			c := s.alarmNameOf(ref)
			if c == name || reach(c) {
				return true
			}
		}
		return false
	}
	for _, ref := range n.alarms(nil) {
		if reach(s.alarmNameOf(ref)) {
			return errValidation("The alarm rule of %s makes a circular dependency between composite alarms.", name)
		}
	}
	return nil
}

// ---- Enable/DisableAlarmActions, DeleteAlarms ----

// AlarmNamesInput is the input of EnableAlarmActions, DisableAlarmActions and
// DeleteAlarms.
type AlarmNamesInput struct {
	AlarmNames []string `json:"AlarmNames"`
}

// EmptyOutput is the output of operations that return nothing.
type EmptyOutput struct{}

func checkNames(names []string) error {
	if len(names) == 0 {
		return errMissing("AlarmNames")
	}
	if len(names) > 100 {
		return errValidation("The collection AlarmNames must not have a size greater than 100.")
	}
	return nil
}

// EnableAlarmActions turns the actions of the named alarms on (unknown names are
// ignored).
func (s *Service) EnableAlarmActions(ctx context.Context, in *AlarmNamesInput) (*EmptyOutput, error) {
	return s.setActions(ctx, in, true)
}

// DisableAlarmActions turns the actions of the named alarms off.
func (s *Service) DisableAlarmActions(ctx context.Context, in *AlarmNamesInput) (*EmptyOutput, error) {
	return s.setActions(ctx, in, false)
}

func (s *Service) setActions(ctx context.Context, in *AlarmNamesInput, on bool) (*EmptyOutput, error) {
	if err := checkNames(in.AlarmNames); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		for _, name := range in.AlarmNames {
			r, err := getAlarm(tx, name)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if r.actionsEnabled() == on {
				continue
			}
			r.setActionsEnabled(on)
			r.Version++
			if err := tx.Put(bucketAlarms, name, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &EmptyOutput{}, nil
}

// DeleteAlarms deletes alarms. Every name must exist, and an alarm a composite
// alarm's rule refers to can only go together with that composite alarm.
func (s *Service) DeleteAlarms(ctx context.Context, in *AlarmNamesInput) (*EmptyOutput, error) {
	if err := checkNames(in.AlarmNames); err != nil {
		return nil, err
	}
	now := s.now()
	err := s.update(ctx, func(tx *store.Tx) error {
		deleting := map[string]bool{}
		var missing []string
		for _, n := range in.AlarmNames {
			if !tx.Has(bucketAlarms, n) {
				missing = append(missing, n)
			}
			deleting[n] = true
		}
		if len(missing) > 0 {
			return errAlarmNotFound("%d out of %d alarms were not found: %s", len(missing), len(in.AlarmNames), strings.Join(missing, ", "))
		}
		err := tx.Scan(bucketAlarms, "", func(key string, raw []byte) error {
			if deleting[key] {
				return nil
			}
			var r alarmRecord
			if err := store.Decode(raw, &r); err != nil {
				return err
			}
			for n := range deleting {
				if s.refersTo(&r, n) {
					return errValidation("The alarm %s cannot be deleted: the rule of composite alarm %s refers to it.", n, key)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, n := range in.AlarmNames {
			r, err := getAlarm(tx, n)
			if errors.Is(err, store.ErrNotFound) {
				continue // named twice
			}
			if err != nil {
				return err
			}
			if err := tx.Delete(bucketAlarms, n); err != nil {
				return err
			}
			if err := s.addHistory(tx, s.configHistoryItem(nil, r, "Delete", now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &EmptyOutput{}, nil
}

// ---- SetAlarmState ----

// SetAlarmStateInput is the input of SetAlarmState.
type SetAlarmStateInput struct {
	AlarmName       string  `json:"AlarmName"`
	StateValue      string  `json:"StateValue"`
	StateReason     *string `json:"StateReason"`
	StateReasonData *string `json:"StateReasonData,omitempty"`
}

// SetAlarmState sets an alarm's state until its next evaluation; a change of state
// runs the new state's actions.
func (s *Service) SetAlarmState(ctx context.Context, in *SetAlarmStateInput) (*EmptyOutput, error) {
	if err := validAlarmName(in.AlarmName, "AlarmName"); err != nil {
		return nil, err
	}
	if in.StateValue == "" {
		return nil, errMissing("StateValue")
	}
	if err := validState(in.StateValue, "StateValue"); err != nil {
		return nil, err
	}
	if in.StateReason == nil {
		return nil, errMissing("StateReason")
	}
	if len(*in.StateReason) > 1023 {
		return nil, errValidation("The parameter StateReason must not be longer than 1023 characters.")
	}
	if d := in.StateReasonData; d != nil {
		if len(*d) > 4000 {
			return nil, errValidation("The parameter StateReasonData must not be longer than 4000 characters.")
		}
		if !json.Valid([]byte(*d)) {
			return nil, errFormat("The parameter StateReasonData is not valid JSON.")
		}
	}
	var tr *transition
	s.evalMu.Lock()
	err := s.update(ctx, func(tx *store.Tx) error {
		r, err := getAlarm(tx, in.AlarmName)
		if errors.Is(err, store.ErrNotFound) {
			return errAlarmNotFound("Alarm %s not found", in.AlarmName)
		}
		if err != nil {
			return err
		}
		tr, err = s.applyState(tx, r, r.Version, in.StateValue, *in.StateReason, in.StateReasonData, s.now())
		return err
	})
	s.evalMu.Unlock()
	if err != nil {
		return nil, err
	}
	if tr != nil {
		s.runActions(context.WithoutCancel(ctx), tr, false)
	}
	return &EmptyOutput{}, nil
}
