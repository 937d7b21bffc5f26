package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// TestPrometheus: GET /metrics exposes Wharf's own metrics and the CloudWatch metrics
// put through the real SDK client, without a signature.
func TestPrometheus(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	_, err := awscw.NewFromConfig(s.awsConfig()).PutMetricData(ctx, &awscw.PutMetricDataInput{Namespace: aws.String("Shop"),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("Orders"), Value: aws.Float64(42),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("Region"), Value: aws.String("eu")}}}}})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	resp, err := http.Get(s.app.Endpoint() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`wharf_api_requests_total{service="monitoring",operation="PutMetricData",code="OK"} 1`,
		`shop_orders{namespace="Shop",Region="eu"} 42`,
		"go_goroutines ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}
