package gateway

import (
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// TestAuditSeesEveryCall checks what the auditor is told of allowed, failed and
// unauthenticated calls, and that unroutable requests are not audited.
func TestAuditSeesEveryCall(t *testing.T) {
	var mu sync.Mutex
	var calls []awsapi.Call
	gw, err := New(Config{
		Services: []*awsapi.Service{newECSService()},
		Auth:     &fakeAuth{},
		Logger:   slog.New(slog.DiscardHandler),
		Region:   "eu-west-1",
		Audit: func(c awsapi.Call) {
			mu.Lock()
			calls = append(calls, c)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	h := &harness{srv: srv, gw: gw}
	send := func(op, key, body string) rawResp {
		return h.do(t, rawReq{header: map[string]string{
			"X-Amz-Target":  "AmazonEC2ContainerServiceV20141113." + op,
			"Content-Type":  "application/x-amz-json-1.1",
			"Authorization": authHeader(key, "ecs"),
			"X-Amz-Date":    "20240102T000000Z",
		}, body: []byte(body)})
	}
	send("CreateCluster", "AKID", `{"clusterName":"audited"}`)
	send("DescribeClusters", "AKID", `{"clusters":["nope"]}`)
	send("ListClusters", "UNKNOWN", `{}`)
	send("NoSuchOperation", "AKID", `{}`)

	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 3 {
		t.Fatalf("audited %d calls, want 3 (the unknown operation is not audited): %+v", len(calls), calls)
	}
	create, describe, denied := calls[0], calls[1], calls[2]
	if create.Operation != "CreateCluster" || create.Service != "ecs" || create.Region != "eu-west-1" || create.ReadOnly ||
		create.Principal == nil || create.Err != nil || create.HTTPStatus != 200 || create.RequestID == "" || create.SourceIP != "127.0.0.1" {
		t.Errorf("CreateCluster call: %+v", create)
	}
	if in, ok := create.Input.(*createClusterInput); !ok || in.ClusterName != "audited" {
		t.Errorf("CreateCluster input: %#v", create.Input)
	}
	if create.Output == nil {
		t.Errorf("CreateCluster output missing")
	}
	if !describe.ReadOnly {
		t.Errorf("DescribeClusters not read-only: %+v", describe)
	}
	if denied.Principal != nil || denied.Err == nil || denied.Err.Code != "UnrecognizedClientException" || denied.Input != nil {
		t.Errorf("unauthenticated call: %+v", denied)
	}
}
