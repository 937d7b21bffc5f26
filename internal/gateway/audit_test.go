package gateway

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
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

// denyAll refuses every action except those listed, and records what it was asked.
type denyAll struct {
	mu    sync.Mutex
	allow map[string]bool
	asked []string
}

func (d *denyAll) Authorize(_ context.Context, p awsapi.Principal, a awsapi.Authorization) error {
	action := a.Action
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, action+" "+strings.Join(a.Resources, ","))
	if d.allow[action] {
		return nil
	}
	return &Denied{Message: "User: " + p.ARN + " is not authorized to perform: " + action}
}

func TestAuthorization(t *testing.T) {
	authz := &denyAll{allow: map[string]bool{"ecs:ListClusters": true}}
	gw, err := New(Config{
		Services: []*awsapi.Service{newECSService(), newELBService()},
		Auth:     &fakeAuth{},
		Authz:    authz,
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	h := &harness{srv: srv, gw: gw}
	json := func(op string) rawResp {
		return h.do(t, rawReq{header: map[string]string{
			"X-Amz-Target": "AmazonEC2ContainerServiceV20141113." + op, "Content-Type": "application/x-amz-json-1.1",
			"Authorization": authHeader("AKID", "ecs"), "X-Amz-Date": "20240102T000000Z",
		}, body: []byte(`{}`)})
	}
	if r := json("ListClusters"); r.status != 200 {
		t.Fatalf("allowed call: %d %s", r.status, r.body)
	}
	r := json("CreateCluster")
	if r.status != 400 || r.header.Get("X-Amzn-Errortype") != "AccessDeniedException" || !strings.Contains(string(r.body), "is not authorized to perform: ecs:CreateCluster") {
		t.Fatalf("denied JSON call: %d %v %s", r.status, r.header, r.body)
	}
	q := h.do(t, rawReq{header: map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Authorization": authHeader("AKID", "elasticloadbalancing"),
		"X-Amz-Date": "20240102T000000Z",
	}, body: []byte("Action=DescribeLoadBalancers&Version=2015-12-01")})
	if q.status != 403 || !strings.Contains(string(q.body), "<Code>AccessDenied</Code>") {
		t.Fatalf("denied query call: %d %s", q.status, q.body)
	}
	authz.mu.Lock()
	defer authz.mu.Unlock()
	want := []string{"ecs:ListClusters *", "ecs:CreateCluster *", "elasticloadbalancing:DescribeLoadBalancers *"}
	if strings.Join(authz.asked, "|") != strings.Join(want, "|") {
		t.Fatalf("authorizer asked %q, want %q", authz.asked, want)
	}
}
