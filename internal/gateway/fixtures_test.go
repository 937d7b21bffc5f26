package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// fixedTime is the timestamp the fake services report.
var fixedTime = time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

// ---- ECS-shaped service (awsJson1_1) ----

type ecsTag struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

type ecsSetting struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

type ecsCluster struct {
	ClusterArn                        string       `json:"clusterArn,omitempty"`
	ClusterName                       string       `json:"clusterName,omitempty"`
	Status                            string       `json:"status,omitempty"`
	RegisteredContainerInstancesCount int32        `json:"registeredContainerInstancesCount"`
	RunningTasksCount                 int32        `json:"runningTasksCount"`
	PendingTasksCount                 int32        `json:"pendingTasksCount"`
	ActiveServicesCount               int32        `json:"activeServicesCount"`
	Tags                              []ecsTag     `json:"tags,omitempty"`
	Settings                          []ecsSetting `json:"settings,omitempty"`
	CapacityProviders                 []string     `json:"capacityProviders,omitempty"`
}

type ecsFailure struct {
	Arn    string `json:"arn,omitempty"`
	Reason string `json:"reason,omitempty"`
}

type listClustersInput struct {
	MaxResults *int32  `json:"maxResults,omitempty"`
	NextToken  *string `json:"nextToken,omitempty"`
}

type listClustersOutput struct {
	ClusterArns []string `json:"clusterArns"`
	NextToken   *string  `json:"nextToken,omitempty"`
}

type createClusterInput struct {
	ClusterName string       `json:"clusterName,omitempty"`
	Tags        []ecsTag     `json:"tags,omitempty"`
	Settings    []ecsSetting `json:"settings,omitempty"`
}

type clusterOutput struct {
	Cluster *ecsCluster `json:"cluster,omitempty"`
}

type describeClustersInput struct {
	Clusters []string `json:"clusters,omitempty"`
	Include  []string `json:"include,omitempty"`
}

type describeClustersOutput struct {
	Clusters []ecsCluster `json:"clusters"`
	Failures []ecsFailure `json:"failures"`
}

type clusterInput struct {
	Cluster string `json:"cluster,omitempty"`
}

type createServiceInput struct {
	Cluster        string   `json:"cluster,omitempty"`
	ServiceName    string   `json:"serviceName,omitempty"`
	TaskDefinition string   `json:"taskDefinition,omitempty"`
	DesiredCount   *int32   `json:"desiredCount,omitempty"`
	Tags           []ecsTag `json:"tags,omitempty"`
}

type ecsDeployment struct {
	ID           string     `json:"id,omitempty"`
	Status       string     `json:"status,omitempty"`
	DesiredCount int32      `json:"desiredCount"`
	CreatedAt    *time.Time `json:"createdAt,omitempty"`
}

type ecsService struct {
	ServiceArn   string          `json:"serviceArn,omitempty"`
	ServiceName  string          `json:"serviceName,omitempty"`
	ClusterArn   string          `json:"clusterArn,omitempty"`
	Status       string          `json:"status,omitempty"`
	DesiredCount int32           `json:"desiredCount"`
	RunningCount int32           `json:"runningCount"`
	CreatedAt    time.Time       `json:"createdAt,omitzero"`
	Deployments  []ecsDeployment `json:"deployments,omitempty"`
	Tags         []ecsTag        `json:"tags,omitempty"`
}

type serviceOutput struct {
	Service *ecsService `json:"service,omitempty"`
}

type listServicesOutput struct {
	ServiceArns []string `json:"serviceArns"`
}

// fakeECS keeps clusters in memory.
type fakeECS struct {
	mu       sync.Mutex
	clusters map[string]*ecsCluster
}

func account(ctx context.Context) string {
	if p, ok := awsapi.PrincipalFrom(ctx); ok {
		return p.AccountID
	}
	return "anonymous"
}

func clusterNotFound() *awsapi.Error {
	return &awsapi.Error{Code: "ClusterNotFoundException", Message: "Cluster not found."}
}

func (f *fakeECS) arn(ctx context.Context, name string) string {
	return "arn:aws:ecs:us-east-1:" + account(ctx) + ":cluster/" + name
}

func (f *fakeECS) listClusters(ctx context.Context, in *listClustersInput) (*listClustersOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &listClustersOutput{ClusterArns: []string{}}
	for name := range f.clusters {
		out.ClusterArns = append(out.ClusterArns, f.arn(ctx, name))
	}
	sort.Strings(out.ClusterArns)
	if in.MaxResults != nil && int(*in.MaxResults) < len(out.ClusterArns) {
		out.ClusterArns = out.ClusterArns[:*in.MaxResults]
		token := "more"
		out.NextToken = &token
	}
	return out, nil
}

func (f *fakeECS) createCluster(ctx context.Context, in *createClusterInput) (*clusterOutput, error) {
	if in.ClusterName == "" {
		in.ClusterName = "default"
	}
	c := &ecsCluster{ClusterArn: f.arn(ctx, in.ClusterName), ClusterName: in.ClusterName, Status: "ACTIVE",
		Tags: in.Tags, Settings: in.Settings, CapacityProviders: []string{}}
	f.mu.Lock()
	f.clusters[in.ClusterName] = c
	f.mu.Unlock()
	return &clusterOutput{Cluster: c}, nil
}

func (f *fakeECS) describeClusters(ctx context.Context, in *describeClustersInput) (*describeClustersOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &describeClustersOutput{Clusters: []ecsCluster{}, Failures: []ecsFailure{}}
	for _, name := range in.Clusters {
		if c, ok := f.clusters[name]; ok {
			out.Clusters = append(out.Clusters, *c)
		} else {
			out.Failures = append(out.Failures, ecsFailure{Arn: f.arn(ctx, name), Reason: "MISSING"})
		}
	}
	return out, nil
}

func (f *fakeECS) deleteCluster(ctx context.Context, in *clusterInput) (*clusterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.clusters[in.Cluster]
	if !ok {
		return nil, clusterNotFound()
	}
	delete(f.clusters, in.Cluster)
	c.Status = "INACTIVE"
	return &clusterOutput{Cluster: c}, nil
}

func (f *fakeECS) listServices(ctx context.Context, in *clusterInput) (*listServicesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.clusters[in.Cluster]; !ok && in.Cluster != "" {
		return nil, fmt.Errorf("listing services: %w", clusterNotFound()) // wrapped on purpose
	}
	return &listServicesOutput{ServiceArns: []string{}}, nil
}

func (f *fakeECS) createService(ctx context.Context, in *createServiceInput) (*serviceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.clusters[in.Cluster]; !ok {
		return nil, clusterNotFound()
	}
	desired := int32(1)
	if in.DesiredCount != nil {
		desired = *in.DesiredCount
	}
	created := fixedTime
	return &serviceOutput{Service: &ecsService{
		ServiceArn:   "arn:aws:ecs:us-east-1:" + account(ctx) + ":service/" + in.Cluster + "/" + in.ServiceName,
		ServiceName:  in.ServiceName,
		ClusterArn:   f.arn(ctx, in.Cluster),
		Status:       "ACTIVE",
		DesiredCount: desired,
		CreatedAt:    fixedTime,
		Deployments:  []ecsDeployment{{ID: "ecs-svc/1", Status: "PRIMARY", DesiredCount: desired, CreatedAt: &created}},
		Tags:         in.Tags,
	}}, nil
}

func newECSService() *awsapi.Service {
	f := &fakeECS{clusters: map[string]*ecsCluster{
		"default": {ClusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/default", ClusterName: "default", Status: "ACTIVE"},
	}}
	return &awsapi.Service{
		SigningName:  "ecs",
		TargetPrefix: "AmazonEC2ContainerServiceV20141113",
		Protocols:    []awsapi.Protocol{awsapi.JSON11},
		Operations: awsapi.Operations(
			awsapi.Op("ListClusters", f.listClusters),
			awsapi.Op("CreateCluster", f.createCluster),
			awsapi.Op("DescribeClusters", f.describeClusters),
			awsapi.Op("DeleteCluster", f.deleteCluster),
			awsapi.Op("ListServices", f.listServices),
			awsapi.Op("CreateService", f.createService),
			awsapi.Op("Echo", echo),
			awsapi.Op("Panic", func(ctx context.Context, in *struct{}) (*struct{}, error) { panic("boom") }),
			awsapi.Op("Fail", func(ctx context.Context, in *struct{}) (*struct{}, error) {
				return nil, errors.New("disk on fire")
			}),
			awsapi.Op("Empty", func(ctx context.Context, in *struct{}) (*struct{}, error) { return nil, nil }),
			awsapi.Operation{Name: "BadOutput", Invoke: func(ctx context.Context, in any) (any, error) { return "not a struct", nil }},
		),
	}
}

// ---- ELBv2-shaped service (awsQuery) ----

type elbTag struct {
	Key   string  `json:"Key"`
	Value *string `json:"Value,omitempty"`
}

type elbAZ struct {
	ZoneName string `json:"ZoneName,omitempty"`
	SubnetID string `json:"SubnetId,omitempty"`
}

type elbState struct {
	Code string `json:"Code,omitempty"`
}

type elbLoadBalancer struct {
	LoadBalancerArn   string     `json:"LoadBalancerArn,omitempty"`
	LoadBalancerName  string     `json:"LoadBalancerName,omitempty"`
	DNSName           string     `json:"DNSName,omitempty"`
	CreatedTime       *time.Time `json:"CreatedTime,omitempty"`
	State             *elbState  `json:"State,omitempty"`
	Type              string     `json:"Type,omitempty"`
	AvailabilityZones []elbAZ    `json:"AvailabilityZones,omitempty"`
	SecurityGroups    []string   `json:"SecurityGroups,omitempty"`
}

type describeLBInput struct {
	LoadBalancerArns []string `json:"LoadBalancerArns,omitempty"`
	Names            []string `json:"Names,omitempty"`
	Marker           *string  `json:"Marker,omitempty"`
	PageSize         *int32   `json:"PageSize,omitempty"`
}

type describeLBOutput struct {
	LoadBalancers []elbLoadBalancer `json:"LoadBalancers"`
	NextMarker    *string           `json:"NextMarker,omitempty"`
}

type addTagsInput struct {
	ResourceArns []string `json:"ResourceArns"`
	Tags         []elbTag `json:"Tags"`
}

type tagDescription struct {
	ResourceArn string   `json:"ResourceArn"`
	Tags        []elbTag `json:"Tags"`
}

type describeTagsOutput struct {
	TagDescriptions []tagDescription `json:"TagDescriptions"`
}

type fakeELB struct {
	mu   sync.Mutex
	lbs  []elbLoadBalancer
	tags map[string][]elbTag
}

func (f *fakeELB) describeLoadBalancers(ctx context.Context, in *describeLBInput) (*describeLBOutput, error) {
	out := &describeLBOutput{LoadBalancers: []elbLoadBalancer{}}
	for _, name := range in.Names {
		found := false
		for _, lb := range f.lbs {
			if lb.LoadBalancerName == name {
				out.LoadBalancers = append(out.LoadBalancers, lb)
				found = true
			}
		}
		if !found {
			return nil, &awsapi.Error{Code: "LoadBalancerNotFound", Message: fmt.Sprintf("Load balancers '[%s]' not found", name)}
		}
	}
	if len(in.Names) == 0 {
		out.LoadBalancers = append(out.LoadBalancers, f.lbs...)
	}
	if in.PageSize != nil && int(*in.PageSize) < len(out.LoadBalancers) {
		out.LoadBalancers = out.LoadBalancers[:*in.PageSize]
		marker := "next"
		out.NextMarker = &marker
	}
	return out, nil
}

func (f *fakeELB) addTags(ctx context.Context, in *addTagsInput) (*struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, arn := range in.ResourceArns {
		f.tags[arn] = append(f.tags[arn], in.Tags...)
	}
	return nil, nil
}

func (f *fakeELB) describeTags(ctx context.Context, in *struct {
	ResourceArns []string `json:"ResourceArns"`
}) (*describeTagsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &describeTagsOutput{TagDescriptions: []tagDescription{}}
	for _, arn := range in.ResourceArns {
		out.TagDescriptions = append(out.TagDescriptions, tagDescription{ResourceArn: arn, Tags: f.tags[arn]})
	}
	return out, nil
}

func newELBService() *awsapi.Service {
	created := fixedTime
	f := &fakeELB{tags: map[string][]elbTag{}, lbs: []elbLoadBalancer{
		{LoadBalancerArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-lb/50dc6c495c0c9188",
			LoadBalancerName: "my-lb", DNSName: "my-lb-1.us-east-1.elb.amazonaws.com", CreatedTime: &created,
			State: &elbState{Code: "active"}, Type: "application",
			AvailabilityZones: []elbAZ{{ZoneName: "us-east-1a", SubnetID: "subnet-1"}}, SecurityGroups: []string{"sg-1", "sg-<2>&"}},
		{LoadBalancerArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other-lb/1",
			LoadBalancerName: "other-lb", State: &elbState{Code: "provisioning"}, Type: "application"},
	}}
	anon := awsapi.Op("AnonymousHello", func(ctx context.Context, in *struct {
		Name string `json:"Name"`
	}) (*struct {
		Greeting string `json:"Greeting"`
	}, error) {
		return &struct {
			Greeting string `json:"Greeting"`
		}{"hello " + in.Name + " from " + account(ctx)}, nil
	})
	anon.Anonymous = true
	return &awsapi.Service{
		SigningName:  "elasticloadbalancing",
		QueryVersion: "2015-12-01",
		XMLNamespace: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
		Protocols:    []awsapi.Protocol{awsapi.Query},
		Operations: awsapi.Operations(
			awsapi.Op("DescribeLoadBalancers", f.describeLoadBalancers),
			awsapi.Op("AddTags", f.addTags),
			awsapi.Op("DescribeTags", f.describeTags),
			awsapi.Op("Echo", echo),
			awsapi.Op("Panic", func(ctx context.Context, in *struct{}) (*struct{}, error) { panic("query boom") }),
			anon,
		),
	}
}

// ---- CloudWatch-shaped service (rpcv2Cbor, awsJson1_0 and awsQuery) ----

type cwDimension struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type cwStatisticSet struct {
	SampleCount float64 `json:"SampleCount"`
	Sum         float64 `json:"Sum"`
	Minimum     float64 `json:"Minimum"`
	Maximum     float64 `json:"Maximum"`
}

type cwDatum struct {
	MetricName        string           `json:"MetricName"`
	Dimensions        []cwDimension    `json:"Dimensions,omitempty"`
	Timestamp         *time.Time       `json:"Timestamp,omitempty"`
	Value             *float64         `json:"Value,omitempty"`
	StatisticValues   *cwStatisticSet  `json:"StatisticValues,omitempty"`
	Values            []float64        `json:"Values,omitempty"`
	Counts            []float64        `json:"Counts,omitempty"`
	Unit              string           `json:"Unit,omitempty"`
	StorageResolution *int32           `json:"StorageResolution,omitempty"`
	Extra             map[string]int64 `json:"Extra,omitempty"` // not in the model; exercises maps
}

type putMetricDataInput struct {
	Namespace  string    `json:"Namespace"`
	MetricData []cwDatum `json:"MetricData"`
}

type cwAlarm struct {
	AlarmName             string        `json:"AlarmName,omitempty"`
	AlarmArn              string        `json:"AlarmArn,omitempty"`
	StateValue            string        `json:"StateValue,omitempty"`
	StateUpdatedTimestamp *time.Time    `json:"StateUpdatedTimestamp,omitempty"`
	Threshold             *float64      `json:"Threshold,omitempty"`
	EvaluationPeriods     *int32        `json:"EvaluationPeriods,omitempty"`
	ActionsEnabled        *bool         `json:"ActionsEnabled,omitempty"`
	Dimensions            []cwDimension `json:"Dimensions,omitempty"`
	AlarmActions          []string      `json:"AlarmActions"`
}

type describeAlarmsInput struct {
	AlarmNames []string `json:"AlarmNames,omitempty"`
	StateValue string   `json:"StateValue,omitempty"`
	MaxRecords *int32   `json:"MaxRecords,omitempty"`
}

type describeAlarmsOutput struct {
	MetricAlarms []cwAlarm `json:"MetricAlarms"`
	NextToken    *string   `json:"NextToken,omitempty"`
}

type fakeCW struct {
	mu   sync.Mutex
	data []putMetricDataInput
}

func (f *fakeCW) putMetricData(ctx context.Context, in *putMetricDataInput) (*struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data = append(f.data, *in)
	return nil, nil
}

func (f *fakeCW) received() []putMetricDataInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]putMetricDataInput(nil), f.data...)
}

func (f *fakeCW) describeAlarms(ctx context.Context, in *describeAlarmsInput) (*describeAlarmsOutput, error) {
	threshold, periods, enabled, ts := 80.5, int32(3), true, fixedTime
	alarm := cwAlarm{AlarmName: "cpu-high", AlarmArn: "arn:aws:cloudwatch:us-east-1:" + account(ctx) + ":alarm:cpu-high",
		StateValue: "OK", StateUpdatedTimestamp: &ts, Threshold: &threshold, EvaluationPeriods: &periods,
		ActionsEnabled: &enabled, Dimensions: []cwDimension{{"ServiceName", "web"}}, AlarmActions: []string{}}
	out := &describeAlarmsOutput{MetricAlarms: []cwAlarm{}}
	if in.StateValue == "" || in.StateValue == alarm.StateValue {
		out.MetricAlarms = append(out.MetricAlarms, alarm)
	}
	return out, nil
}

type dashboardInput struct {
	DashboardName string `json:"DashboardName"`
}

type dashboardOutput struct {
	DashboardName string `json:"DashboardName"`
	DashboardBody string `json:"DashboardBody"`
}

func newCWService(f *fakeCW) *awsapi.Service {
	return &awsapi.Service{
		SigningName:    "monitoring",
		TargetPrefix:   "GraniteServiceVersion20100801",
		QueryVersion:   "2010-08-01",
		XMLNamespace:   "http://monitoring.amazonaws.com/doc/2010-08-01/",
		CBORName:       "GraniteServiceVersion20100801",
		ErrorNamespace: "com.amazonaws.cloudwatch",
		Protocols:      []awsapi.Protocol{awsapi.JSON10, awsapi.CBOR, awsapi.Query},
		Operations: awsapi.Operations(
			awsapi.Op("PutMetricData", f.putMetricData),
			awsapi.Op("DescribeAlarms", f.describeAlarms),
			awsapi.Op("GetDashboard", func(ctx context.Context, in *dashboardInput) (*dashboardOutput, error) {
				if in.DashboardName != "main" {
					return nil, &awsapi.Error{Code: "DashboardNotFoundError", QueryCode: "ResourceNotFound", Status: 404,
						Message: "Dashboard " + in.DashboardName + " does not exist"}
				}
				return &dashboardOutput{DashboardName: "main", DashboardBody: `{"widgets":[]}`}, nil
			}),
			awsapi.Op("Echo", echo),
			awsapi.Op("Panic", func(ctx context.Context, in *struct{}) (*struct{}, error) { panic("cbor boom") }),
		),
	}
}

// ---- X-Ray-shaped service (restJson1) ----

type putSegmentsInput struct {
	TraceSegmentDocuments []string `json:"TraceSegmentDocuments"`
}

type putSegmentsOutput struct {
	UnprocessedTraceSegments []string `json:"UnprocessedTraceSegments"`
}

type getThingInput struct {
	Name    string    `location:"uri" locationName:"Name" json:"-"`
	Verbose bool      `location:"querystring" locationName:"verbose" json:"-"`
	Limit   *int32    `location:"querystring" locationName:"limit" json:"-"`
	Tags    []string  `location:"querystring" locationName:"tag" json:"-"`
	TraceID string    `location:"header" locationName:"X-Trace-Id" json:"-"`
	Since   time.Time `location:"header" locationName:"X-Since" json:"-"`
	Note    string    `json:"Note,omitempty"`
}

type getThingOutput struct {
	Name      string   `json:"Name"`
	Verbose   bool     `json:"Verbose"`
	Limit     int32    `json:"Limit"`
	Tags      []string `json:"Tags"`
	TraceID   string   `json:"TraceId"`
	Since     string   `json:"Since"`
	ETag      string   `location:"header" locationName:"ETag" json:"-"`
	Principal string   `json:"Principal"`
}

type fileInput struct {
	Key string `location:"uri" locationName:"Key" json:"-"`
}

func newXRayService() *awsapi.Service {
	ops := []awsapi.Operation{
		awsapi.Op("PutTraceSegments", func(ctx context.Context, in *putSegmentsInput) (*putSegmentsOutput, error) {
			out := &putSegmentsOutput{UnprocessedTraceSegments: []string{}}
			for _, d := range in.TraceSegmentDocuments {
				if !json.Valid([]byte(d)) {
					out.UnprocessedTraceSegments = append(out.UnprocessedTraceSegments, d)
				}
			}
			return out, nil
		}),
		awsapi.Op("GetThing", func(ctx context.Context, in *getThingInput) (*getThingOutput, error) {
			out := &getThingOutput{Name: in.Name, Verbose: in.Verbose, Tags: in.Tags, TraceID: in.TraceID, ETag: `"v1"`, Principal: account(ctx)}
			if in.Limit != nil {
				out.Limit = *in.Limit
			}
			if !in.Since.IsZero() {
				out.Since = in.Since.Format(time.RFC3339)
			}
			return out, nil
		}),
		awsapi.Op("GetFile", func(ctx context.Context, in *fileInput) (*struct {
			Key string `json:"Key"`
		}, error) {
			return &struct {
				Key string `json:"Key"`
			}{in.Key}, nil
		}),
		awsapi.Op("GetGroup", func(ctx context.Context, in *struct {
			GroupName string `json:"GroupName"`
		}) (*struct{}, error) {
			return nil, &awsapi.Error{Code: "InvalidRequestException", Message: "Group " + in.GroupName + " not found"}
		}),
	}
	routes := map[string][2]string{
		"PutTraceSegments": {"POST", "/TraceSegments"},
		"GetThing":         {"GET", "/v1/things/{Name}"},
		"GetFile":          {"GET", "/files/{Key+}"},
		"GetGroup":         {"POST", "/GetGroup"},
	}
	for i := range ops {
		r := routes[ops[i].Name]
		ops[i].HTTPMethod, ops[i].HTTPPath = r[0], r[1]
	}
	return &awsapi.Service{
		SigningName: "xray",
		Protocols:   []awsapi.Protocol{awsapi.RestJSON},
		Operations:  awsapi.Operations(ops...),
	}
}

// ---- the kitchen sink: every member kind, echoed back ----

type color string

type sinkInner struct {
	Name string            `json:"name"`
	When *time.Time        `json:"when,omitempty"`
	Tags map[string]string `json:"tags,omitempty"`
}

type sinkEmbedded struct {
	Promoted string `json:"promoted,omitempty"`
}

type sink struct {
	Str        string               `json:"str,omitempty"`
	StrPtr     *string              `json:"strPtr,omitempty"`
	Enum       color                `json:"enum,omitempty"`
	Bool       bool                 `json:"bool,omitempty"`
	BoolPtr    *bool                `json:"boolPtr,omitempty"`
	Int        int                  `json:"int,omitempty"`
	Int8       int8                 `json:"int8,omitempty"`
	Int16      int16                `json:"int16,omitempty"`
	Int32      int32                `json:"int32,omitempty"`
	Int64      int64                `json:"int64,omitempty"`
	Uint       uint                 `json:"uint,omitempty"`
	Uint8      uint8                `json:"uint8,omitempty"`
	Uint16     uint16               `json:"uint16,omitempty"`
	Uint32     uint32               `json:"uint32,omitempty"`
	Uint64     uint64               `json:"uint64,omitempty"`
	IntPtr     *int32               `json:"intPtr,omitempty"`
	F32        float32              `json:"f32,omitempty"`
	F64        float64              `json:"f64,omitempty"`
	F64Ptr     *float64             `json:"f64Ptr,omitempty"`
	Time       time.Time            `json:"time,omitzero"`
	TimePtr    *time.Time           `json:"timePtr,omitempty"`
	Blob       []byte               `json:"blob,omitempty"`
	List       []string             `json:"list,omitempty"`
	Ints       []int64              `json:"ints,omitempty"`
	Structs    []sinkInner          `json:"structs,omitempty"`
	StructPtrs []*sinkInner         `json:"structPtrs,omitempty"`
	Map        map[string]int       `json:"map,omitempty"`
	MapStructs map[string]sinkInner `json:"mapStructs,omitempty"`
	Nested     *sinkInner           `json:"nested,omitempty"`
	NestedVal  sinkInner            `json:"nestedVal,omitzero"`
	Doc        any                  `json:"doc,omitempty"`
	Raw        json.RawMessage      `json:"raw,omitempty"`
	Skipped    string               `json:"-"`
	NoTag      string
	Self       *sink `json:"self,omitempty"`
	sinkEmbedded
}

func echo(ctx context.Context, in *sink) (*sink, error) { return in, nil }

// ---- harness ----

// fakeAuth authenticates by the access key in the credential scope: keys named after
// an AuthKind fail with it; "BROKEN" fails with a plain error.
type fakeAuth struct {
	mu       sync.Mutex
	lastBody []byte
}

func (a *fakeAuth) Authenticate(ctx context.Context, r *http.Request, body []byte) (awsapi.Principal, error) {
	a.mu.Lock()
	a.lastBody = append([]byte(nil), body...)
	a.mu.Unlock()
	if awsapi.RequestID(ctx) == "" {
		return awsapi.Principal{}, errors.New("no request id in context")
	}
	key, _, _, _, ok := credentialScope(r)
	if !ok {
		return awsapi.Principal{}, &AuthError{Kind: Missing}
	}
	switch key {
	case "MISSING":
		return awsapi.Principal{}, &AuthError{Kind: Missing}
	case "INCOMPLETE":
		return awsapi.Principal{}, &AuthError{Kind: Incomplete, Message: "Authorization header requires 'Signature' parameter."}
	case "UNKNOWN":
		return awsapi.Principal{}, &AuthError{Kind: UnknownKey}
	case "BADSIG":
		return awsapi.Principal{}, &AuthError{Kind: BadSignature}
	case "EXPIRED":
		return awsapi.Principal{}, &AuthError{Kind: Expired, Message: "20240101T000000Z is now earlier than 20240102T000000Z (20240102T001500Z - 15 min.)"}
	case "BADTOKEN":
		return awsapi.Principal{}, &AuthError{Kind: BadToken, Message: "The security token included in the request is expired"}
	case "BROKEN":
		return awsapi.Principal{}, errors.New("key store unavailable")
	}
	return awsapi.Principal{AccountID: "123456789012", AccessKeyID: key, ARN: "arn:aws:iam::123456789012:root", Root: true}, nil
}

func (a *fakeAuth) body() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastBody
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a gateway over the fake services behind a real HTTP server.
type harness struct {
	srv  *httptest.Server
	gw   *Gateway
	auth *fakeAuth
	cw   *fakeCW
	logs *syncBuffer
}

func newHarness(t testing.TB, maxBody int64) *harness {
	t.Helper()
	h := &harness{auth: &fakeAuth{}, cw: &fakeCW{}, logs: &syncBuffer{}}
	gw, err := New(Config{
		Services:     []*awsapi.Service{newECSService(), newELBService(), newCWService(h.cw), newXRayService()},
		Auth:         h.auth,
		Logger:       slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MaxBodyBytes: maxBody,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.gw = gw
	h.srv = httptest.NewServer(gw)
	t.Cleanup(h.srv.Close)
	return h
}

// authHeader is a SigV4 Authorization header whose scope names key and service.
func authHeader(key, service string) string {
	return fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/20240102/us-east-1/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=%s",
		key, service, strings.Repeat("0", 64))
}
