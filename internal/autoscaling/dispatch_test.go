package autoscaling

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
)

// TestDispatchAlarmAction calls the dispatcher as CloudWatch does, with the ARNs it
// may be handed: the policy ARN, the createdBy form of managed alarms, a policy that
// was deleted and re-created (a new id), and ARNs that are not policies.
func TestDispatchAlarmAction(t *testing.T) {
	e := newEnv(t)
	e.register(1, 10)
	out, err := e.putTracking("cpu50", cpuTarget(50))
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.PolicyARN)
	alarm := func(action, state string, points ...float64) cloudwatch.AlarmAction {
		raw, _ := json.Marshal(map[string]any{"recentDatapoints": points, "threshold": 50})
		return cloudwatch.AlarmAction{AlarmName: "custom", ActionARN: action, NewState: state, OldState: "OK", ReasonData: string(raw), Time: e.clock.Now()}
	}
	// OK and INSUFFICIENT_DATA do nothing.
	if err := e.s.DispatchAlarmAction(e.ctx, alarm(arn, "OK", 100)); err != nil {
		t.Fatal(err)
	}
	if n := e.scaler.get("default/web"); n != 2 {
		t.Fatalf("an OK action scaled: %d", n)
	}
	// An alarm of the user's: the metric above the target scales out (2 × 100 / 50).
	if err := e.s.DispatchAlarmAction(e.ctx, alarm(arn+":createdBy/0f8c6b6e-0000-4000-8000-000000000000", "ALARM", 60, 100)); err != nil {
		t.Fatal(err)
	}
	if n := e.scaler.get("default/web"); n != 4 {
		t.Fatalf("desired %d, want 4", n)
	}
	for _, bad := range []string{
		"arn:aws:sns:us-east-1:000000000000:topic",
		strings.Replace(arn, "us-east-1", "eu-west-1", 1),
		strings.Replace(arn, "policyName/cpu50", "policyName/other", 1),
		strings.Replace(arn, "scalingPolicy:", "scalingPolicy:1", 1), // another id: a policy deleted and re-created
	} {
		if err := e.s.DispatchAlarmAction(e.ctx, alarm(bad, "ALARM", 100)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	// Garbage reason data is a not-scaled decision, not a crash.
	a := alarm(arn, "ALARM")
	a.ReasonData = "{not json"
	e.clock.Advance(time.Hour)
	if err := e.s.DispatchAlarmAction(e.ctx, a); err != nil {
		t.Fatal(err)
	}
	if acts := e.activities(true); aws.ToString(acts[0].StatusMessage) != "The alarm evaluated no datapoints to scale on." {
		t.Fatalf("garbage reason data: %+v", acts[0])
	}
	// The ECS service failing to take the count is a failed activity.
	e.scaler.failSet = &awsapi.Error{Code: "ServiceNotActiveException", Message: "Service was not ACTIVE."}
	if err := e.s.DispatchAlarmAction(e.ctx, alarm(arn, "ALARM", 100)); err != nil {
		t.Fatal(err)
	}
	acts := e.activities(false)
	if acts[0].StatusCode != types.ScalingActivityStatusCodeFailed ||
		aws.ToString(acts[0].StatusMessage) != "Failed to set desired count to 8. Reason: ServiceNotActiveException: Service was not ACTIVE." {
		t.Fatalf("failed activity: %+v", acts[0])
	}
}

func TestActivitiesPagesAndCap(t *testing.T) {
	e := newEnv(t)
	e.register(1, 2000)
	t1 := e.s.targets(t)
	for i := range maxActivities + 5 {
		e.clock.Advance(time.Second)
		act := newActivity(t1.targetKey, e.s.now(), "Setting desired count to "+itoa(int32(i))+".", "test")
		act.StatusCode = StatusSuccessful
		e.s.record(e.ctx, act, nil)
	}
	for _, rid := range []*string{nil, aws.String("service/default/web")} {
		var all []types.ScalingActivity
		var token *string
		for pages := 0; ; pages++ {
			out, err := e.client.DescribeScalingActivities(e.ctx, &sdk.DescribeScalingActivitiesInput{ServiceNamespace: types.ServiceNamespaceEcs,
				ResourceId: rid, MaxResults: aws.Int32(50), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, out.ScalingActivities...)
			if token = out.NextToken; token == nil {
				break
			}
			if pages > 100 {
				t.Fatal("pages do not end")
			}
		}
		checkPages(t, all)
	}
	// A token of one kind of listing is not valid for the other.
	out, err := e.client.DescribeScalingActivities(e.ctx, &sdk.DescribeScalingActivitiesInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DescribeScalingActivities(e.ctx, &sdk.DescribeScalingActivitiesInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/default/web"), NextToken: out.NextToken})
	wantType[*types.InvalidNextTokenException](t, err)
	// Six weeks later they are gone.
	if err := e.s.purgeActivities(e.ctx, e.clock.Now().Add(activityRetention+time.Hour)); err != nil {
		t.Fatal(err)
	}
	if acts := e.activities(true); len(acts) != 0 {
		t.Fatalf("%d activities after six weeks", len(acts))
	}
}

func checkPages(t *testing.T, all []types.ScalingActivity) {
	t.Helper()
	if len(all) != maxActivities {
		t.Fatalf("%d activities, want the latest %d", len(all), maxActivities)
	}
	if aws.ToString(all[0].Description) != "Setting desired count to 1004." || aws.ToString(all[len(all)-1].Description) != "Setting desired count to 5." {
		t.Fatalf("order: first %s, last %s", aws.ToString(all[0].Description), aws.ToString(all[len(all)-1].Description))
	}
	for i := 1; i < len(all); i++ {
		if all[i].StartTime.After(*all[i-1].StartTime) {
			t.Fatalf("activity %d is newer than %d", i, i-1)
		}
	}
}

// targets returns the one registered target.
func (s *Service) targets(t *testing.T) *targetRecord {
	t.Helper()
	out, err := s.DescribeScalableTargets(t.Context(), &DescribeScalableTargetsInput{ServiceNamespace: "ecs"})
	if err != nil || len(out.ScalableTargets) != 1 {
		t.Fatalf("targets: %+v %v", out, err)
	}
	st := out.ScalableTargets[0]
	return &targetRecord{targetKey: targetKey{st.ServiceNamespace, st.ResourceId, st.ScalableDimension}}
}

func TestParsePolicyARN(t *testing.T) {
	ok := "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:6d8972f3-efc8-437c-92d1-6270f29a66e7:resource/ecs/service/default/web:policyName/cpu:75"
	r, good := parsePolicyARN(ok + ":createdBy/7d1b6eec-6f00-4db9-bcec-9d160a413e87")
	if !good || r.ID != "6d8972f3-efc8-437c-92d1-6270f29a66e7" || r.Namespace != "ecs" || r.ResourceID != "service/default/web" ||
		r.Name != "cpu:75" || r.Region != "us-east-1" || r.Account != "000000000000" {
		t.Fatalf("%+v %v", r, good)
	}
	for _, bad := range []string{"", "arn:", "arn:aws:autoscaling:us-east-1:0:scalingPolicy::resource/ecs/x:policyName/p",
		"arn:aws:application-autoscaling:us-east-1:0:scalingPolicy:i:resource/ecs/x:policyName/p",
		"arn:aws:autoscaling:us-east-1:0:scheduledAction:i:resource/ecs/x:scheduledActionName/p",
		"arn:aws:autoscaling:us-east-1:0:scalingPolicy:i:resource/ecs:policyName/p"} {
		if _, good := parsePolicyARN(bad); good {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParsePolicyARN(f *testing.F) {
	f.Add("arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:6d8972f3:resource/ecs/service/default/web:policyName/cpu75:createdBy/x")
	f.Fuzz(func(t *testing.T, arn string) {
		if r, ok := parsePolicyARN(arn); ok && (r.ID == "" || r.Name == "" || r.ResourceID == "") {
			t.Fatalf("%q parsed to %+v", arn, r)
		}
	})
}

func FuzzParseResourceLabel(f *testing.F) {
	f.Add("app/web-lb/50dc6c495c0c9188/targetgroup/web-tg/943f017f100becff")
	f.Add("app//x/targetgroup/y/z")
	f.Fuzz(func(t *testing.T, label string) {
		if tg, ok := parseResourceLabel(label); ok && (!strings.HasPrefix(tg, "targetgroup/") || !strings.HasSuffix(label, tg)) {
			t.Fatalf("%q: target group %q", label, tg)
		}
	})
}

func FuzzParseReasonData(f *testing.F) {
	f.Add(`{"version":"1.0","recentDatapoints":[90.5,NaN],"threshold":75}`)
	f.Add(`{"recentDatapoints":[1e309],"threshold":"x"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		rd := parseReasonData(raw)
		for _, v := range rd.RecentDatapoints {
			if v != v {
				t.Fatalf("NaN kept from %q", raw)
			}
		}
		if len(rd.RecentDatapoints) > 0 {
			_ = aggregate(rd.RecentDatapoints, "Maximum")
		}
	})
}
