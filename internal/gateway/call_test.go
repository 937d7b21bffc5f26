package gateway

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// TestCall: an operation invoked without HTTP decodes a map input case-insensitively,
// is authorized as the principal in the context and audited with the given source.
func TestCall(t *testing.T) {
	authz := &denyAll{allow: map[string]bool{"ecs:CreateCluster": true}}
	var mu sync.Mutex
	var audited []awsapi.Call
	gw, err := New(Config{
		Services: []*awsapi.Service{newECSService()}, Auth: &fakeAuth{}, Authz: authz, Region: "us-east-1",
		Audit:  func(c awsapi.Call) { mu.Lock(); audited = append(audited, c); mu.Unlock() },
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := awsapi.WithPrincipal(context.Background(), awsapi.Principal{ARN: "arn:aws:iam::123456789012:user/dev", AccountID: "123456789012"})
	out, err := gw.Call(ctx, "ecs", "CreateCluster", "cloudformation.amazonaws.com", map[string]any{"ClusterName": "web"})
	if err != nil {
		t.Fatalf("allowed call: %v", err)
	}
	if c := out.(*clusterOutput).Cluster; c.ClusterName != "web" {
		t.Fatalf("the map input was not decoded: %+v", c)
	}
	_, err = gw.Call(ctx, "ecs", "DeleteCluster", "cloudformation.amazonaws.com", map[string]any{"cluster": "web"})
	if e, ok := awsapi.As(err); !ok || e.Code != "AccessDeniedException" || e.HTTPStatus() != 400 {
		t.Fatalf("denied call to a JSON service: %v", err)
	}
	if _, err := gw.Call(ctx, "ecs", "NoSuchOp", "x", nil); err == nil {
		t.Fatal("an unknown operation succeeded")
	}
	if _, err := gw.Call(ctx, "ecs", "CreateCluster", "x", map[string]any{"clusterName": 42}); err == nil {
		t.Fatal("an input of the wrong shape was accepted")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(audited) != 2 || audited[0].SourceIP != "cloudformation.amazonaws.com" || audited[0].Principal == nil ||
		audited[1].Err == nil || audited[1].Err.Code != "AccessDeniedException" {
		t.Fatalf("audited %+v", audited)
	}
}
