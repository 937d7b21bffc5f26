package cloudtrail

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

type ecsDescribeClustersInput struct {
	Clusters []string `json:"clusters,omitempty"`
}

type ecsCreateClusterOutput struct {
	Cluster struct {
		ClusterArn string `json:"clusterArn"`
	} `json:"cluster"`
}

// seed records a known mix of calls; it returns the id of the first event.
func seed(e *env) string {
	clusterARN := "arn:aws:ecs:us-east-1:000000000000:cluster/prod"
	out := &ecsCreateClusterOutput{}
	out.Cluster.ClusterArn = clusterARN
	calls := []awsapi.Call{
		{Service: "ecs", Operation: "CreateCluster", Principal: rootP, Output: out},
		{Service: "ecs", Operation: "DescribeClusters", Principal: aliceP, ReadOnly: true, Input: &ecsDescribeClustersInput{Clusters: []string{clusterARN}}},
		{Service: "ssm", Operation: "GetParameter", Principal: roleP, ReadOnly: true, Input: &ssmGetParameterInput{Name: aws.String("/app/web/db")}},
		{Service: "ssm", Operation: "GetParameter", Principal: aliceP, ReadOnly: true, Input: &ssmGetParameterInput{Name: aws.String("/app/other")},
			Err: &awsapi.Error{Code: "AccessDeniedException", Message: "denied"}},
		{Service: "monitoring", Operation: "PutMetricData", Principal: roleP},
	}
	for i, c := range calls {
		c.Time = t0.Add(-time.Hour + time.Duration(i)*time.Minute)
		e.s.Record(c)
	}
	e.flush()
	evs, err := e.s.LookupEvents(e.ctx, &LookupEventsInput{})
	if err != nil || len(evs.Events) != len(calls) {
		e.t.Fatalf("seed: %v, %d events", err, len(evs.Events))
	}
	return *evs.Events[len(evs.Events)-1].EventId
}

func TestLookupAttributes(t *testing.T) {
	e := newEnv(t)
	firstID := seed(e)
	tests := []struct {
		key   types.LookupAttributeKey
		value string
		want  []string // event names, newest first
	}{
		{types.LookupAttributeKeyEventId, firstID, []string{"CreateCluster"}},
		{types.LookupAttributeKeyEventName, "GetParameter", []string{"GetParameter", "GetParameter"}},
		{types.LookupAttributeKeyReadOnly, "true", []string{"GetParameter", "GetParameter", "DescribeClusters"}},
		{types.LookupAttributeKeyReadOnly, "false", []string{"PutMetricData", "CreateCluster"}},
		{types.LookupAttributeKeyUsername, "alice", []string{"GetParameter", "DescribeClusters"}},
		{types.LookupAttributeKeyUsername, "task-1", []string{"PutMetricData", "GetParameter"}},
		{types.LookupAttributeKeyUsername, "root", []string{"CreateCluster"}},
		{types.LookupAttributeKeyEventSource, "monitoring.amazonaws.com", []string{"PutMetricData"}},
		{types.LookupAttributeKeyEventSource, "ecs.amazonaws.com", []string{"DescribeClusters", "CreateCluster"}},
		{types.LookupAttributeKeyAccessKeyId, "ASIAWEB00000", []string{"PutMetricData", "GetParameter"}},
		{types.LookupAttributeKeyResourceType, "AWS::ECS::Cluster", []string{"DescribeClusters", "CreateCluster"}},
		{types.LookupAttributeKeyResourceType, "AWS::SSM::Parameter", []string{"GetParameter", "GetParameter"}},
		{types.LookupAttributeKeyResourceName, "arn:aws:ssm:us-east-1:000000000000:parameter/app/web/db", []string{"GetParameter"}},
		{types.LookupAttributeKeyEventName, "NoSuchCall", nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s=%s", tc.key, tc.value), func(t *testing.T) {
			out, err := e.client.LookupEvents(e.ctx, &ct.LookupEventsInput{
				LookupAttributes: []types.LookupAttribute{{AttributeKey: tc.key, AttributeValue: aws.String(tc.value)}},
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range out.Events {
				got = append(got, aws.ToString(ev.EventName))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLookupEventFields(t *testing.T) {
	e := newEnv(t)
	seed(e)
	out, err := e.client.LookupEvents(e.ctx, &ct.LookupEventsInput{
		LookupAttributes: []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateCluster")}},
	})
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("%v %d", err, len(out.Events))
	}
	ev := out.Events[0]
	if aws.ToString(ev.ReadOnly) != "false" || aws.ToString(ev.Username) != "root" || aws.ToString(ev.AccessKeyId) != "AKIAROOT0000" ||
		aws.ToString(ev.EventSource) != "ecs.amazonaws.com" || !ev.EventTime.Equal(t0.Add(-time.Hour)) {
		t.Errorf("unexpected event %+v", ev)
	}
	if len(ev.Resources) != 1 || aws.ToString(ev.Resources[0].ResourceType) != "AWS::ECS::Cluster" ||
		aws.ToString(ev.Resources[0].ResourceName) != "arn:aws:ecs:us-east-1:000000000000:cluster/prod" {
		t.Errorf("resources %+v", ev.Resources)
	}
}

func TestLookupTimeRangeAndPaging(t *testing.T) {
	e := newEnv(t)
	const n = 120
	for i := 0; i < n; i++ { // one event a minute, the newest a minute ago
		e.s.Record(awsapi.Call{Service: "ecs", Operation: fmt.Sprintf("Op%03d", i), Principal: rootP, Time: t0.Add(-time.Duration(n-i) * time.Minute)})
	}
	e.flush()

	// Every page newest first, nothing twice, nothing missed.
	var names []string
	p := ct.NewLookupEventsPaginator(e.client, &ct.LookupEventsInput{MaxResults: aws.Int32(7)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Events) > 7 {
			t.Fatalf("page of %d", len(out.Events))
		}
		for _, ev := range out.Events {
			names = append(names, aws.ToString(ev.EventName))
		}
	}
	if len(names) != n || pages != (n+6)/7 {
		t.Fatalf("got %d events in %d pages", len(names), pages)
	}
	for i, name := range names {
		if want := fmt.Sprintf("Op%03d", n-1-i); name != want {
			t.Fatalf("event %d is %s, want %s", i, name, want)
		}
	}

	tests := []struct {
		name       string
		start, end *time.Time
		want       int
	}{
		{"last 30 minutes", aws.Time(t0.Add(-30 * time.Minute)), nil, 30},
		{"closed range", aws.Time(t0.Add(-100 * time.Minute)), aws.Time(t0.Add(-91 * time.Minute)), 10},
		{"before everything", nil, aws.Time(t0.Add(-200 * time.Minute)), 0},
		{"start equals end", aws.Time(t0.Add(-5 * time.Minute)), aws.Time(t0.Add(-5 * time.Minute)), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			total := 0
			p := ct.NewLookupEventsPaginator(e.client, &ct.LookupEventsInput{StartTime: tc.start, EndTime: tc.end, MaxResults: aws.Int32(50)})
			for p.HasMorePages() {
				out, err := p.NextPage(e.ctx)
				if err != nil {
					t.Fatal(err)
				}
				total += len(out.Events)
			}
			if total != tc.want {
				t.Errorf("got %d events, want %d", total, tc.want)
			}
		})
	}

	// A token only works for the query it came from.
	first, err := e.client.LookupEvents(e.ctx, &ct.LookupEventsInput{MaxResults: aws.Int32(5)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("%v %v", err, first.NextToken)
	}
	_, err = e.client.LookupEvents(e.ctx, &ct.LookupEventsInput{MaxResults: aws.Int32(5), NextToken: first.NextToken,
		LookupAttributes: []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyEventName, AttributeValue: aws.String("Op001")}}})
	wantCode(t, err, "InvalidNextTokenException")
}

func TestLookupErrors(t *testing.T) {
	e := newEnv(t)
	attr := func(k types.LookupAttributeKey, v string) types.LookupAttribute {
		return types.LookupAttribute{AttributeKey: k, AttributeValue: aws.String(v)}
	}
	tests := []struct {
		name string
		in   ct.LookupEventsInput
		code string
	}{
		{"two attributes", ct.LookupEventsInput{LookupAttributes: []types.LookupAttribute{
			attr(types.LookupAttributeKeyEventName, "a"), attr(types.LookupAttributeKeyUsername, "b")}}, "InvalidLookupAttributesException"},
		{"unknown key", ct.LookupEventsInput{LookupAttributes: []types.LookupAttribute{attr("Region", "x")}}, "InvalidLookupAttributesException"},
		{"empty value", ct.LookupEventsInput{LookupAttributes: []types.LookupAttribute{attr(types.LookupAttributeKeyEventName, "")}}, "InvalidLookupAttributesException"},
		{"read only not a bool", ct.LookupEventsInput{LookupAttributes: []types.LookupAttribute{attr(types.LookupAttributeKeyReadOnly, "yes")}}, "InvalidLookupAttributesException"},
		{"max results 0", ct.LookupEventsInput{MaxResults: aws.Int32(0)}, "InvalidMaxResultsException"},
		{"max results 51", ct.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
		{"start after end", ct.LookupEventsInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(-time.Hour))}, "InvalidTimeRangeException"},
		{"garbage token", ct.LookupEventsInput{NextToken: aws.String("not-a-token")}, "InvalidNextTokenException"},
		{"bad category", ct.LookupEventsInput{EventCategory: "data"}, "InvalidEventCategoryException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.LookupEvents(e.ctx, &tc.in)
			wantCode(t, err, tc.code)
		})
	}
}
