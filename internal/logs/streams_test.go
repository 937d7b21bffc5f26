package logs

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

func TestLogStreams(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	for _, n := range []string{"web/1", "web/2", "worker/1", "db"} {
		e.stream("g", n)
	}
	_, err := e.client.CreateLogStream(e.ctx, &sdk.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("db")})
	wantType[*types.ResourceAlreadyExistsException](t, err)
	wantCode(t, err, "ResourceAlreadyExistsException", "The specified log stream already exists")
	_, err = e.client.CreateLogStream(e.ctx, &sdk.CreateLogStreamInput{LogGroupName: aws.String("none"), LogStreamName: aws.String("x")})
	wantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	_, err = e.client.CreateLogStream(e.ctx, &sdk.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("a:b")})
	wantCode(t, err, "InvalidParameterException", "Value 'a:b' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*")

	now := e.now()
	e.put("g", "worker/1", []int64{now - 5000, now - 4000}, "w1", "w2")
	e.clock.Advance(time.Second)
	e.put("g", "web/2", []int64{now - 3000}, "a")
	e.put("g", "db", []int64{now - 9000}, "d")

	list := func(in *sdk.DescribeLogStreamsInput) []string {
		t.Helper()
		in.LogGroupName = aws.String("g")
		var got []string
		p := sdk.NewDescribeLogStreamsPaginator(e.client, in)
		for p.HasMorePages() {
			out, err := p.NextPage(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range out.LogStreams {
				got = append(got, aws.ToString(s.LogStreamName))
			}
		}
		return got
	}
	for _, tc := range []struct {
		in   *sdk.DescribeLogStreamsInput
		want []string
	}{
		{&sdk.DescribeLogStreamsInput{}, []string{"db", "web/1", "web/2", "worker/1"}},
		{&sdk.DescribeLogStreamsInput{Limit: aws.Int32(1)}, []string{"db", "web/1", "web/2", "worker/1"}},
		{&sdk.DescribeLogStreamsInput{Descending: aws.Bool(true), Limit: aws.Int32(3)}, []string{"worker/1", "web/2", "web/1", "db"}},
		{&sdk.DescribeLogStreamsInput{LogStreamNamePrefix: aws.String("web/")}, []string{"web/1", "web/2"}},
		// By last event time; web/1 has no events.
		{&sdk.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime, Limit: aws.Int32(2)}, []string{"web/1", "db", "worker/1", "web/2"}},
		{&sdk.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true), Limit: aws.Int32(3)}, []string{"web/2", "worker/1", "db", "web/1"}},
	} {
		if got := list(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("DescribeLogStreams %+v: %v, want %v", *tc.in, got, tc.want)
		}
	}

	out, err := e.client.DescribeLogStreams(e.ctx, &sdk.DescribeLogStreamsInput{
		LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:g"), LogStreamNamePrefix: aws.String("worker/1")})
	if err != nil {
		t.Fatal(err)
	}
	s := out.LogStreams[0]
	if aws.ToString(s.Arn) != "arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:worker/1" ||
		aws.ToInt64(s.FirstEventTimestamp) != now-5000 || aws.ToInt64(s.LastEventTimestamp) != now-4000 ||
		aws.ToInt64(s.LastIngestionTime) != now || aws.ToInt64(s.CreationTime) != now ||
		s.StoredBytes == nil || *s.StoredBytes != 0 || len(aws.ToString(s.UploadSequenceToken)) != 56 {
		t.Fatalf("stream: %+v", s)
	}

	_, err = e.client.DescribeLogStreams(e.ctx, &sdk.DescribeLogStreamsInput{LogGroupName: aws.String("g"), OrderBy: types.OrderByLastEventTime, LogStreamNamePrefix: aws.String("w")})
	wantCode(t, err, "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
	_, err = e.client.DescribeLogStreams(e.ctx, &sdk.DescribeLogStreamsInput{LogGroupName: aws.String("g"), LogGroupIdentifier: aws.String("g")})
	wantCode(t, err, "InvalidParameterException", "mutually exclusive")
	_, err = e.client.DescribeLogStreams(e.ctx, &sdk.DescribeLogStreamsInput{})
	wantCode(t, err, "InvalidParameterException", "either name or ARN")
	_, err = e.client.DescribeLogStreams(e.ctx, &sdk.DescribeLogStreamsInput{LogGroupName: aws.String("nope")})
	wantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	_, err = e.client.DescribeLogStreams(e.ctx, &sdk.DescribeLogStreamsInput{LogGroupName: aws.String("g"), OrderBy: "Size"})
	wantCode(t, err, "InvalidParameterException", "enum value set: [LogStreamName, LastEventTime]")

	// Deleting a stream hides its events, also from a new stream of the same name.
	if _, err := e.client.DeleteLogStream(e.ctx, &sdk.DeleteLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("worker/1")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DeleteLogStream(e.ctx, &sdk.DeleteLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("worker/1")})
	wantCode(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	_, err = e.client.GetLogEvents(e.ctx, &sdk.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("worker/1")})
	wantCode(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	e.stream("g", "worker/1")
	got, err := e.client.FilterLogEvents(e.ctx, &sdk.FilterLogEventsInput{LogGroupName: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	if msgs := messagesOf(got.Events, filtMsg); !slices.Equal(msgs, []string{"d", "a"}) {
		t.Fatalf("events after deleting worker/1: %v", msgs)
	}
}

func TestManyStreamsPagination(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	var want []string
	for i := range 120 {
		n := fmt.Sprintf("s%03d", i)
		e.stream("g", n)
		want = append(want, n)
	}
	var got []string
	p := sdk.NewDescribeLogStreamsPaginator(e.client, &sdk.DescribeLogStreamsInput{LogGroupName: aws.String("g")})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range out.LogStreams {
			got = append(got, aws.ToString(s.LogStreamName))
		}
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("%d pages of %d streams, want 3 pages of 120", pages, len(got))
	}
}
