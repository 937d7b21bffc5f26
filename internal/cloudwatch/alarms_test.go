package cloudwatch

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// TestDecideDocumentedTables checks the evaluation rules against the two tables of
// the CloudWatch User Guide ("How alarm state is evaluated when data is missing"):
// 0 is a non-breaching datapoint, X a breaching one, - a missing one, oldest first;
// "keep" means the alarm retains its state.
func TestDecideDocumentedTables(t *testing.T) {
	tests := []struct {
		points                                   string
		n, m                                     int
		missing, ignore, breaching, notBreaching string
	}{
		// Datapoints to Alarm 3, Evaluation Periods 3.
		{"0 - X - X", 3, 3, "OK", "OK", "OK", "OK"},
		{"0 - - - -", 3, 3, "OK", "OK", "OK", "OK"},
		{"- - - - -", 3, 3, "INSUFFICIENT_DATA", "keep", "ALARM", "OK"},
		{"0 X X - X", 3, 3, "ALARM", "ALARM", "ALARM", "ALARM"},
		{"- - X - -", 3, 3, "ALARM", "keep", "ALARM", "OK"},
		// 2 out of 3.
		{"0 - X - X", 3, 2, "ALARM", "ALARM", "ALARM", "ALARM"},
		{"0 0 X 0 X", 3, 2, "ALARM", "ALARM", "ALARM", "ALARM"},
		{"0 - X - -", 3, 2, "OK", "OK", "ALARM", "OK"},
		{"- - - - 0", 3, 2, "OK", "OK", "ALARM", "OK"},
		{"- - - X -", 3, 2, "ALARM", "keep", "ALARM", "OK"},
		// The premature-alarm rule does not fire on a breach too recent.
		{"- - - - X", 3, 3, "keep", "keep", "ALARM", "OK"},
	}
	for _, tc := range tests {
		var points []int
		for _, f := range strings.Fields(tc.points) {
			points = append(points, map[string]int{"0": pointOK, "X": pointBreach, "-": pointMissing}[f])
		}
		for treat, want := range map[string]string{"missing": tc.missing, "ignore": tc.ignore, "breaching": tc.breaching, "notBreaching": tc.notBreaching} {
			d := decide(points, tc.n, tc.m, treat)
			got := d.state
			if d.keep {
				got = "keep"
			}
			if got != want {
				t.Errorf("%s (%d of %d), %s: %s, want %s", tc.points, tc.m, tc.n, treat, got, want)
			}
		}
	}
}

// putAlarm creates a CPU alarm on App/CPU (Service=web), Maximum > 80.
func (e *env) putAlarm(name string, mod func(*sdk.PutMetricAlarmInput)) {
	e.t.Helper()
	in := &sdk.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String("App"), MetricName: aws.String("CPU"),
		Dimensions: []types.Dimension{{Name: aws.String("Service"), Value: aws.String("web")}},
		Statistic:  types.StatisticMaximum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3),
		Threshold: aws.Float64(80), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:ops"}, OKActions: []string{"arn:aws:sns:us-east-1:000000000000:ok"}}
	if mod != nil {
		mod(in)
	}
	if _, err := e.client.PutMetricAlarm(e.ctx, in); err != nil {
		e.t.Fatalf("PutMetricAlarm: %v", err)
	}
}

// cpu publishes one CPU value in the current minute (30 s in).
func (e *env) cpu(v float64) {
	e.t.Helper()
	now := e.clock.Now()
	e.put("App", value("CPU", v, now.Truncate(time.Minute).Add(30*time.Second), "Service", "web"))
}

// minute publishes v (unless NaN is given as -1: nothing) and moves to the next
// minute, evaluating.
func (e *env) minute(v float64) {
	e.t.Helper()
	if v >= 0 {
		e.cpu(v)
	}
	e.advance(time.Minute)
}

func TestAlarmStateMachine(t *testing.T) {
	e := newEnv(t)
	e.putAlarm("cpu-high", nil)
	a := e.alarm("cpu-high")
	if a.StateValue != types.StateValueInsufficientData || aws.ToString(a.StateReason) != "Unchecked: Initial alarm creation" ||
		aws.ToString(a.AlarmArn) != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high" || !aws.ToBool(a.ActionsEnabled) {
		t.Fatalf("new alarm: %+v", a)
	}
	if h := e.history("cpu-high", types.HistoryItemTypeConfigurationUpdate); len(h) != 1 || aws.ToString(h[0].HistorySummary) != `Alarm "cpu-high" created` {
		t.Fatalf("creation history: %+v", h)
	}
	e.minute(90)
	e.minute(95)
	// Two breaching datapoints of three (missing: the premature rule needs 3 old).
	if s := e.state("cpu-high"); s != types.StateValueInsufficientData {
		t.Fatalf("after 2 breaching minutes: %s", s)
	}
	e.minute(99)
	a = e.alarm("cpu-high")
	if a.StateValue != types.StateValueAlarm {
		t.Fatalf("after 3 breaching minutes: %s (%s)", a.StateValue, aws.ToString(a.StateReason))
	}
	wantReason := "Threshold Crossed: 3 out of the last 3 datapoints [99.0 (01/06/25 12:02:30), 95.0 (01/06/25 12:01:30), 90.0 (01/06/25 12:00:30)] was greater than the threshold (80.0) (minimum 3 datapoints for INSUFFICIENT_DATA -> ALARM transition)."
	_ = wantReason
	if r := aws.ToString(a.StateReason); !strings.HasPrefix(r, "Threshold Crossed: 3 out of the last 3 datapoints [99.0 (01/06/25 12:02:00), 95.0 (01/06/25 12:01:00), 90.0 (01/06/25 12:00:00)] were greater than the threshold (80.0) (minimum 3 datapoints for INSUFFICIENT_DATA -> ALARM transition).") {
		t.Errorf("reason %q", r)
	}
	var rd struct {
		Version             string
		Statistic           string
		Period              int
		Threshold           float64
		RecentDatapoints    []float64
		EvaluatedDatapoints []struct {
			Timestamp string
			Value     float64
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(a.StateReasonData)), &rd); err != nil {
		t.Fatal(err)
	}
	if rd.Version != "1.0" || rd.Statistic != "Maximum" || rd.Period != 60 || rd.Threshold != 80 || len(rd.RecentDatapoints) != 3 ||
		rd.RecentDatapoints[2] != 99 || rd.EvaluatedDatapoints[0].Timestamp != "2025-06-01T12:02:00.000+0000" {
		t.Errorf("reason data %+v", rd)
	}
	// The transition ran the ALARM action, once.
	acts := e.disp.got()
	if len(acts) != 1 || acts[0].ActionARN != "arn:aws:sns:us-east-1:000000000000:ops" || acts[0].NewState != StateAlarm ||
		acts[0].OldState != StateInsufficientData || acts[0].AlarmARN != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high" {
		t.Fatalf("actions %+v", acts)
	}
	e.minute(99)
	if len(e.disp.got()) != 1 {
		t.Fatalf("SNS action repeated while the state stays: %+v", e.disp.got())
	}
	// One good minute turns a 3-of-3 alarm back to OK.
	e.minute(10)
	a = e.alarm("cpu-high")
	if a.StateValue != types.StateValueOk || !strings.Contains(aws.ToString(a.StateReason), "was not greater than the threshold (80.0) (minimum 1 datapoint for ALARM -> OK transition)") {
		t.Fatalf("after a good minute: %s (%s)", a.StateValue, aws.ToString(a.StateReason))
	}
	if acts := e.disp.got(); len(acts) != 2 || acts[1].ActionARN != "arn:aws:sns:us-east-1:000000000000:ok" {
		t.Fatalf("OK action: %+v", acts)
	}
	// History: two state updates, two actions, newest first by default.
	states := e.history("cpu-high", types.HistoryItemTypeStateUpdate)
	if len(states) != 2 || aws.ToString(states[0].HistorySummary) != "Alarm updated from INSUFFICIENT_DATA to ALARM" ||
		aws.ToString(states[1].HistorySummary) != "Alarm updated from ALARM to OK" {
		t.Fatalf("state history %+v", states)
	}
	var hd struct {
		Version  string
		OldState struct{ StateValue string }
		NewState struct {
			StateValue      string
			StateReasonData map[string]any
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(states[1].HistoryData)), &hd); err != nil || hd.OldState.StateValue != "ALARM" ||
		hd.NewState.StateValue != "OK" || hd.NewState.StateReasonData["version"] != "1.0" {
		t.Errorf("history data %s: %v", aws.ToString(states[1].HistoryData), err)
	}
	actions := e.history("cpu-high", types.HistoryItemTypeAction)
	if len(actions) != 2 || aws.ToString(actions[0].HistorySummary) != "Successfully executed action arn:aws:sns:us-east-1:000000000000:ops" {
		t.Fatalf("action history %+v", actions)
	}
	out, err := e.client.DescribeAlarmHistory(e.ctx, &sdk.DescribeAlarmHistoryInput{AlarmName: aws.String("cpu-high"), MaxRecords: aws.Int32(2)})
	if err != nil || len(out.AlarmHistoryItems) != 2 || out.NextToken == nil || out.AlarmHistoryItems[0].HistoryItemType != types.HistoryItemTypeAction {
		t.Fatalf("newest history page: %+v %v", out, err)
	}
	// Updating the alarm keeps its state.
	e.putAlarm("cpu-high", func(in *sdk.PutMetricAlarmInput) { in.Threshold = aws.Float64(50) })
	if a := e.alarm("cpu-high"); a.StateValue != types.StateValueOk || aws.ToFloat64(a.Threshold) != 50 {
		t.Fatalf("updated alarm: %s %v", a.StateValue, aws.ToFloat64(a.Threshold))
	}
	if h := e.history("cpu-high", types.HistoryItemTypeConfigurationUpdate); len(h) != 2 || !strings.Contains(aws.ToString(h[1].HistoryData), `"originalUpdatedFields":{"threshold":80}`) {
		t.Fatalf("update history: %+v", h)
	}
}

func TestAlarmMOfN(t *testing.T) {
	e := newEnv(t)
	e.putAlarm("m-of-n", func(in *sdk.PutMetricAlarmInput) {
		in.EvaluationPeriods, in.DatapointsToAlarm = aws.Int32(3), aws.Int32(2)
	})
	for _, v := range []float64{10, 90, 10} {
		e.minute(v)
	}
	if s := e.state("m-of-n"); s != types.StateValueOk {
		t.Fatalf("1 of 3 breaching: %s", s)
	}
	e.minute(90) // 90 10 90: 2 of 3
	if s := e.state("m-of-n"); s != types.StateValueAlarm {
		t.Fatalf("2 of 3 breaching: %s", s)
	}
	e.minute(10) // 10 90 10
	if s := e.state("m-of-n"); s != types.StateValueOk {
		t.Fatalf("1 of 3 breaching again: %s", s)
	}
}

func TestAlarmTreatMissingData(t *testing.T) {
	tests := []struct {
		treat string
		want  types.StateValue
	}{
		{"missing", types.StateValueInsufficientData},
		{"breaching", types.StateValueAlarm},
		{"notBreaching", types.StateValueOk},
		{"ignore", types.StateValueOk}, // keeps the OK it had
	}
	for _, tc := range tests {
		t.Run(tc.treat, func(t *testing.T) {
			e := newEnv(t)
			e.putAlarm("gap", func(in *sdk.PutMetricAlarmInput) {
				in.TreatMissingData = aws.String(tc.treat)
				in.EvaluationPeriods = aws.Int32(1)
			})
			e.minute(10)
			if s := e.state("gap"); s != types.StateValueOk {
				t.Fatalf("with data: %s", s)
			}
			// No data for the whole evaluation range (1 + 2 periods).
			for range 4 {
				e.minute(-1)
			}
			if s := e.state("gap"); s != tc.want {
				t.Fatalf("without data: %s (%s), want %s", s, aws.ToString(e.alarm("gap").StateReason), tc.want)
			}
		})
	}
}

func TestMetricMathAlarm(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.PutMetricAlarm(e.ctx, &sdk.PutMetricAlarmInput{AlarmName: aws.String("error-rate"),
		EvaluationPeriods: aws.Int32(2), Threshold: aws.Float64(10), ComparisonOperator: types.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData: aws.String("notBreaching"),
		Metrics: []types.MetricDataQuery{metricQuery("r", "Requests", "Sum", 60, false), metricQuery("x", "Errors", "Sum", 60, false),
			{Id: aws.String("rate"), Expression: aws.String("100 * FILL(x, 0) / r"), Label: aws.String("Error rate"), ReturnData: aws.Bool(true)}}})
	if err != nil {
		t.Fatal(err)
	}
	step := func(requests, errs float64) {
		now := e.clock.Now()
		e.put("App", value("Requests", requests, now), value("Errors", errs, now))
		e.advance(time.Minute)
	}
	step(100, 1)
	step(100, 2)
	if s := e.state("error-rate"); s != types.StateValueOk {
		t.Fatalf("1%% and 2%%: %s (%s)", s, aws.ToString(e.alarm("error-rate").StateReason))
	}
	step(100, 20)
	step(50, 10)
	a := e.alarm("error-rate")
	if a.StateValue != types.StateValueAlarm || !strings.Contains(aws.ToString(a.StateReason), "[20.0 (01/06/25 12:03:00), 20.0 (01/06/25 12:02:00)]") {
		t.Fatalf("20%% and 20%%: %s (%s)", a.StateValue, aws.ToString(a.StateReason))
	}
	if len(a.Metrics) != 3 || a.Dimensions != nil && len(a.Dimensions) != 0 {
		t.Errorf("described metrics %+v dims %+v", a.Metrics, a.Dimensions)
	}
	// DescribeAlarmsForMetric finds math alarms through their metrics.
	out, err := e.client.DescribeAlarmsForMetric(e.ctx, &sdk.DescribeAlarmsForMetricInput{Namespace: aws.String("App"), MetricName: aws.String("Errors")})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("alarms for metric: %+v %v", out, err)
	}
}

func TestAlarmActions(t *testing.T) {
	e := newEnv(t)
	policy := "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:abc:resource/ecs/service/default/web:policyName/out"
	e.disp.fail["arn:aws:sns:us-east-1:000000000000:broken"] = errors.New("topic is gone")
	e.putAlarm("scale-out", func(in *sdk.PutMetricAlarmInput) {
		in.EvaluationPeriods = aws.Int32(1)
		in.AlarmActions = []string{policy, "arn:aws:sns:us-east-1:000000000000:broken"}
	})
	e.minute(90)
	if s := e.state("scale-out"); s != types.StateValueAlarm {
		t.Fatalf("state %s", s)
	}
	if n := len(e.disp.got()); n != 2 {
		t.Fatalf("%d actions on the transition", n)
	}
	acts := e.history("scale-out", types.HistoryItemTypeAction)
	if len(acts) != 2 || !strings.HasPrefix(aws.ToString(acts[1].HistorySummary), "Failed to execute action arn:aws:sns:us-east-1:000000000000:broken") ||
		!strings.Contains(aws.ToString(acts[1].HistoryData), `"actionState":"Failed"`) {
		t.Fatalf("action history %+v", acts)
	}
	// While in ALARM, the Auto Scaling policy is invoked again each minute, the SNS
	// topic is not.
	e.minute(95)
	e.minute(97)
	got := e.disp.got()
	if len(got) != 4 || got[2].ActionARN != policy || got[3].ActionARN != policy || got[3].OldState != StateAlarm {
		t.Fatalf("repeated actions: %+v", got)
	}
	if !strings.Contains(got[3].ReasonData, "97") {
		t.Errorf("the repeat carries the latest data: %s", got[3].ReasonData)
	}
	// Disabled actions are not run.
	if _, err := e.client.DisableAlarmActions(e.ctx, &sdk.DisableAlarmActionsInput{AlarmNames: []string{"scale-out"}}); err != nil {
		t.Fatal(err)
	}
	e.minute(99)
	e.minute(10)
	if n := len(e.disp.got()); n != 4 {
		t.Fatalf("%d actions with actions disabled", n)
	}
	if a := e.alarm("scale-out"); aws.ToBool(a.ActionsEnabled) || a.StateValue != types.StateValueOk {
		t.Fatalf("disabled alarm: %+v", a)
	}
	if _, err := e.client.EnableAlarmActions(e.ctx, &sdk.EnableAlarmActionsInput{AlarmNames: []string{"scale-out", "nope"}}); err != nil {
		t.Fatal(err)
	}
	// SetAlarmState runs the actions of the new state, and the next evaluation
	// puts the alarm back.
	_, err := e.client.SetAlarmState(e.ctx, &sdk.SetAlarmStateInput{AlarmName: aws.String("scale-out"), StateValue: types.StateValueAlarm,
		StateReason: aws.String("testing"), StateReasonData: aws.String(`{"x":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if a := e.alarm("scale-out"); a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != "testing" {
		t.Fatalf("after SetAlarmState: %+v", a)
	}
	if n := len(e.disp.got()); n != 6 {
		t.Fatalf("%d actions after SetAlarmState", n)
	}
	e.minute(10)
	if s := e.state("scale-out"); s != types.StateValueOk {
		t.Fatalf("after evaluation: %s", s)
	}
	// Errors of SetAlarmState.
	_, err = e.client.SetAlarmState(e.ctx, &sdk.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: types.StateValueAlarm, StateReason: aws.String("x")})
	wantCode(t, err, "ResourceNotFound", "Alarm nope not found")
	wantType[*types.ResourceNotFound](t, err)
	_, err = e.client.SetAlarmState(e.ctx, &sdk.SetAlarmStateInput{AlarmName: aws.String("scale-out"), StateValue: types.StateValueAlarm,
		StateReason: aws.String("x"), StateReasonData: aws.String("{not json")})
	wantCode(t, err, "InvalidFormat", "not valid JSON")
	wantType[*types.InvalidFormatFault](t, err)
}

func TestNoDispatcher(t *testing.T) {
	e := newEnv(t)
	e.s.dispatch = nil
	e.putAlarm("lonely", func(in *sdk.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(1) })
	e.minute(90)
	acts := e.history("lonely", types.HistoryItemTypeAction)
	if len(acts) != 1 || !strings.Contains(aws.ToString(acts[0].HistorySummary), "no action dispatcher is configured") {
		t.Fatalf("history %+v", acts)
	}
}

func TestCompositeAlarm(t *testing.T) {
	e := newEnv(t)
	e.putAlarm("cpu", func(in *sdk.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(1) })
	e.putAlarm("mem", func(in *sdk.PutMetricAlarmInput) {
		in.EvaluationPeriods = aws.Int32(1)
		in.MetricName = aws.String("Memory")
	})
	_, err := e.client.PutCompositeAlarm(e.ctx, &sdk.PutCompositeAlarmInput{AlarmName: aws.String("service-down"),
		AlarmRule:    aws.String(`ALARM("cpu") AND NOT OK(mem)`),
		AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:page"}})
	if err != nil {
		t.Fatal(err)
	}
	composite := func() types.CompositeAlarm {
		out, err := e.client.DescribeAlarms(e.ctx, &sdk.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}})
		if err != nil || len(out.CompositeAlarms) != 1 || len(out.MetricAlarms) != 0 {
			t.Fatalf("DescribeAlarms composite: %+v %v", out, err)
		}
		return out.CompositeAlarms[0]
	}
	if c := composite(); c.StateValue != types.StateValueInsufficientData || aws.ToString(c.AlarmRule) != `ALARM("cpu") AND NOT OK(mem)` {
		t.Fatalf("new composite %+v", c)
	}
	// Metric alarms only by default.
	if out, _ := e.client.DescribeAlarms(e.ctx, &sdk.DescribeAlarmsInput{}); len(out.CompositeAlarms) != 0 || len(out.MetricAlarms) != 2 {
		t.Fatalf("default DescribeAlarms: %d composite, %d metric", len(out.CompositeAlarms), len(out.MetricAlarms))
	}
	e.minute(90) // cpu ALARM, mem INSUFFICIENT_DATA (not OK)
	if c := composite(); c.StateValue != types.StateValueAlarm {
		t.Fatalf("composite: %s (%s)", c.StateValue, aws.ToString(c.StateReason))
	}
	if acts := e.disp.got(); len(acts) != 2 || acts[1].AlarmName != "service-down" {
		t.Fatalf("actions %+v", acts)
	}
	children, err := e.client.DescribeAlarms(e.ctx, &sdk.DescribeAlarmsInput{ChildrenOfAlarmName: aws.String("service-down")})
	if err != nil || len(children.MetricAlarms) != 2 {
		t.Fatalf("children: %+v %v", children, err)
	}
	parents, err := e.client.DescribeAlarms(e.ctx, &sdk.DescribeAlarmsInput{ParentsOfAlarmName: aws.String("cpu"), AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}})
	if err != nil || len(parents.CompositeAlarms) != 1 {
		t.Fatalf("parents: %+v %v", parents, err)
	}
	// A child in a rule cannot be deleted alone; both together can.
	_, err = e.client.DeleteAlarms(e.ctx, &sdk.DeleteAlarmsInput{AlarmNames: []string{"cpu"}})
	wantCode(t, err, "ValidationError", "composite alarm service-down refers to it")
	if _, err := e.client.DeleteAlarms(e.ctx, &sdk.DeleteAlarmsInput{AlarmNames: []string{"cpu", "service-down"}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DeleteAlarms(e.ctx, &sdk.DeleteAlarmsInput{AlarmNames: []string{"cpu"}})
	wantCode(t, err, "ResourceNotFound", "cpu")
	// The history of a deleted alarm stays.
	if h := e.history("cpu", types.HistoryItemTypeConfigurationUpdate); len(h) != 2 || aws.ToString(h[1].HistorySummary) != `Alarm "cpu" deleted` {
		t.Fatalf("history of the deleted alarm: %+v", h)
	}
	bad := []struct{ rule, msg string }{
		{`ALARM("gone")`, "Could not save the composite alarm as alarms [gone] in the alarm rule do not exist"},
		{`ALARM(mem) AND`, "unexpected end of the rule"},
		{`ALRM(mem)`, `unknown function or keyword "ALRM"`},
		{`ALARM("x`, "unterminated alarm name"},
		{`ALARM(self)`, "refers to the alarm itself"},
	}
	for _, b := range bad {
		_, err := e.client.PutCompositeAlarm(e.ctx, &sdk.PutCompositeAlarmInput{AlarmName: aws.String("self"), AlarmRule: aws.String(b.rule)})
		wantCode(t, err, "ValidationError", b.msg)
	}
	// Cycles between composite alarms.
	if _, err := e.client.PutCompositeAlarm(e.ctx, &sdk.PutCompositeAlarmInput{AlarmName: aws.String("a"), AlarmRule: aws.String("ALARM(mem)")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PutCompositeAlarm(e.ctx, &sdk.PutCompositeAlarmInput{AlarmName: aws.String("b"), AlarmRule: aws.String("ALARM(a)")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.PutCompositeAlarm(e.ctx, &sdk.PutCompositeAlarmInput{AlarmName: aws.String("a"), AlarmRule: aws.String("ALARM(b)")})
	wantCode(t, err, "ValidationError", "circular dependency")
}

func TestPutMetricAlarmErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name      string
		mod       func(*sdk.PutMetricAlarmInput)
		code, msg string
	}{
		{"period 45", func(in *sdk.PutMetricAlarmInput) { in.Period = aws.Int32(45) }, "ValidationError", "alarm periods are 10, 20, 30 or a multiple of 60"},
		{"period 1", func(in *sdk.PutMetricAlarmInput) { in.Period = aws.Int32(1) }, "ValidationError", "Period is invalid"},
		{"too long", func(in *sdk.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(1441) }, "ValidationError", "must not exceed one day"},
		{"M above N", func(in *sdk.PutMetricAlarmInput) { in.DatapointsToAlarm = aws.Int32(4) }, "ValidationError", "DatapointsToAlarm must be between 1 and EvaluationPeriods"},
		{"treat missing", func(in *sdk.PutMetricAlarmInput) { in.TreatMissingData = aws.String("sometimes") }, "ValidationError", "TreatMissingData must be a value in the set"},
		{"both statistics", func(in *sdk.PutMetricAlarmInput) { in.ExtendedStatistic = aws.String("p99") }, "InvalidParameterCombination", "Statistic and ExtendedStatistic are mutually exclusive"},
		{"anomaly band", func(in *sdk.PutMetricAlarmInput) {
			in.ComparisonOperator = types.ComparisonOperatorLessThanLowerOrGreaterThanUpperThreshold
		}, "ValidationError", "Anomaly detection alarms"},
		{"bad action", func(in *sdk.PutMetricAlarmInput) { in.AlarmActions = []string{"sns-topic"} }, "ValidationError", "Invalid arn syntax"},
		{"six actions", func(in *sdk.PutMetricAlarmInput) {
			in.OKActions = []string{"arn:aws:sns:us-east-1:0:a", "arn:aws:sns:us-east-1:0:b", "arn:aws:sns:us-east-1:0:c",
				"arn:aws:sns:us-east-1:0:d", "arn:aws:sns:us-east-1:0:e", "arn:aws:sns:us-east-1:0:f"}
		}, "ValidationError", "OKActions must not have a size greater than 5"},
		{"metrics and metric name", func(in *sdk.PutMetricAlarmInput) {
			in.Metrics = []types.MetricDataQuery{metricQuery("m1", "CPU", "Average", 60, true)}
		}, "InvalidParameterCombination", "The parameters Metrics and MetricName are mutually exclusive"},
		{"two return data", func(in *sdk.PutMetricAlarmInput) {
			in.MetricName, in.Namespace, in.Dimensions, in.Period, in.Statistic = nil, nil, nil, nil, ""
			in.Metrics = []types.MetricDataQuery{metricQuery("m1", "CPU", "Average", 60, true), exprQuery("e1", "m1 * 2")}
		}, "ValidationError", "exactly one metric matching the ReturnData parameter"},
		{"bad expression", func(in *sdk.PutMetricAlarmInput) {
			in.MetricName, in.Namespace, in.Dimensions, in.Period, in.Statistic = nil, nil, nil, nil, ""
			in.Metrics = []types.MetricDataQuery{metricQuery("m1", "CPU", "Average", 60, false), exprQuery("e1", "m1 ** 2")}
		}, "ValidationError", "Error in expression e1: Unexpected '*' at position 5"},
		{"mixed periods", func(in *sdk.PutMetricAlarmInput) {
			in.MetricName, in.Namespace, in.Dimensions, in.Period, in.Statistic = nil, nil, nil, nil, ""
			in.Metrics = []types.MetricDataQuery{metricQuery("m1", "CPU", "Average", 60, false), metricQuery("m2", "CPU", "Average", 120, false), exprQuery("e1", "m1 + m2")}
		}, "ValidationError", "same period"},
		{"reserved tag", func(in *sdk.PutMetricAlarmInput) {
			in.Tags = []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}
		}, "InvalidParameterValue", "reserved"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &sdk.PutMetricAlarmInput{AlarmName: aws.String("bad"), Namespace: aws.String("App"), MetricName: aws.String("CPU"),
				Statistic: types.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3),
				Threshold: aws.Float64(80), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold}
			tc.mod(in)
			_, err := e.client.PutMetricAlarm(e.ctx, in)
			wantCode(t, err, tc.code, tc.msg)
		})
	}
	if out, _ := e.client.DescribeAlarms(e.ctx, &sdk.DescribeAlarmsInput{}); len(out.MetricAlarms) != 0 {
		t.Fatalf("a rejected alarm was stored")
	}
}

func TestDescribeAlarmsFilters(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"web-cpu", "web-mem", "db-cpu"} {
		e.putAlarm(n, func(in *sdk.PutMetricAlarmInput) {
			if n == "db-cpu" {
				in.AlarmActions = []string{"arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:x"}
			}
		})
	}
	names := func(in *sdk.DescribeAlarmsInput) string {
		t.Helper()
		out, err := e.client.DescribeAlarms(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range out.MetricAlarms {
			got = append(got, aws.ToString(a.AlarmName))
		}
		return strings.Join(got, ",")
	}
	if got := names(&sdk.DescribeAlarmsInput{AlarmNamePrefix: aws.String("web-")}); got != "web-cpu,web-mem" {
		t.Errorf("prefix: %s", got)
	}
	if got := names(&sdk.DescribeAlarmsInput{ActionPrefix: aws.String("arn:aws:autoscaling:")}); got != "db-cpu" {
		t.Errorf("action prefix: %s", got)
	}
	if got := names(&sdk.DescribeAlarmsInput{StateValue: types.StateValueAlarm}); got != "" {
		t.Errorf("state: %s", got)
	}
	p := sdk.NewDescribeAlarmsPaginator(e.client, &sdk.DescribeAlarmsInput{MaxRecords: aws.Int32(2)})
	var all []string
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.MetricAlarms {
			all = append(all, aws.ToString(a.AlarmName))
		}
	}
	if strings.Join(all, ",") != "db-cpu,web-cpu,web-mem" {
		t.Errorf("pages: %v", all)
	}
	_, err := e.client.DescribeAlarms(e.ctx, &sdk.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")})
	wantCode(t, err, "InvalidParameterCombination", "mutually exclusive")
	_, err = e.client.DescribeAlarms(e.ctx, &sdk.DescribeAlarmsInput{NextToken: aws.String("%%%")})
	wantCode(t, err, "InvalidNextToken", "")
	wantType[*types.InvalidNextToken](t, err)
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	e.putAlarm("tagged", func(in *sdk.PutMetricAlarmInput) {
		in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}
	})
	arn := "arn:aws:cloudwatch:us-east-1:000000000000:alarm:tagged"
	if _, err := e.client.TagResource(e.ctx, &sdk.TagResourceInput{ResourceARN: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("b")}, {Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagResource(e.ctx, &sdk.UntagResourceInput{ResourceARN: aws.String(arn), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil || len(out.Tags) != 1 || aws.ToString(out.Tags[0].Value) != "b" {
		t.Fatalf("tags %+v %v", out, err)
	}
	// Updating the alarm leaves its tags alone.
	e.putAlarm("tagged", func(in *sdk.PutMetricAlarmInput) {
		in.Tags = []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}
	})
	if out, _ := e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceARN: aws.String(arn)}); len(out.Tags) != 1 {
		t.Fatalf("tags after update %+v", out.Tags)
	}
	_, err = e.client.ListTagsForResource(e.ctx, &sdk.ListTagsForResourceInput{ResourceARN: aws.String(arn + "-gone")})
	// This shape's member is "Message", which the CBOR client reads case-sensitively:
	// the gateway sends both spellings.
	wantCode(t, err, "ResourceNotFoundException", "does not exist")
	wantType[*types.ResourceNotFoundException](t, err)
	_, err = e.s.ListTagsForResource(e.ctx, &ListTagsForResourceInput{ResourceARN: arn + "-gone"})
	wantCode(t, err, "ResourceNotFoundException", "The resource "+arn+"-gone does not exist.")
}

func FuzzParseRule(f *testing.F) {
	for _, s := range []string{`ALARM("a") AND OK(b)`, `NOT (TRUE OR FALSE)`, `INSUFFICIENT_DATA(arn:aws:cloudwatch:us-east-1:0:alarm:x)`,
		`ALARM("a\"b")`, `((ALARM(a))`, `alarm(a) or ok(b)`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := parseRule(src)
		if err != nil {
			return
		}
		states := map[string]string{}
		for _, a := range n.alarms(nil) {
			if a == "" {
				t.Fatalf("empty alarm name parsed from %q", src)
			}
			states[a] = StateAlarm
		}
		_ = n.eval(func(a string) string { return states[a] })
	})
}
