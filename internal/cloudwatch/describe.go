package cloudwatch

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// DescribeAlarmsInput is the input of DescribeAlarms.
type DescribeAlarmsInput struct {
	AlarmNames          []string `json:"AlarmNames,omitempty"`
	AlarmNamePrefix     *string  `json:"AlarmNamePrefix,omitempty"`
	AlarmTypes          []string `json:"AlarmTypes,omitempty"`
	ChildrenOfAlarmName *string  `json:"ChildrenOfAlarmName,omitempty"`
	ParentsOfAlarmName  *string  `json:"ParentsOfAlarmName,omitempty"`
	StateValue          string   `json:"StateValue,omitempty"`
	ActionPrefix        *string  `json:"ActionPrefix,omitempty"`
	MaxRecords          *int32   `json:"MaxRecords,omitempty"`
	NextToken           *string  `json:"NextToken,omitempty"`
}

// DescribeAlarmsOutput is the output of DescribeAlarms.
type DescribeAlarmsOutput struct {
	CompositeAlarms []CompositeAlarm `json:"CompositeAlarms"`
	MetricAlarms    []MetricAlarm    `json:"MetricAlarms"`
	NextToken       *string          `json:"NextToken,omitempty"`
}

func validState(v, param string) error {
	switch v {
	case StateOK, StateAlarm, StateInsufficientData:
		return nil
	}
	return errValidation("The parameter %s must be a value in the set [ OK, ALARM, INSUFFICIENT_DATA ].", param)
}

func maxRecords(p *int32, def int) (int, error) {
	if p == nil {
		return def, nil
	}
	if *p < 1 || *p > maxDescribeRecords {
		return 0, errValidation("The parameter MaxRecords must be between 1 and %d.", maxDescribeRecords)
	}
	return int(*p), nil
}

// DescribeAlarms lists alarms by name, prefix, state, action prefix and type
// (metric alarms only unless AlarmTypes says otherwise), sorted by name.
func (s *Service) DescribeAlarms(ctx context.Context, in *DescribeAlarmsInput) (*DescribeAlarmsOutput, error) {
	limit, err := maxRecords(in.MaxRecords, 50)
	if err != nil {
		return nil, err
	}
	if len(in.AlarmNames) > 100 {
		return nil, errValidation("The collection AlarmNames must not have a size greater than 100.")
	}
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil {
		return nil, errCombination("The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both.")
	}
	if in.StateValue != "" {
		if err := validState(in.StateValue, "StateValue"); err != nil {
			return nil, err
		}
	}
	if (in.ChildrenOfAlarmName != nil || in.ParentsOfAlarmName != nil) &&
		(len(in.AlarmNames) > 0 || in.AlarmNamePrefix != nil || in.StateValue != "" || in.ActionPrefix != nil ||
			in.ChildrenOfAlarmName != nil && in.ParentsOfAlarmName != nil) {
		return nil, errCombination("ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined with other filters.")
	}
	types := in.AlarmTypes
	if len(types) == 0 {
		types = []string{AlarmTypeMetric}
	}
	for i, t := range types {
		if t != AlarmTypeMetric && t != AlarmTypeComposite && t != "LogAlarm" {
			return nil, errValidation("The parameter AlarmTypes.member.%d must be a value in the set [ CompositeAlarm, MetricAlarm, LogAlarm ].", i+1)
		}
	}
	after := ""
	if t := deref(in.NextToken); t != "" {
		raw, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || len(raw) == 0 {
			return nil, errNextToken()
		}
		after = string(raw)
	}
	out := &DescribeAlarmsOutput{CompositeAlarms: []CompositeAlarm{}, MetricAlarms: []MetricAlarm{}}
	err = s.view(ctx, func(tx *store.Tx) error {
		var filter map[string]bool
		switch {
		case len(in.AlarmNames) > 0:
			filter = map[string]bool{}
			for _, n := range in.AlarmNames {
				filter[n] = true
			}
		case in.ChildrenOfAlarmName != nil:
			filter = map[string]bool{}
			parent, err := getAlarm(tx, *in.ChildrenOfAlarmName)
			if err == nil && parent.Composite != nil {
				if rn, err := parseRule(parent.Composite.AlarmRule); err == nil {
					for _, ref := range rn.alarms(nil) {
						filter[s.alarmNameOf(ref)] = true
					}
				}
			}
		}
		count := 0
		return tx.Scan(bucketAlarms, "", func(key string, raw []byte) error {
			if key <= after || filter != nil && !filter[key] {
				return nil
			}
			if in.AlarmNamePrefix != nil && !strings.HasPrefix(key, *in.AlarmNamePrefix) {
				return nil
			}
			var r alarmRecord
			if err := store.Decode(raw, &r); err != nil {
				return err
			}
			if !slices.Contains(types, r.alarmType()) || in.StateValue != "" && r.StateValue != in.StateValue {
				return nil
			}
			if p := in.ActionPrefix; p != nil && !slices.ContainsFunc(r.allActions(), func(a string) bool { return strings.HasPrefix(a, *p) }) {
				return nil
			}
			if p := in.ParentsOfAlarmName; p != nil && !s.refersTo(&r, *p) {
				return nil
			}
			if count == limit {
				out.NextToken = ptr(base64.RawURLEncoding.EncodeToString([]byte(after)))
				return store.ErrStop
			}
			count++
			after = key
			if r.Composite != nil {
				out.CompositeAlarms = append(out.CompositeAlarms, s.compositeAlarm(&r))
			} else {
				out.MetricAlarms = append(out.MetricAlarms, s.metricAlarm(&r))
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// refersTo reports whether r is a composite alarm whose rule names alarm.
func (s *Service) refersTo(r *alarmRecord, alarm string) bool {
	if r.Composite == nil {
		return false
	}
	rn, err := parseRule(r.Composite.AlarmRule)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(rn.alarms(nil), func(ref string) bool { return s.alarmNameOf(ref) == alarm })
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// metricAlarm renders a metric alarm record as DescribeAlarms returns it.
func (s *Service) metricAlarm(r *alarmRecord) MetricAlarm {
	c := r.Metric
	m := MetricAlarm{
		ActionsEnabled: ptr(r.actionsEnabled()), AlarmActions: nonNil(c.AlarmActions), AlarmArn: s.alarmARN(r.Name),
		AlarmConfigurationUpdatedTimestamp: timePtr(r.ConfigUpdated), AlarmDescription: c.AlarmDescription,
		AlarmName: r.Name, ComparisonOperator: c.ComparisonOperator, DatapointsToAlarm: c.DatapointsToAlarm,
		Dimensions: c.Dimensions, EvaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile,
		EvaluationPeriods: c.EvaluationPeriods, ExtendedStatistic: c.ExtendedStatistic,
		InsufficientDataActions: nonNil(c.InsufficientDataActions), MetricName: c.MetricName, Metrics: c.Metrics,
		Namespace: c.Namespace, OKActions: nonNil(c.OKActions), Period: c.Period, StateReason: r.StateReason,
		StateReasonData: r.StateReasonData, StateTransitionedTimestamp: timePtr(r.StateTransitioned),
		StateUpdatedTimestamp: timePtr(r.StateUpdated), StateValue: r.StateValue, Statistic: c.Statistic,
		Threshold: c.Threshold, TreatMissingData: c.TreatMissingData, Unit: c.Unit,
	}
	if m.Dimensions == nil && c.Metrics == nil {
		m.Dimensions = []Dimension{}
	}
	return m
}

// compositeAlarm renders a composite alarm record.
func (s *Service) compositeAlarm(r *alarmRecord) CompositeAlarm {
	c := r.Composite
	return CompositeAlarm{
		ActionsEnabled: ptr(r.actionsEnabled()), AlarmActions: nonNil(c.AlarmActions), AlarmArn: s.alarmARN(r.Name),
		AlarmConfigurationUpdatedTimestamp: timePtr(r.ConfigUpdated), AlarmDescription: c.AlarmDescription,
		AlarmName: r.Name, AlarmRule: c.AlarmRule, InsufficientDataActions: nonNil(c.InsufficientDataActions),
		OKActions: nonNil(c.OKActions), StateReason: r.StateReason, StateReasonData: r.StateReasonData,
		StateTransitionedTimestamp: timePtr(r.StateTransitioned), StateUpdatedTimestamp: timePtr(r.StateUpdated),
		StateValue: r.StateValue,
	}
}

// ---- DescribeAlarmsForMetric ----

// DescribeAlarmsForMetricInput is the input of DescribeAlarmsForMetric.
type DescribeAlarmsForMetricInput struct {
	MetricName        string      `json:"MetricName"`
	Namespace         string      `json:"Namespace"`
	Dimensions        []Dimension `json:"Dimensions,omitempty"`
	Statistic         *string     `json:"Statistic,omitempty"`
	ExtendedStatistic *string     `json:"ExtendedStatistic,omitempty"`
	Period            *int32      `json:"Period,omitempty"`
	Unit              *string     `json:"Unit,omitempty"`
}

// DescribeAlarmsForMetricOutput is the output of DescribeAlarmsForMetric.
type DescribeAlarmsForMetricOutput struct {
	MetricAlarms []MetricAlarm `json:"MetricAlarms"`
}

// DescribeAlarmsForMetric lists the metric alarms on a metric (its dimensions must
// match exactly), including math alarms that use it, filtered by statistic, period
// and unit when given.
func (s *Service) DescribeAlarmsForMetric(ctx context.Context, in *DescribeAlarmsForMetricInput) (*DescribeAlarmsForMetricOutput, error) {
	if in.MetricName == "" {
		return nil, errMissing("MetricName")
	}
	if in.Namespace == "" {
		return nil, errMissing("Namespace")
	}
	dims, err := validDims(in.Dimensions, "Dimensions")
	if err != nil {
		return nil, err
	}
	want := seriesKey(in.Namespace, in.MetricName, dims)
	out := &DescribeAlarmsForMetricOutput{MetricAlarms: []MetricAlarm{}}
	err = s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketAlarms, "", func(_ string, raw []byte) error {
			var r alarmRecord
			if err := store.Decode(raw, &r); err != nil {
				return err
			}
			if r.Metric == nil {
				return nil
			}
			c := r.Metric
			match := false
			if c.MetricName != nil {
				d, _ := validDims(c.Dimensions, "")
				match = seriesKey(deref(c.Namespace), *c.MetricName, d) == want &&
					(in.Statistic == nil || deref(c.Statistic) == *in.Statistic) &&
					(in.ExtendedStatistic == nil || deref(c.ExtendedStatistic) == *in.ExtendedStatistic) &&
					(in.Period == nil || deref(c.Period) == *in.Period) &&
					(in.Unit == nil || deref(c.Unit) == *in.Unit)
			}
			for _, q := range c.Metrics {
				if ms := q.MetricStat; ms != nil && ms.Metric != nil {
					d, _ := validDims(ms.Metric.Dimensions, "")
					if seriesKey(ms.Metric.Namespace, ms.Metric.MetricName, d) == want &&
						(in.Statistic == nil && in.ExtendedStatistic == nil || ms.Stat == deref(in.Statistic) || ms.Stat == deref(in.ExtendedStatistic)) &&
						(in.Period == nil || deref(ms.Period) == *in.Period) && (in.Unit == nil || ms.Unit == *in.Unit) {
						match = true
					}
				}
			}
			if match {
				out.MetricAlarms = append(out.MetricAlarms, s.metricAlarm(&r))
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
