package logs

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

func inputs(ts []int64, msgs ...string) []InputLogEvent {
	out := make([]InputLogEvent, len(msgs))
	for i := range msgs {
		out[i] = InputLogEvent{Message: &msgs[i], Timestamp: &ts[i]}
	}
	return out
}

func TestAppend(t *testing.T) {
	e := newEnv(t)
	now := e.now()
	err := e.s.Append(e.ctx, "/ecs/app", "web/1", inputs([]int64{now}, "x"), false)
	wantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")

	// Out of order, with a message over AWS's event limit and one of each kind AWS
	// would reject.
	long := strings.Repeat("é", 200_000) // 400,000 bytes
	day := int64(24 * 3600 * 1000)
	evs := inputs([]int64{now - 2, now - 3, now - 1, now - 15*day, now + 3*3600*1000, now},
		"second", "first", long, "too old", "too new", "")
	err = e.s.Append(e.ctx, "/ecs/app", "web/1", evs, true)
	var dropped *DroppedEventsError
	if !errors.As(err, &dropped) || *dropped != (DroppedEventsError{TooOld: 1, TooNew: 1, Empty: 1}) {
		t.Fatalf("Append: %v", err)
	}
	if *evs[2].Message != long {
		t.Fatal("Append modified its input")
	}
	out, err := e.client.GetLogEvents(e.ctx, &sdk.GetLogEventsInput{LogGroupName: aws.String("/ecs/app"), LogStreamName: aws.String("web/1"), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	msgs := messagesOf(out.Events, outMsg)
	if len(msgs) != 3 || msgs[0] != "first" || msgs[1] != "second" {
		t.Fatalf("stored: %.20q", msgs)
	}
	if n := len(msgs[2]); n > maxEventBytes || n < maxEventBytes-1 || !strings.HasPrefix(long, msgs[2]) {
		t.Fatalf("the long message was cut to %d bytes", n)
	}

	// A big input is split into batches within PutLogEvents' limits, across more than
	// 24 hours too.
	var ts []int64
	var many []string
	for i := range 25_000 {
		ts = append(ts, now-13*day+int64(i)*40_000) // 11.5 days
		many = append(many, fmt.Sprintf("line %05d %s", i, strings.Repeat("-", 50)))
	}
	if err := e.s.Append(e.ctx, "/ecs/app", "web/2", inputs(ts, many...), false); err != nil {
		t.Fatal(err)
	}
	var got []string
	p := sdk.NewFilterLogEventsPaginator(e.client, &sdk.FilterLogEventsInput{LogGroupName: aws.String("/ecs/app"), LogStreamNames: []string{"web/2"}})
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, messagesOf(page.Events, filtMsg)...)
	}
	if !slices.Equal(got, many) {
		t.Fatalf("%d of %d events stored in order", len(got), len(many))
	}

	// The group's retention and metric filters apply.
	if _, err := e.client.PutRetentionPolicy(e.ctx, &sdk.PutRetentionPolicyInput{LogGroupName: aws.String("/ecs/app"), RetentionInDays: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if err := e.metricFilter("/ecs/app", "errors", "ERROR", types.MetricTransformation{MetricName: aws.String("Errors"),
		MetricNamespace: aws.String("App"), MetricValue: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	err = e.s.Append(e.ctx, "/ecs/app", "web/1", inputs([]int64{now - 2*day, now}, "ERROR expired", "ERROR kept"), false)
	if !errors.As(err, &dropped) || *dropped != (DroppedEventsError{Expired: 1}) {
		t.Fatalf("Append with retention: %v", err)
	}
	if m := e.sink.metrics("App"); len(m) != 1 || !m[0].Timestamp.Equal(time.UnixMilli(now)) {
		t.Fatalf("metric filter data: %+v", m)
	}
	err = e.s.Append(e.ctx, "bad name", "s", nil, true)
	wantCode(t, err, "InvalidParameterException", "logGroupName")
}
