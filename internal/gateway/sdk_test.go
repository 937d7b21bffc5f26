package gateway

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// recordingClient records the Content-Type of each request and response.
type recordingClient struct {
	mu    sync.Mutex
	pairs [][2]string // request Content-Type, response Content-Type
}

func (c *recordingClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(r)
	if err == nil {
		c.mu.Lock()
		c.pairs = append(c.pairs, [2]string{r.Header.Get("Content-Type"), resp.Header.Get("Content-Type")})
		c.mu.Unlock()
	}
	return resp, err
}

func (c *recordingClient) last() [2]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pairs) == 0 {
		return [2]string{}
	}
	return c.pairs[len(c.pairs)-1]
}

func sdkConfig(url string, rec *recordingClient) aws.Config {
	return aws.Config{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Source: "test"}, nil
		}),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
		HTTPClient:       rec,
	}
}

func requestID(t *testing.T, err error) string {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a ResponseError", err, err)
	}
	return re.ServiceRequestID()
}

func TestSDKECS(t *testing.T) {
	h := newHarness(t, 0)
	rec := &recordingClient{}
	client := ecs.NewFromConfig(sdkConfig(h.srv.URL, rec))
	ctx := context.Background()

	list, err := client.ListClusters(ctx, &ecs.ListClustersInput{})
	if err != nil {
		t.Fatalf("ListClusters: %v", err)
	}
	want := []string{"arn:aws:ecs:us-east-1:123456789012:cluster/default"}
	if !slices.Equal(list.ClusterArns, want) {
		t.Errorf("ClusterArns = %v, want %v", list.ClusterArns, want)
	}
	if id, _ := awsmiddleware.GetRequestIDMetadata(list.ResultMetadata); !uuidRE.MatchString(id) {
		t.Errorf("request id %q is not a UUID v4", id)
	}
	if got := rec.last(); got != [2]string{"application/x-amz-json-1.1", "application/x-amz-json-1.1"} {
		t.Errorf("content types = %v", got)
	}

	created, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{
		ClusterName: aws.String("prod"),
		Tags:        []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("a\"b\\c\u2028")}},
		Settings:    []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}},
	})
	if err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	c := created.Cluster
	if aws.ToString(c.ClusterName) != "prod" || aws.ToString(c.Status) != "ACTIVE" ||
		aws.ToString(c.ClusterArn) != "arn:aws:ecs:us-east-1:123456789012:cluster/prod" {
		t.Errorf("cluster = %+v", c)
	}
	if len(c.Tags) != 1 || aws.ToString(c.Tags[0].Value) != "a\"b\\c\u2028" {
		t.Errorf("tags = %+v", c.Tags)
	}
	if len(c.Settings) != 1 || c.Settings[0].Name != ecstypes.ClusterSettingNameContainerInsights {
		t.Errorf("settings = %+v", c.Settings)
	}

	desc, err := client.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"prod", "missing"}})
	if err != nil {
		t.Fatalf("DescribeClusters: %v", err)
	}
	if len(desc.Clusters) != 1 || aws.ToString(desc.Clusters[0].ClusterName) != "prod" {
		t.Errorf("clusters = %+v", desc.Clusters)
	}
	if len(desc.Failures) != 1 || aws.ToString(desc.Failures[0].Reason) != "MISSING" {
		t.Errorf("failures = %+v", desc.Failures)
	}

	svc, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("prod"), ServiceName: aws.String("web"), TaskDefinition: aws.String("web:1"), DesiredCount: aws.Int32(3),
	})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	s := svc.Service
	if s.DesiredCount != 3 || aws.ToString(s.ServiceName) != "web" {
		t.Errorf("service = %+v", s)
	}
	if s.CreatedAt == nil || s.CreatedAt.UnixMilli() != fixedTime.UnixMilli() {
		t.Errorf("createdAt = %v, want %v", s.CreatedAt, fixedTime)
	}
	if len(s.Deployments) != 1 || s.Deployments[0].CreatedAt == nil || !s.Deployments[0].CreatedAt.Equal(fixedTime) {
		t.Errorf("deployments = %+v", s.Deployments)
	}

	_, err = client.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("missing")})
	var notFound *ecstypes.ClusterNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("DeleteCluster(missing) = %v, want ClusterNotFoundException", err)
	}
	if notFound.ErrorMessage() != "Cluster not found." || notFound.ErrorCode() != "ClusterNotFoundException" {
		t.Errorf("error = %q %q", notFound.ErrorCode(), notFound.ErrorMessage())
	}
	if id := requestID(t, err); !uuidRE.MatchString(id) {
		t.Errorf("error request id %q", id)
	}

	// An *awsapi.Error wrapped with %w keeps its code.
	_, err = client.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("missing")})
	if !errors.As(err, &notFound) {
		t.Errorf("ListServices(missing) = %v, want ClusterNotFoundException", err)
	}

	if _, err := client.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("prod")}); err != nil {
		t.Errorf("DeleteCluster(prod): %v", err)
	}
}

func TestSDKELBv2(t *testing.T) {
	h := newHarness(t, 0)
	rec := &recordingClient{}
	client := elb.NewFromConfig(sdkConfig(h.srv.URL, rec))
	ctx := context.Background()

	out, err := client.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"my-lb"}})
	if err != nil {
		t.Fatalf("DescribeLoadBalancers: %v", err)
	}
	if got := rec.last(); got != [2]string{"application/x-www-form-urlencoded", "text/xml"} {
		t.Errorf("content types = %v", got)
	}
	if len(out.LoadBalancers) != 1 {
		t.Fatalf("LoadBalancers = %+v", out.LoadBalancers)
	}
	lb := out.LoadBalancers[0]
	if aws.ToString(lb.LoadBalancerName) != "my-lb" || lb.Type != elbtypes.LoadBalancerTypeEnumApplication ||
		lb.State == nil || lb.State.Code != elbtypes.LoadBalancerStateEnumActive {
		t.Errorf("load balancer = %+v", lb)
	}
	if lb.CreatedTime == nil || !lb.CreatedTime.Equal(fixedTime) {
		t.Errorf("CreatedTime = %v, want %v", lb.CreatedTime, fixedTime)
	}
	if len(lb.AvailabilityZones) != 1 || aws.ToString(lb.AvailabilityZones[0].SubnetId) != "subnet-1" {
		t.Errorf("AvailabilityZones = %+v", lb.AvailabilityZones)
	}
	if !slices.Equal(lb.SecurityGroups, []string{"sg-1", "sg-<2>&"}) {
		t.Errorf("SecurityGroups = %v", lb.SecurityGroups)
	}
	if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !uuidRE.MatchString(id) {
		t.Errorf("request id %q", id)
	}

	// No names: every load balancer; PageSize (an integer) limits them.
	all, err := client.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(1)})
	if err != nil {
		t.Fatalf("DescribeLoadBalancers(PageSize=1): %v", err)
	}
	if len(all.LoadBalancers) != 1 || aws.ToString(all.NextMarker) != "next" {
		t.Errorf("paged = %+v, marker %v", all.LoadBalancers, all.NextMarker)
	}

	_, err = client.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"missing"}})
	var notFound *elbtypes.LoadBalancerNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("DescribeLoadBalancers(missing) = %v, want LoadBalancerNotFoundException", err)
	}
	if notFound.ErrorCode() != "LoadBalancerNotFound" || notFound.ErrorMessage() != "Load balancers '[missing]' not found" {
		t.Errorf("error = %q %q", notFound.ErrorCode(), notFound.ErrorMessage())
	}

	// Structures in lists: Tags.member.N.Key/Value.
	arn := "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-lb/1"
	if _, err := client.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{arn}, Tags: []elbtypes.Tag{
		{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("empty")},
	}}); err != nil {
		t.Fatalf("AddTags: %v", err)
	}
	tags, err := client.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}})
	if err != nil {
		t.Fatalf("DescribeTags: %v", err)
	}
	if len(tags.TagDescriptions) != 1 || len(tags.TagDescriptions[0].Tags) != 2 {
		t.Fatalf("TagDescriptions = %+v", tags.TagDescriptions)
	}
	got := tags.TagDescriptions[0].Tags
	if aws.ToString(got[0].Key) != "env" || aws.ToString(got[0].Value) != "prod" || aws.ToString(got[1].Key) != "empty" || got[1].Value != nil {
		t.Errorf("tags = %+v %+v", got[0], got[1])
	}
}

func TestSDKCloudWatchCBOR(t *testing.T) {
	h := newHarness(t, 0)
	rec := &recordingClient{}
	client := cloudwatch.NewFromConfig(sdkConfig(h.srv.URL, rec))
	ctx := context.Background()

	ts := time.Date(2024, 5, 6, 7, 8, 9, 500_000_000, time.UTC)
	_, err := client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("App"),
		MetricData: []cwtypes.MetricDatum{{
			MetricName:        aws.String("Latency"),
			Dimensions:        []cwtypes.Dimension{{Name: aws.String("ServiceName"), Value: aws.String("web")}},
			Timestamp:         &ts,
			Value:             aws.Float64(12.25),
			Unit:              cwtypes.StandardUnitMilliseconds,
			StorageResolution: aws.Int32(1),
			Values:            []float64{1.5, 2},
			Counts:            []float64{3, 4},
			StatisticValues:   &cwtypes.StatisticSet{SampleCount: aws.Float64(2), Sum: aws.Float64(3.5), Minimum: aws.Float64(1.5), Maximum: aws.Float64(2)},
		}},
	})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	if got := rec.last(); got != [2]string{"application/cbor", "application/cbor"} {
		t.Errorf("content types = %v", got)
	}
	data := h.cw.received()
	if len(data) != 1 || data[0].Namespace != "App" || len(data[0].MetricData) != 1 {
		t.Fatalf("received %+v", data)
	}
	d := data[0].MetricData[0]
	if d.MetricName != "Latency" || d.Unit != "Milliseconds" || d.Value == nil || *d.Value != 12.25 ||
		d.Timestamp == nil || !d.Timestamp.Equal(ts) || d.StorageResolution == nil || *d.StorageResolution != 1 ||
		!slices.Equal(d.Values, []float64{1.5, 2}) || !slices.Equal(d.Counts, []float64{3, 4}) ||
		d.StatisticValues == nil || d.StatisticValues.Sum != 3.5 || len(d.Dimensions) != 1 || d.Dimensions[0].Value != "web" {
		t.Errorf("datum = %+v", d)
	}

	alarms, err := client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueOk, MaxRecords: aws.Int32(10)})
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if len(alarms.MetricAlarms) != 1 {
		t.Fatalf("MetricAlarms = %+v", alarms.MetricAlarms)
	}
	a := alarms.MetricAlarms[0]
	if aws.ToString(a.AlarmName) != "cpu-high" || a.StateValue != cwtypes.StateValueOk ||
		aws.ToFloat64(a.Threshold) != 80.5 || aws.ToInt32(a.EvaluationPeriods) != 3 || !aws.ToBool(a.ActionsEnabled) ||
		len(a.Dimensions) != 1 || aws.ToString(a.Dimensions[0].Name) != "ServiceName" ||
		aws.ToString(a.AlarmArn) != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high" {
		t.Errorf("alarm = %+v", a)
	}
	// The client reads float epoch seconds with time.UnixMilli(int64(f*1e3)), which may
	// lose the last millisecond to float rounding.
	if a.StateUpdatedTimestamp == nil || a.StateUpdatedTimestamp.Sub(fixedTime).Abs() > time.Millisecond {
		t.Errorf("StateUpdatedTimestamp = %v, want %v", a.StateUpdatedTimestamp, fixedTime)
	}

	_, err = client.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("missing")})
	var notFound *cwtypes.DashboardNotFoundError
	if !errors.As(err, &notFound) {
		t.Fatalf("GetDashboard(missing) = %v, want DashboardNotFoundError", err)
	}
	if notFound.ErrorCode() != "ResourceNotFound" || notFound.ErrorMessage() != "Dashboard missing does not exist" ||
		notFound.ErrorFault() != smithy.FaultClient {
		t.Errorf("error = %q %q %v", notFound.ErrorCode(), notFound.ErrorMessage(), notFound.ErrorFault())
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 404 {
		t.Errorf("status = %d, want 404", re.HTTPStatusCode())
	}

	dash, err := client.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("main")})
	if err != nil || aws.ToString(dash.DashboardBody) != `{"widgets":[]}` {
		t.Errorf("GetDashboard(main) = %+v, %v", dash, err)
	}
}

// TestSDKAuthErrors checks that the clients see typed auth errors in each protocol.
func TestSDKAuthErrors(t *testing.T) {
	h := newHarness(t, 0)
	cfg := sdkConfig(h.srv.URL, &recordingClient{})
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "BADSIG", SecretAccessKey: "secret"}, nil
	})
	ctx := context.Background()
	var apiErr smithy.APIError

	_, err := ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("ecs: %v", err)
	}
	_, err = elb.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("elbv2: %v", err)
	}
	_, err = cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("cloudwatch: %v", err)
	}
}
