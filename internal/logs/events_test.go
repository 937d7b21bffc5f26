package logs

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

func events(ts []int64, msgs ...string) []types.InputLogEvent {
	out := make([]types.InputLogEvent, len(msgs))
	for i, m := range msgs {
		out[i] = types.InputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(ts[i])}
	}
	return out
}

func TestPutLogEventsValidation(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	e.stream("g", "s")
	now := e.now()
	put := func(evs []types.InputLogEvent) (*sdk.PutLogEventsOutput, error) {
		return e.client.PutLogEvents(e.ctx, &sdk.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: evs})
	}
	big := strings.Repeat("x", 100_000)
	bigBatch := make([]types.InputLogEvent, 11)
	for i := range bigBatch {
		bigBatch[i] = types.InputLogEvent{Message: aws.String(big), Timestamp: aws.Int64(now)}
	}
	tooMany := make([]types.InputLogEvent, 10_001)
	for i := range tooMany {
		tooMany[i] = types.InputLogEvent{Message: aws.String("m"), Timestamp: aws.Int64(now)}
	}
	for _, tc := range []struct {
		name string
		evs  []types.InputLogEvent
		msg  string
	}{
		{"out of order", events([]int64{now, now - 1}, "a", "b"), "Log events in a single PutLogEvents request must be in chronological order."},
		{"over 24 hours", events([]int64{now - 25*3600*1000, now}, "a", "b"), "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."},
		{"over 1 MiB", bigBatch, "Upload too large: 1100286 bytes exceeds limit of 1048576"},
		{"too many", tooMany, "Member must have length less than or equal to 10000"},
		{"empty message", events([]int64{now, now}, "a", ""), "Value '' at 'logEvents.2.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"negative time", events([]int64{-1}, "a"), "at 'logEvents.1.member.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"event too large", events([]int64{now}, strings.Repeat("y", 262_119)), "Log event too large: 262145 bytes exceeds limit of 262144"},
	} {
		_, err := put(tc.evs)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		wantType[*types.InvalidParameterException](t, err)
		wantCode(t, err, "InvalidParameterException", tc.msg)
	}
	// Exactly at the limits is fine: 1,048,576 bytes counting 26 per event, 24 hours.
	exact := []types.InputLogEvent{
		{Message: aws.String(strings.Repeat("z", 262_118)), Timestamp: aws.Int64(now - 24*3600*1000)},
		{Message: aws.String(strings.Repeat("z", 262_118)), Timestamp: aws.Int64(now)},
		{Message: aws.String(strings.Repeat("z", 262_118)), Timestamp: aws.Int64(now)},
		{Message: aws.String(strings.Repeat("z", 1_048_576-3*262_144-26)), Timestamp: aws.Int64(now)},
	}
	if _, err := put(exact); err != nil {
		t.Fatalf("a batch at the limits: %v", err)
	}

	_, err := e.client.PutLogEvents(e.ctx, &sdk.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("nope"), LogEvents: events([]int64{now}, "a")})
	wantType[*types.ResourceNotFoundException](t, err)
	wantCode(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	_, err = e.client.PutLogEvents(e.ctx, &sdk.PutLogEventsInput{LogGroupName: aws.String("nope"), LogStreamName: aws.String("s"), LogEvents: events([]int64{now}, "a")})
	wantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	// The sequence token is ignored, as AWS does today.
	out, err := e.client.PutLogEvents(e.ctx, &sdk.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: events([]int64{now}, "a"), SequenceToken: aws.String("49590000000000000000000000000000000000000000000000000000")})
	if err != nil || len(aws.ToString(out.NextSequenceToken)) != 56 {
		t.Fatalf("with a stale sequence token: %v %+v", err, out)
	}
}

func TestPutLogEventsRejectedEvents(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	e.stream("g", "s")
	now := e.now()
	day, hour := int64(24*3600*1000), int64(3600*1000)
	put := func(ts []int64, msgs ...string) *types.RejectedLogEventsInfo {
		t.Helper()
		out, err := e.client.PutLogEvents(e.ctx, &sdk.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: events(ts, msgs...)})
		if err != nil {
			t.Fatal(err)
		}
		return out.RejectedLogEventsInfo
	}
	if r := put([]int64{now - 14*day - 2*hour, now - 14*day - hour, now - 14*day + hour}, "old1", "old2", "ok1"); r == nil ||
		aws.ToInt32(r.TooOldLogEventEndIndex) != 1 || r.TooNewLogEventStartIndex != nil || r.ExpiredLogEventEndIndex != nil {
		t.Fatalf("too old: %+v", r)
	}
	if r := put([]int64{now - 1, now + hour, now + 3*hour, now + 4*hour}, "ok2", "ok3", "new1", "new2"); r == nil ||
		aws.ToInt32(r.TooNewLogEventStartIndex) != 2 || r.TooOldLogEventEndIndex != nil || r.ExpiredLogEventEndIndex != nil {
		t.Fatalf("too new: %+v", r)
	}
	// With a 1-day retention, an event of a day and a millisecond ago has expired.
	if _, err := e.client.PutRetentionPolicy(e.ctx, &sdk.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if r := put([]int64{now - day - 1, now - 2*hour}, "expired", "ok4"); r == nil ||
		aws.ToInt32(r.ExpiredLogEventEndIndex) != 0 || r.TooOldLogEventEndIndex != nil || r.TooNewLogEventStartIndex != nil {
		t.Fatalf("expired: %+v", r)
	}
	got, err := e.client.GetLogEvents(e.ctx, &sdk.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	// ok1 (14 days old) has expired by now too.
	if msgs := messagesOf(got.Events, outMsg); !slices.Equal(msgs, []string{"ok4", "ok2", "ok3"}) {
		t.Fatalf("stored: %v", msgs)
	}
}

func TestGetLogEventsTokens(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	e.stream("g", "s")
	e.stream("g", "other")
	base := e.now() - 100_000
	var all []string
	for i := range 25 {
		all = append(all, fmt.Sprintf("m%02d", i))
	}
	e.put("g", "s", times(base, 25, 1000), all...)
	e.put("g", "other", times(base, 3, 1), "x", "y", "z")
	get := func(in *sdk.GetLogEventsInput) *sdk.GetLogEventsOutput {
		t.Helper()
		in.LogGroupName, in.LogStreamName = aws.String("g"), aws.String("s")
		out, err := e.client.GetLogEvents(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// From the head, forward, until the same token comes back.
	var got []string
	out := get(&sdk.GetLogEventsInput{StartFromHead: aws.Bool(true), Limit: aws.Int32(10)})
	got = append(got, messagesOf(out.Events, outMsg)...)
	calls := 1
	for {
		tok := out.NextForwardToken
		out = get(&sdk.GetLogEventsInput{NextToken: tok, Limit: aws.Int32(10)})
		calls++
		got = append(got, messagesOf(out.Events, outMsg)...)
		if aws.ToString(out.NextForwardToken) == aws.ToString(tok) {
			if len(out.Events) != 0 {
				t.Fatal("the same forward token came back with events")
			}
			break
		}
		if calls > 10 {
			t.Fatal("the forward token never repeats")
		}
	}
	if !slices.Equal(got, all) || calls != 4 {
		t.Fatalf("forward: %v in %d calls", got, calls)
	}
	// New events show up on the repeated token.
	end := out.NextForwardToken
	e.put("g", "s", []int64{base + 30_000}, "late")
	out = get(&sdk.GetLogEventsInput{NextToken: end})
	if msgs := messagesOf(out.Events, outMsg); !slices.Equal(msgs, []string{"late"}) {
		t.Fatalf("after new events: %v", msgs)
	}
	all = append(all, "late")

	// The default is the newest events, then backward pages to the head.
	out = get(&sdk.GetLogEventsInput{Limit: aws.Int32(10)})
	if msgs := messagesOf(out.Events, outMsg); !slices.Equal(msgs, all[16:]) {
		t.Fatalf("newest: %v", msgs)
	}
	var back [][]string
	for i := 0; ; i++ {
		tok := out.NextBackwardToken
		out = get(&sdk.GetLogEventsInput{NextToken: tok, Limit: aws.Int32(10)})
		if aws.ToString(out.NextBackwardToken) == aws.ToString(tok) {
			break
		}
		back = append(back, messagesOf(out.Events, outMsg))
		if i > 5 {
			t.Fatal("the backward token never repeats")
		}
	}
	if len(back) != 2 || !slices.Equal(back[0], all[6:16]) || !slices.Equal(back[1], all[:6]) {
		t.Fatalf("backward pages: %v", back)
	}
	// A backward page's forward token continues after it.
	out = get(&sdk.GetLogEventsInput{NextToken: positionToken('b', evKey{base + 5000, 1 << 62}), Limit: aws.Int32(2)})
	fwd := get(&sdk.GetLogEventsInput{NextToken: out.NextForwardToken, Limit: aws.Int32(2)})
	if a, b := messagesOf(out.Events, outMsg), messagesOf(fwd.Events, outMsg); !slices.Equal(a, []string{"m04", "m05"}) || !slices.Equal(b, []string{"m06", "m07"}) {
		t.Fatalf("backward then forward: %v %v", a, b)
	}

	// Time range: startTime inclusive, endTime exclusive.
	out = get(&sdk.GetLogEventsInput{StartTime: aws.Int64(base + 3000), EndTime: aws.Int64(base + 6000), StartFromHead: aws.Bool(true)})
	if msgs := messagesOf(out.Events, outMsg); !slices.Equal(msgs, []string{"m03", "m04", "m05"}) {
		t.Fatalf("range: %v", msgs)
	}
	ev := out.Events[0]
	if aws.ToInt64(ev.Timestamp) != base+3000 || aws.ToInt64(ev.IngestionTime) != e.now() {
		t.Fatalf("event: %+v", ev)
	}
	// An empty range still returns both tokens, and paging from them works.
	out = get(&sdk.GetLogEventsInput{StartTime: aws.Int64(base - 10_000), EndTime: aws.Int64(base - 5000)})
	if len(out.Events) != 0 || out.NextForwardToken == nil || out.NextBackwardToken == nil {
		t.Fatalf("empty range: %+v", out)
	}

	// The SDK's paginator stops on the repeated token.
	p := sdk.NewGetLogEventsPaginator(e.client, &sdk.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		StartFromHead: aws.Bool(true), Limit: aws.Int32(7)}, func(o *sdk.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	var paged []string
	for pages := 0; p.HasMorePages(); pages++ {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, messagesOf(out.Events, outMsg)...)
		if pages > 10 {
			t.Fatal("the paginator does not stop")
		}
	}
	if !slices.Equal(paged, all) {
		t.Fatalf("paginator: %v", paged)
	}

	for _, tc := range []struct {
		in  *sdk.GetLogEventsInput
		msg string
	}{
		{&sdk.GetLogEventsInput{NextToken: aws.String("f/123")}, "The specified nextToken is invalid."},
		{&sdk.GetLogEventsInput{Limit: aws.Int32(10_001)}, "Member must have value less than or equal to 10000"},
		{&sdk.GetLogEventsInput{StartTime: aws.Int64(10), EndTime: aws.Int64(5)}, "startTime must be less than or equal to endTime"},
	} {
		tc.in.LogGroupName, tc.in.LogStreamName = aws.String("g"), aws.String("s")
		_, err := e.client.GetLogEvents(e.ctx, tc.in)
		wantCode(t, err, "InvalidParameterException", tc.msg)
	}
}

func TestGetLogEventsResponseLimit(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	e.stream("g", "s")
	now := e.now()
	// 12 events of 100,000 bytes: the 1 MB response holds 10 of them.
	for i := range 3 {
		msgs := make([]string, 4)
		for j := range msgs {
			msgs[j] = fmt.Sprintf("%02d", i*4+j) + strings.Repeat(".", 99_998)
		}
		e.put("g", "s", times(now-1000+int64(i*4), 4, 1), msgs...)
	}
	out, err := e.client.GetLogEvents(e.ctx, &sdk.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 10 || !strings.HasPrefix(aws.ToString(out.Events[9].Message), "09") {
		t.Fatalf("%d events in the first response", len(out.Events))
	}
	out, err = e.client.GetLogEvents(e.ctx, &sdk.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 10 || !strings.HasPrefix(aws.ToString(out.Events[0].Message), "02") {
		t.Fatalf("the newest response starts at %.2s", aws.ToString(out.Events[0].Message))
	}
}

func TestFilterLogEvents(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	for _, s := range []string{"api/1", "api/2", "worker"} {
		e.stream("g", s)
	}
	base := e.now() - 60_000
	e.put("g", "api/1", []int64{base + 1, base + 4, base + 7}, `{"level":"error","latency":250}`, "GET / 200", "ERROR disk full")
	e.put("g", "api/2", []int64{base + 2, base + 5}, `{"level":"info","latency":20}`, "GET /x 404")
	e.put("g", "worker", []int64{base + 3, base + 6}, "ERROR timeout", `{"level":"error","latency":900}`)

	filter := func(in *sdk.FilterLogEventsInput) *sdk.FilterLogEventsOutput {
		t.Helper()
		if in.LogGroupIdentifier == nil {
			in.LogGroupName = aws.String("g")
		}
		out, err := e.client.FilterLogEvents(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range []struct {
		in   *sdk.FilterLogEventsInput
		want []string
	}{
		{&sdk.FilterLogEventsInput{}, []string{`{"level":"error","latency":250}`, `{"level":"info","latency":20}`, "ERROR timeout", "GET / 200", "GET /x 404", `{"level":"error","latency":900}`, "ERROR disk full"}},
		{&sdk.FilterLogEventsInput{FilterPattern: aws.String("ERROR")}, []string{"ERROR timeout", "ERROR disk full"}},
		{&sdk.FilterLogEventsInput{FilterPattern: aws.String(`{ $.level = "error" && $.latency > 200 }`)}, []string{`{"level":"error","latency":250}`, `{"level":"error","latency":900}`}},
		{&sdk.FilterLogEventsInput{FilterPattern: aws.String(`[method, path, status = 4*]`)}, []string{"GET /x 404"}},
		{&sdk.FilterLogEventsInput{FilterPattern: aws.String(`?timeout ?disk`)}, []string{"ERROR timeout", "ERROR disk full"}},
		{&sdk.FilterLogEventsInput{LogStreamNames: []string{"api/2", "worker", "missing"}}, []string{`{"level":"info","latency":20}`, "ERROR timeout", "GET /x 404", `{"level":"error","latency":900}`}},
		{&sdk.FilterLogEventsInput{LogStreamNamePrefix: aws.String("api/"), FilterPattern: aws.String("GET")}, []string{"GET / 200", "GET /x 404"}},
		{&sdk.FilterLogEventsInput{StartTime: aws.Int64(base + 3), EndTime: aws.Int64(base + 5)}, []string{"ERROR timeout", "GET / 200", "GET /x 404"}},
		{&sdk.FilterLogEventsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:g"), FilterPattern: aws.String("disk")}, []string{"ERROR disk full"}},
	} {
		out := filter(tc.in)
		if got := messagesOf(out.Events, filtMsg); !slices.Equal(got, tc.want) {
			t.Errorf("FilterLogEvents %+v: %v, want %v", *tc.in, got, tc.want)
		}
	}
	out := filter(&sdk.FilterLogEventsInput{FilterPattern: aws.String("timeout")})
	ev := out.Events[0]
	if aws.ToString(ev.LogStreamName) != "worker" || aws.ToInt64(ev.Timestamp) != base+3 || aws.ToInt64(ev.IngestionTime) != e.now() || len(aws.ToString(ev.EventId)) != 56 {
		t.Fatalf("event: %+v", ev)
	}
	if out.NextToken != nil || len(out.SearchedLogStreams) != 3 || aws.ToString(out.SearchedLogStreams[0].LogStreamName) != "api/1" || !aws.ToBool(out.SearchedLogStreams[2].SearchedCompletely) {
		t.Fatalf("searched streams %+v, token %v", out.SearchedLogStreams, out.NextToken)
	}
	if again := filter(&sdk.FilterLogEventsInput{FilterPattern: aws.String("timeout")}); aws.ToString(again.Events[0].EventId) != aws.ToString(ev.EventId) {
		t.Fatal("event ids change between calls")
	}

	for _, tc := range []struct {
		in   *sdk.FilterLogEventsInput
		code string
		msg  string
	}{
		{&sdk.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String("a:b")}, "InvalidParameterException", "Invalid character(s) in term ':'"},
		{&sdk.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String("{ $.a = 1")}, "InvalidParameterException", "If a filter pattern starts with '{' it must end with '}'"},
		{&sdk.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String(strings.Repeat("a", 1025))}, "InvalidParameterException", "Member must have length less than or equal to 1024"},
		{&sdk.FilterLogEventsInput{LogGroupName: aws.String("g"), LogStreamNames: []string{"a"}, LogStreamNamePrefix: aws.String("a")}, "InvalidParameterException", "You cannot specify both logStreamNames and logStreamNamePrefix."},
		{&sdk.FilterLogEventsInput{LogGroupName: aws.String("g"), NextToken: aws.String("bad")}, "InvalidParameterException", "The specified nextToken is invalid."},
		{&sdk.FilterLogEventsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(0)}, "InvalidParameterException", "greater than or equal to 1"},
		{&sdk.FilterLogEventsInput{LogGroupName: aws.String("nope")}, "ResourceNotFoundException", "The specified log group does not exist."},
	} {
		_, err := e.client.FilterLogEvents(e.ctx, tc.in)
		wantCode(t, err, tc.code, tc.msg)
	}
}

// TestFilterLogEventsPagination pages through events while more arrive, in the past
// and the future of the pages already read: no page repeats or skips an event that
// existed when the search began, and a new search finds the rest.
func TestFilterLogEventsPagination(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	e.stream("g", "a")
	e.stream("g", "b")
	base := e.now() - 600_000
	var want []string
	for i := range 50 {
		msg := fmt.Sprintf("event %02d", i)
		e.put("g", []string{"a", "b"}[i%2], []int64{base + int64(i)*1000}, msg)
		want = append(want, msg)
	}
	var got []string
	in := &sdk.FilterLogEventsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(7), FilterPattern: aws.String("event")}
	added := 0
	for page := 0; ; page++ {
		out, err := e.client.FilterLogEvents(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, messagesOf(out.Events, filtMsg)...)
		if (out.NextToken != nil) == aws.ToBool(out.SearchedLogStreams[0].SearchedCompletely) {
			t.Fatalf("page %d: token %v but searchedCompletely %v", page, out.NextToken, *out.SearchedLogStreams[0].SearchedCompletely)
		}
		// Meanwhile events arrive before, among and after the ones read so far.
		e.put("g", "a", []int64{base - 1000 - int64(page)}, fmt.Sprintf("event past %d", page))
		e.put("g", "b", []int64{base + 25_500}, fmt.Sprintf("event middle %d", page))
		e.put("g", "a", []int64{base + 100_000 + int64(page)}, fmt.Sprintf("event future %d", page))
		added += 3
		if out.NextToken == nil {
			break
		}
		if page > 20 {
			t.Fatal("pagination does not end")
		}
		in.NextToken = out.NextToken
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages returned %d events:\n%v\nwant\n%v", len(got), got, want)
	}
	// A new search, through the SDK's paginator, sees everything.
	p := sdk.NewFilterLogEventsPaginator(e.client, &sdk.FilterLogEventsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(9)})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Events)
	}
	if n != 50+added {
		t.Fatalf("a new search found %d events, want %d", n, 50+added)
	}
}
