package cloudwatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
)

// queryCall sends an awsQuery request, signed with SigV4 as the older clients
// (aws-sdk-go-v2 cloudwatch ≤ v1.52, aws CLI v2.9) send it, and returns the status
// and body.
func queryCall(t *testing.T, endpoint string, params url.Values) (int, []byte) {
	t.Helper()
	params.Set("Version", "2010-08-01")
	body := params.Encode()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: gatewaytest.TestKeyID, SecretAccessKey: gatewaytest.TestSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "monitoring", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

type queryError struct {
	Error struct {
		Type, Code, Message string
	}
}

func TestQueryProtocol(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(time.Hour)
	at := t0.Add(5 * time.Minute).Format(time.RFC3339)
	status, body := queryCall(t, e.url, url.Values{"Action": {"PutMetricData"}, "Namespace": {"Query"},
		"MetricData.member.1.MetricName": {"Latency"}, "MetricData.member.1.Timestamp": {at}, "MetricData.member.1.Unit": {"Milliseconds"},
		"MetricData.member.1.Dimensions.member.1.Name": {"Service"}, "MetricData.member.1.Dimensions.member.1.Value": {"web"},
		"MetricData.member.1.Values.member.1": {"10"}, "MetricData.member.1.Values.member.2": {"20"},
		"MetricData.member.1.Counts.member.1": {"1"}, "MetricData.member.1.Counts.member.2": {"3"},
		"MetricData.member.2.MetricName": {"Latency"}, "MetricData.member.2.Timestamp": {at}, "MetricData.member.2.Unit": {"Milliseconds"},
		"MetricData.member.2.Dimensions.member.1.Name": {"Service"}, "MetricData.member.2.Dimensions.member.1.Value": {"web"},
		"MetricData.member.2.StatisticValues.SampleCount": {"2"}, "MetricData.member.2.StatisticValues.Sum": {"60"},
		"MetricData.member.2.StatisticValues.Minimum": {"30"}, "MetricData.member.2.StatisticValues.Maximum": {"30"}})
	if status != 200 || !strings.Contains(string(body), "<PutMetricDataResponse") {
		t.Fatalf("PutMetricData: %d %s", status, body)
	}
	status, body = queryCall(t, e.url, url.Values{"Action": {"GetMetricStatistics"}, "Namespace": {"Query"}, "MetricName": {"Latency"},
		"Dimensions.member.1.Name": {"Service"}, "Dimensions.member.1.Value": {"web"},
		"StartTime": {t0.Format(time.RFC3339)}, "EndTime": {t0.Add(time.Hour).Format(time.RFC3339)}, "Period": {"3600"},
		"ExtendedStatistics.member.1": {"p100"}, "ExtendedStatistics.member.2": {"p0"}})
	if status != 200 {
		t.Fatalf("GetMetricStatistics: %d %s", status, body)
	}
	var stats struct {
		XMLName xml.Name `xml:"GetMetricStatisticsResponse"`
		Result  struct {
			Label      string
			Datapoints []struct {
				Timestamp string
				Unit      string
				Entries   []struct {
					Key   string  `xml:"key"`
					Value float64 `xml:"value"`
				} `xml:"ExtendedStatistics>entry"`
			} `xml:"Datapoints>member"`
		} `xml:"GetMetricStatisticsResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(body, &stats); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	if !strings.Contains(string(body), `xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"`) || stats.RequestID == "" {
		t.Errorf("response envelope: %s", body)
	}
	if len(stats.Result.Datapoints) != 1 || stats.Result.Datapoints[0].Timestamp != "2025-06-01T12:00:00.000Z" ||
		stats.Result.Datapoints[0].Unit != "Milliseconds" || len(stats.Result.Datapoints[0].Entries) != 2 {
		t.Fatalf("datapoints: %s", body)
	}
	for _, en := range stats.Result.Datapoints[0].Entries {
		if en.Key == "p100" && en.Value != 30 || en.Key == "p0" && en.Value != 10 {
			t.Errorf("%s = %v", en.Key, en.Value)
		}
	}
	// A math alarm through the query protocol, then DescribeAlarms.
	status, body = queryCall(t, e.url, url.Values{"Action": {"PutMetricAlarm"}, "AlarmName": {"q-alarm"},
		"EvaluationPeriods": {"1"}, "Threshold": {"1"}, "ComparisonOperator": {"GreaterThanThreshold"},
		"Metrics.member.1.Id": {"m1"}, "Metrics.member.1.ReturnData": {"false"},
		"Metrics.member.1.MetricStat.Metric.Namespace": {"Query"}, "Metrics.member.1.MetricStat.Metric.MetricName": {"Latency"},
		"Metrics.member.1.MetricStat.Period": {"60"}, "Metrics.member.1.MetricStat.Stat": {"Average"},
		"Metrics.member.2.Id": {"e1"}, "Metrics.member.2.Expression": {"m1 / 1000"}, "Metrics.member.2.ReturnData": {"true"},
		"AlarmActions.member.1": {"arn:aws:sns:us-east-1:000000000000:ops"}})
	if status != 200 {
		t.Fatalf("PutMetricAlarm: %d %s", status, body)
	}
	status, body = queryCall(t, e.url, url.Values{"Action": {"DescribeAlarms"}, "AlarmNames.member.1": {"q-alarm"}})
	var alarms struct {
		Alarms []struct {
			AlarmName, StateValue string
			Metrics               []struct {
				Id         string
				Expression string
				ReturnData bool
			} `xml:"Metrics>member"`
			AlarmActions []string `xml:"AlarmActions>member"`
		} `xml:"DescribeAlarmsResult>MetricAlarms>member"`
	}
	if err := xml.Unmarshal(body, &alarms); err != nil || status != 200 {
		t.Fatalf("DescribeAlarms %d %s: %v", status, body, err)
	}
	if len(alarms.Alarms) != 1 || alarms.Alarms[0].StateValue != "INSUFFICIENT_DATA" || len(alarms.Alarms[0].Metrics) != 2 ||
		alarms.Alarms[0].Metrics[1].Expression != "m1 / 1000" || !alarms.Alarms[0].Metrics[1].ReturnData || len(alarms.Alarms[0].AlarmActions) != 1 {
		t.Fatalf("alarm: %s", body)
	}
	// Errors carry the awsQuery codes.
	errs := []struct {
		name   string
		params url.Values
		status int
		code   string
		msg    string
	}{
		{"AWS namespace", url.Values{"Action": {"PutMetricData"}, "Namespace": {"AWS/EC2"}, "MetricData.member.1.MetricName": {"x"}, "MetricData.member.1.Value": {"1"}},
			400, "InvalidParameterValue", "The value AWS/EC2 for parameter Namespace is invalid."},
		{"missing name", url.Values{"Action": {"PutMetricData"}, "Namespace": {"Q"}, "MetricData.member.1.Value": {"1"}},
			400, "MissingParameter", "The parameter MetricData.member.1.MetricName is required."},
		{"both values", url.Values{"Action": {"PutMetricData"}, "Namespace": {"Q"}, "MetricData.member.1.MetricName": {"x"},
			"MetricData.member.1.Value": {"1"}, "MetricData.member.1.Values.member.1": {"1"}},
			400, "InvalidParameterCombination", "mutually exclusive"},
		{"unknown alarm", url.Values{"Action": {"SetAlarmState"}, "AlarmName": {"nope"}, "StateValue": {"OK"}, "StateReason": {"x"}},
			404, "ResourceNotFound", "Alarm nope not found"},
		{"bad expression", url.Values{"Action": {"GetMetricData"}, "StartTime": {t0.Format(time.RFC3339)}, "EndTime": {t0.Add(time.Hour).Format(time.RFC3339)},
			"MetricDataQueries.member.1.Id": {"e1"}, "MetricDataQueries.member.1.Expression": {"2 +"}},
			400, "ValidationError", "Error in expression e1: Unexpected end of expression at position 4"},
		{"bad period", url.Values{"Action": {"PutMetricAlarm"}, "AlarmName": {"x"}, "Namespace": {"Q"}, "MetricName": {"M"}, "Statistic": {"Sum"},
			"Period": {"45"}, "EvaluationPeriods": {"1"}, "Threshold": {"1"}, "ComparisonOperator": {"GreaterThanThreshold"}},
			400, "ValidationError", "alarm periods are 10, 20, 30 or a multiple of 60"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			status, body := queryCall(t, e.url, tc.params)
			var qe queryError
			if err := xml.Unmarshal(body, &qe); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			if status != tc.status || qe.Error.Code != tc.code || qe.Error.Type != "Sender" || !strings.Contains(qe.Error.Message, tc.msg) {
				t.Fatalf("%d %s", status, body)
			}
		})
	}
}
