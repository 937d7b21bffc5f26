package cloudwatch

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
)

// TestAWSCLI drives CloudWatch with the installed aws CLI (botocore), which speaks
// awsJson1_0 to it and reads the awsQuery codes from x-amzn-query-error.
func TestAWSCLI(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(time.Hour)
	cli := gatewaytest.NewAWSCLI(t, e.url, "AKIDCLI", "secret")
	run := func(fail bool, args ...string) string {
		t.Helper()
		return cli.Expect(t, fail, append([]string{"cloudwatch"}, args...)...)
	}
	at := t0.Add(5 * time.Minute).Format(time.RFC3339)
	run(false, "put-metric-data", "--namespace", "CLI", "--metric-name", "Requests", "--value", "5", "--unit", "Count",
		"--dimensions", "Service=web", "--timestamp", at)
	run(false, "put-metric-data", "--namespace", "CLI", "--metric-data",
		`[{"MetricName":"Requests","Dimensions":[{"Name":"Service","Value":"web"}],"Timestamp":"`+at+`","Unit":"Count",
		  "StatisticValues":{"SampleCount":3,"Sum":30,"Minimum":5,"Maximum":15}}]`)
	out := run(false, "get-metric-statistics", "--namespace", "CLI", "--metric-name", "Requests", "--dimensions", "Name=Service,Value=web",
		"--start-time", t0.Format(time.RFC3339), "--end-time", t0.Add(time.Hour).Format(time.RFC3339), "--period", "300",
		"--statistics", "Sum", "SampleCount", "Maximum")
	var stats struct {
		Label      string
		Datapoints []struct {
			Timestamp                 float64
			Sum, SampleCount, Maximum float64
			Unit                      string
		}
	}
	if err := json.Unmarshal([]byte(out), &stats); err != nil {
		t.Fatalf("get-metric-statistics output %q: %v", out, err)
	}
	if stats.Label != "Requests" || len(stats.Datapoints) != 1 {
		t.Fatalf("get-metric-statistics: %+v", stats)
	}
	dp := stats.Datapoints[0]
	if dp.Sum != 35 || dp.SampleCount != 4 || dp.Maximum != 15 || dp.Unit != "Count" || int64(dp.Timestamp) != t0.Add(5*time.Minute).Unix() {
		t.Fatalf("datapoint %+v", dp)
	}
	run(false, "put-metric-alarm", "--alarm-name", "cli-alarm", "--namespace", "CLI", "--metric-name", "Requests",
		"--statistic", "Sum", "--period", "60", "--evaluation-periods", "2", "--threshold", "100",
		"--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "notBreaching",
		"--alarm-actions", "arn:aws:sns:us-east-1:000000000000:ops", "--tags", "Key=team,Value=web")
	run(false, "set-alarm-state", "--alarm-name", "cli-alarm", "--state-value", "ALARM", "--state-reason", "drill")
	out = run(false, "describe-alarms", "--alarm-names", "cli-alarm")
	var alarms struct {
		MetricAlarms []struct {
			AlarmName, StateValue, StateReason, TreatMissingData, AlarmArn string
			Threshold                                                      float64
			AlarmActions                                                   []string
		}
		CompositeAlarms []any
	}
	if err := json.Unmarshal([]byte(out), &alarms); err != nil {
		t.Fatalf("describe-alarms output %q: %v", out, err)
	}
	if len(alarms.MetricAlarms) != 1 {
		t.Fatalf("describe-alarms: %s", out)
	}
	a := alarms.MetricAlarms[0]
	if a.StateValue != "ALARM" || a.StateReason != "drill" || a.Threshold != 100 || a.TreatMissingData != "notBreaching" ||
		a.AlarmArn != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cli-alarm" || len(a.AlarmActions) != 1 {
		t.Fatalf("alarm %+v", a)
	}
	out = run(false, "describe-alarm-history", "--alarm-name", "cli-alarm", "--history-item-type", "StateUpdate")
	if !strings.Contains(out, "Alarm updated from INSUFFICIENT_DATA to ALARM") {
		t.Fatalf("history: %s", out)
	}
	out = run(false, "list-tags-for-resource", "--resource-arn", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cli-alarm")
	if !strings.Contains(out, `"Key": "team"`) {
		t.Fatalf("tags: %s", out)
	}
	// Errors: the awsQuery codes and AWS's messages.
	stderr := run(true, "put-metric-data", "--namespace", "AWS/EC2", "--metric-name", "x", "--value", "1")
	if !strings.Contains(stderr, "(InvalidParameterValue)") || !strings.Contains(stderr, "The value AWS/EC2 for parameter Namespace is invalid.") {
		t.Fatalf("AWS/ namespace: %s", stderr)
	}
	stderr = run(true, "get-metric-statistics", "--namespace", "CLI", "--metric-name", "Requests", "--start-time", t0.Format(time.RFC3339),
		"--end-time", t0.Add(time.Hour).Format(time.RFC3339), "--period", "1", "--statistics", "Sum")
	if !strings.Contains(stderr, "(InvalidParameterCombination)") || !strings.Contains(stderr, "exceeds the limit of 1440") {
		t.Fatalf("too many datapoints: %s", stderr)
	}
	stderr = run(true, "set-alarm-state", "--alarm-name", "missing", "--state-value", "OK", "--state-reason", "x")
	if !strings.Contains(stderr, "(ResourceNotFound)") || !strings.Contains(stderr, "Alarm missing not found") {
		t.Fatalf("missing alarm: %s", stderr)
	}
	stderr = run(true, "list-tags-for-resource", "--resource-arn", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:missing")
	if !strings.Contains(stderr, "(ResourceNotFoundException)") || !strings.Contains(stderr, "does not exist") {
		t.Fatalf("missing resource: %s", stderr)
	}
}
