package autoscaling

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/gateway"
	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
)

func TestResources(t *testing.T) {
	e := newEnv(t)
	arn := e.register(1, 4)
	k := targetKey{"ecs", "service/default/web", "ecs:service:DesiredCount"}
	if want := e.s.targetARN(e.s.targetID(k)); arn != want {
		t.Fatalf("registered ARN %s, derived %s", arn, want)
	}
	web := func(ns, rid, dim string) []string {
		return []string{e.s.targetARN(e.s.targetID(targetKey{ns, rid, dim}))}
	}("ecs", "service/default/web", "ecs:service:DesiredCount")
	api := func() []string {
		return []string{e.s.targetARN(e.s.targetID(targetKey{"ecs", "service/default/api", "ecs:service:DesiredCount"}))}
	}()
	tests := []struct {
		op   string
		in   any
		want []string // nil: "*"
	}{
		{"RegisterScalableTarget", &RegisterScalableTargetInput{ServiceNamespace: "ecs", ResourceId: "service/default/web", ScalableDimension: "ecs:service:DesiredCount"}, web},
		// A target not yet registered is authorized on the ARN it will get.
		{"RegisterScalableTarget", &RegisterScalableTargetInput{ServiceNamespace: "ecs", ResourceId: "service/default/api", ScalableDimension: "ecs:service:DesiredCount"}, api},
		{"RegisterScalableTarget", &RegisterScalableTargetInput{ServiceNamespace: "dynamodb", ResourceId: "table/t", ScalableDimension: "dynamodb:table:ReadCapacityUnits"}, nil},
		{"DeregisterScalableTarget", &DeregisterScalableTargetInput{ServiceNamespace: "ecs", ResourceId: "service/default/web", ScalableDimension: "ecs:service:DesiredCount"}, web},
		{"PutScalingPolicy", &PutScalingPolicyInput{ServiceNamespace: "ecs", ResourceId: "service/default/web", ScalableDimension: "ecs:service:DesiredCount"}, web},
		{"DeleteScalingPolicy", &DeleteScalingPolicyInput{ServiceNamespace: "ecs", ResourceId: "service/default/web", ScalableDimension: "ecs:service:DesiredCount"}, web},
		{"PutScheduledAction", &PutScheduledActionInput{ServiceNamespace: "ecs", ResourceId: "service/default/web", ScalableDimension: "ecs:service:DesiredCount"}, web},
		{"DeleteScheduledAction", &DeleteScheduledActionInput{ServiceNamespace: "ecs", ResourceId: "service/default/web", ScalableDimension: "ecs:service:DesiredCount"}, web},
		{"TagResource", &TagResourceInput{ResourceARN: arn}, []string{arn}},
		{"UntagResource", &UntagResourceInput{ResourceARN: arn}, []string{arn}},
		{"ListTagsForResource", &ListTagsForResourceInput{ResourceARN: arn}, []string{arn}},
	}
	ops := e.s.API().Operations
	for _, tc := range tests {
		op := ops[tc.op]
		if op.Resources == nil {
			t.Errorf("%s has no Resources", tc.op)
			continue
		}
		if got := op.Resources(e.ctx, tc.in); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
	}
	for _, name := range []string{"DescribeScalableTargets", "DescribeScalingPolicies", "DescribeScalingActivities", "DescribeScheduledActions", "GetPredictiveScalingForecast"} {
		if ops[name].Resources != nil {
			t.Errorf("%s is authorized on resources; the reference has it on *", name)
		}
	}
	cond := ops["TagResource"].Conditions(e.ctx, &TagResourceInput{ResourceARN: arn})
	if fmt.Sprint(cond) != "map[application-autoscaling:scalable-dimension:[ecs:service:DesiredCount] application-autoscaling:service-namespace:[ecs]]" {
		t.Errorf("TagResource conditions: %v", cond)
	}
}

// recorder is an Authorizer that allows everything and remembers what it was asked.
type recorder struct {
	mu  sync.Mutex
	got []awsapi.Authorization
}

func (r *recorder) Authorize(_ context.Context, _ awsapi.Principal, a awsapi.Authorization) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, a)
	return nil
}

// TestAuthorizationThroughGateway checks the authorizations the gateway asks for,
// with the condition keys and RegisterScalableTarget's dependent actions.
func TestAuthorizationThroughGateway(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{}
	gw, err := gateway.New(gateway.Config{Services: []*awsapi.Service{e.s.API()}, Auth: gatewaytest.AllowAll(gatewaytest.Root), Authz: rec})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	client := sdk.NewFromConfig(gatewaytest.Config(srv.URL))
	out, err := client.RegisterScalableTarget(e.ctx, &sdk.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String("service/default/web"),
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(3), Tags: map[string]string{"team": "web"},
		RoleARN: aws.String("arn:aws:iam::000000000000:role/scaler")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.DescribeScalableTargets(e.ctx, &sdk.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs}); err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.ScalableTargetARN)
	want := []string{
		"application-autoscaling:RegisterScalableTarget [" + arn + "] application-autoscaling:scalable-dimension=ecs:service:DesiredCount application-autoscaling:service-namespace=ecs aws:RequestTag/team=web",
		"application-autoscaling:TagResource [" + arn + "] application-autoscaling:scalable-dimension=ecs:service:DesiredCount application-autoscaling:service-namespace=ecs",
		"iam:PassRole [arn:aws:iam::000000000000:role/scaler] iam:PassedToService=application-autoscaling.amazonaws.com",
		"application-autoscaling:DescribeScalableTargets [*]",
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.got) != len(want) {
		t.Fatalf("authorizations: %+v", rec.got)
	}
	for i, a := range rec.got {
		s := a.Action + " " + fmt.Sprint(a.Resources)
		for _, k := range []string{"application-autoscaling:scalable-dimension", "application-autoscaling:service-namespace", "aws:RequestTag/team", "iam:PassedToService"} {
			if v, ok := a.Conditions[k]; ok {
				s += " " + k + "=" + v[0]
			}
		}
		if s != want[i] {
			t.Errorf("authorization %d: %s\nwant %s", i, s, want[i])
		}
	}
}
