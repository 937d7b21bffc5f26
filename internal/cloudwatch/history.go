package cloudwatch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// historyKeep is how long alarm history is kept: two weeks, as in CloudWatch, also
// for deleted alarms.
const historyKeep = 14 * 24 * time.Hour

// historyRecord is one alarm history item in the store.
type historyRecord struct {
	AlarmName string    `json:"alarmName"`
	AlarmType string    `json:"alarmType"`
	Type      string    `json:"type"`
	Summary   string    `json:"summary"`
	Data      string    `json:"data"`
	Time      time.Time `json:"time"`
}

// addHistory stores a history item.
func (s *Service) addHistory(tx *store.Tx, h historyRecord) error {
	seq, err := tx.NextSequence(bucketHistory)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%020d%016x", h.Time.UnixNano(), seq)
	return tx.Put(bucketHistory, key, h)
}

// historyTime formats a time as CloudWatch does in history and reason data.
func historyTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// alarmConfigJSON renders an alarm's configuration as history data does (camelCase
// members).
func (s *Service) alarmConfigJSON(r *alarmRecord) map[string]any {
	m := map[string]any{"alarmName": r.Name, "alarmArn": s.alarmARN(r.Name), "actionsEnabled": r.actionsEnabled(),
		"alarmActions": nonNil(r.actionsFor(StateAlarm)), "okActions": nonNil(r.actionsFor(StateOK)),
		"insufficientDataActions":            nonNil(r.actionsFor(StateInsufficientData)),
		"alarmConfigurationUpdatedTimestamp": historyTime(r.ConfigUpdated)}
	if r.Composite != nil {
		m["alarmRule"] = r.Composite.AlarmRule
		if d := r.Composite.AlarmDescription; d != nil {
			m["alarmDescription"] = *d
		}
		return m
	}
	c := r.Metric
	set := func(k string, v any, ok bool) {
		if ok {
			m[k] = v
		}
	}
	set("alarmDescription", deref(c.AlarmDescription), c.AlarmDescription != nil)
	set("metricName", deref(c.MetricName), c.MetricName != nil)
	set("namespace", deref(c.Namespace), c.Namespace != nil)
	set("statistic", deref(c.Statistic), c.Statistic != nil)
	set("extendedStatistic", deref(c.ExtendedStatistic), c.ExtendedStatistic != nil)
	set("period", deref(c.Period), c.Period != nil)
	set("unit", deref(c.Unit), c.Unit != nil)
	set("evaluationPeriods", deref(c.EvaluationPeriods), c.EvaluationPeriods != nil)
	set("datapointsToAlarm", deref(c.DatapointsToAlarm), c.DatapointsToAlarm != nil)
	set("threshold", deref(c.Threshold), c.Threshold != nil)
	set("comparisonOperator", c.ComparisonOperator, true)
	set("treatMissingData", deref(c.TreatMissingData), c.TreatMissingData != nil)
	dims := []map[string]string{}
	for _, d := range c.Dimensions {
		dims = append(dims, map[string]string{"name": d.Name, "value": d.Value})
	}
	set("dimensions", dims, c.Metrics == nil)
	if c.Metrics != nil {
		var ms []map[string]any
		for _, q := range c.Metrics {
			e := map[string]any{"id": q.Id, "returnData": q.ReturnData == nil || *q.ReturnData}
			if q.Expression != nil {
				e["expression"] = *q.Expression
			}
			if q.Label != nil {
				e["label"] = *q.Label
			}
			if st := q.MetricStat; st != nil && st.Metric != nil {
				md := []map[string]string{}
				for _, d := range st.Metric.Dimensions {
					md = append(md, map[string]string{"name": d.Name, "value": d.Value})
				}
				e["metricStat"] = map[string]any{"metric": map[string]any{"namespace": st.Metric.Namespace,
					"name": st.Metric.MetricName, "dimensions": md}, "period": deref(st.Period), "stat": st.Stat}
			}
			ms = append(ms, e)
		}
		m["metrics"] = ms
	}
	return m
}

// configHistory is the ConfigurationUpdate item of creating (typ "Create"),
// updating ("Update") or deleting ("Delete") an alarm.
func (s *Service) configHistoryItem(rec, old *alarmRecord, typ string, now time.Time) historyRecord {
	data := map[string]any{"version": "1.0", "type": typ}
	var name, atype string
	switch typ {
	case "Create":
		data["createdAlarm"] = s.alarmConfigJSON(rec)
		name, atype = rec.Name, rec.alarmType()
	case "Update":
		data["updatedAlarm"] = s.alarmConfigJSON(rec)
		newCfg, oldCfg := s.alarmConfigJSON(rec), s.alarmConfigJSON(old)
		orig := map[string]any{}
		for k, v := range oldCfg {
			a, _ := json.Marshal(v)
			b, _ := json.Marshal(newCfg[k])
			if string(a) != string(b) && k != "alarmConfigurationUpdatedTimestamp" {
				orig[k] = v
			}
		}
		data["originalUpdatedFields"] = orig
		name, atype = rec.Name, rec.alarmType()
	default:
		data["deletedAlarm"] = s.alarmConfigJSON(old)
		name, atype = old.Name, old.alarmType()
	}
	raw, _ := json.Marshal(data)
	verb := map[string]string{"Create": "created", "Update": "updated", "Delete": "deleted"}[typ]
	return historyRecord{AlarmName: name, AlarmType: atype, Type: HistoryConfigurationUpdate,
		Summary: fmt.Sprintf("Alarm %q %s", name, verb), Data: string(raw), Time: now}
}

// stateHistory is the StateUpdate item of a transition.
func stateHistory(r *alarmRecord, oldState, oldReason string, now time.Time) historyRecord {
	newState := map[string]any{"stateValue": r.StateValue, "stateReason": r.StateReason}
	if r.StateReasonData != nil {
		var v any
		if json.Unmarshal([]byte(*r.StateReasonData), &v) == nil {
			newState["stateReasonData"] = v
		}
	}
	raw, _ := json.Marshal(map[string]any{"version": "1.0",
		"oldState": map[string]any{"stateValue": oldState, "stateReason": oldReason}, "newState": newState})
	return historyRecord{AlarmName: r.Name, AlarmType: r.alarmType(), Type: HistoryStateUpdate,
		Summary: fmt.Sprintf("Alarm updated from %s to %s", oldState, r.StateValue), Data: string(raw), Time: now}
}

// actionHistory is the Action item of one dispatched action.
func actionHistory(a AlarmAction, alarmType string, err error, now time.Time) historyRecord {
	data := map[string]any{"stateUpdateTimestamp": a.Time.UnixMilli(), "notificationResource": a.ActionARN}
	summary := "Successfully executed action " + a.ActionARN
	if err != nil {
		data["actionState"] = "Failed"
		data["error"] = err.Error()
		summary = "Failed to execute action " + a.ActionARN + ". Received error: \"" + err.Error() + "\""
	} else {
		data["actionState"] = "Succeeded"
	}
	raw, _ := json.Marshal(data)
	return historyRecord{AlarmName: a.AlarmName, AlarmType: alarmType, Type: HistoryAction, Summary: summary,
		Data: string(raw), Time: now}
}

// DescribeAlarmHistoryInput is the input of DescribeAlarmHistory.
type DescribeAlarmHistoryInput struct {
	AlarmName          *string    `json:"AlarmName,omitempty"`
	AlarmTypes         []string   `json:"AlarmTypes,omitempty"`
	HistoryItemType    string     `json:"HistoryItemType,omitempty"`
	StartDate          *time.Time `json:"StartDate,omitempty"`
	EndDate            *time.Time `json:"EndDate,omitempty"`
	MaxRecords         *int32     `json:"MaxRecords,omitempty"`
	NextToken          *string    `json:"NextToken,omitempty"`
	ScanBy             string     `json:"ScanBy,omitempty"`
	AlarmContributorId *string    `json:"AlarmContributorId,omitempty"`
}

// DescribeAlarmHistoryOutput is the output of DescribeAlarmHistory.
type DescribeAlarmHistoryOutput struct {
	AlarmHistoryItems []AlarmHistoryItem `json:"AlarmHistoryItems"`
	NextToken         *string            `json:"NextToken,omitempty"`
}

// DescribeAlarmHistory returns alarm history items (of metric alarms unless
// AlarmTypes says otherwise), newest first unless ScanBy says otherwise.
func (s *Service) DescribeAlarmHistory(ctx context.Context, in *DescribeAlarmHistoryInput) (*DescribeAlarmHistoryOutput, error) {
	limit, err := maxRecords(in.MaxRecords, 100)
	if err != nil {
		return nil, err
	}
	switch in.HistoryItemType {
	case "", HistoryConfigurationUpdate, HistoryStateUpdate, HistoryAction, "AlarmContributorStateUpdate", "AlarmContributorAction":
	default:
		return nil, errValidation("The parameter HistoryItemType must be a value in the set [ ConfigurationUpdate, StateUpdate, Action, AlarmContributorStateUpdate, AlarmContributorAction ].")
	}
	scan := in.ScanBy
	switch scan {
	case "":
		scan = ScanTimestampDescending
	case ScanTimestampDescending, ScanTimestampAscending:
	default:
		return nil, errValidation("The parameter ScanBy must be a value in the set [ TimestampDescending, TimestampAscending ].")
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
	cursor := ""
	if t := deref(in.NextToken); t != "" {
		raw, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || len(raw) != 36 {
			return nil, errNextToken()
		}
		cursor = string(raw)
	}
	out := &DescribeAlarmHistoryOutput{AlarmHistoryItems: []AlarmHistoryItem{}}
	type keyed struct {
		key string
		h   historyRecord
	}
	var matched []keyed
	err = s.view(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketHistory, "", func(key string, raw []byte) error {
			if cursor != "" && (scan == ScanTimestampAscending && key <= cursor || scan == ScanTimestampDescending && key >= cursor) {
				return nil
			}
			var h historyRecord
			if err := store.Decode(raw, &h); err != nil {
				return err
			}
			switch {
			case in.AlarmName != nil && h.AlarmName != *in.AlarmName,
				in.HistoryItemType != "" && h.Type != in.HistoryItemType,
				!slices.Contains(types, h.AlarmType),
				in.StartDate != nil && h.Time.Before(*in.StartDate),
				in.EndDate != nil && h.Time.After(*in.EndDate):
				return nil
			}
			matched = append(matched, keyed{key, h})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if scan == ScanTimestampDescending {
		slices.Reverse(matched)
	}
	for i, m := range matched {
		if i == limit {
			out.NextToken = ptr(base64.RawURLEncoding.EncodeToString([]byte(matched[i-1].key)))
			break
		}
		out.AlarmHistoryItems = append(out.AlarmHistoryItems, AlarmHistoryItem{AlarmName: m.h.AlarmName,
			AlarmType: m.h.AlarmType, HistoryData: m.h.Data, HistoryItemType: m.h.Type, HistorySummary: m.h.Summary,
			Timestamp: timePtr(m.h.Time)})
	}
	return out, nil
}

// purgeHistory deletes history items older than two weeks.
func (s *Service) purgeHistory(ctx context.Context, now time.Time) error {
	cutoff := fmt.Sprintf("%020d", now.Add(-historyKeep).UnixNano())
	return s.update(ctx, func(tx *store.Tx) error {
		var old []string
		err := tx.Scan(bucketHistory, "", func(key string, _ []byte) error {
			if strings.Compare(key, cutoff) >= 0 {
				return store.ErrStop
			}
			old = append(old, key)
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := tx.Delete(bucketHistory, k); err != nil {
				return err
			}
		}
		return nil
	})
}
