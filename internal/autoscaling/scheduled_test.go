package autoscaling

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

func (e *env) putScheduled(name, schedule string, tz *string, min, max *int32) error {
	_, err := e.client.PutScheduledAction(e.ctx, &sdk.PutScheduledActionInput{ScheduledActionName: aws.String(name),
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web"), Schedule: aws.String(schedule), Timezone: tz,
		ScalableTargetAction: &types.ScalableTargetAction{MinCapacity: min, MaxCapacity: max}})
	return err
}

func (e *env) bounds() (int32, int32) {
	e.t.Helper()
	out, err := e.client.DescribeScalableTargets(e.ctx, &sdk.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs})
	if err != nil || len(out.ScalableTargets) != 1 {
		e.t.Fatalf("DescribeScalableTargets: %+v %v", out, err)
	}
	return aws.ToInt32(out.ScalableTargets[0].MinCapacity), aws.ToInt32(out.ScalableTargets[0].MaxCapacity)
}

// TestScheduledActions fires at(), cron() in a time zone and rate() schedules at
// their times through Run and the fake clock.
func TestScheduledActions(t *testing.T) {
	e := newEnv(t)
	e.register(1, 10)
	if err := e.putScheduled("morning", "at(2025-06-01T12:05:00)", nil, aws.Int32(4), aws.Int32(12)); err != nil {
		t.Fatal(err)
	}
	// 09:00 in Paris is 07:00 UTC in June.
	if err := e.putScheduled("nightly", "cron(0 9 * * ? *)", aws.String("Europe/Paris"), aws.Int32(1), nil); err != nil {
		t.Fatal(err)
	}
	out, err := e.client.DescribeScheduledActions(e.ctx, &sdk.DescribeScheduledActionsInput{ServiceNamespace: types.ServiceNamespaceEcs})
	if err != nil || len(out.ScheduledActions) != 2 {
		t.Fatalf("DescribeScheduledActions: %+v %v", out, err)
	}
	a := out.ScheduledActions[0]
	if aws.ToString(a.ScheduledActionName) != "morning" || aws.ToString(a.Schedule) != "at(2025-06-01T12:05:00)" ||
		aws.ToInt32(a.ScalableTargetAction.MinCapacity) != 4 || aws.ToInt32(a.ScalableTargetAction.MaxCapacity) != 12 ||
		!strings.HasPrefix(aws.ToString(a.ScheduledActionARN), "arn:aws:autoscaling:us-east-1:000000000000:scheduledAction:") ||
		!strings.HasSuffix(aws.ToString(a.ScheduledActionARN), ":resource/ecs/service/default/web:scheduledActionName/morning") {
		t.Fatalf("scheduled action: %+v", a)
	}
	if aws.ToString(out.ScheduledActions[1].Timezone) != "Europe/Paris" {
		t.Fatalf("time zone: %+v", out.ScheduledActions[1])
	}

	l := startLoop(t, e.asClk, e.s.Run)
	l.step(4*time.Minute + 50*time.Second) // 12:04:50
	if min, _ := e.bounds(); min != 1 {
		t.Fatalf("fired early: min %d", min)
	}
	l.step(10 * time.Second) // 12:05:00
	if min, max := e.bounds(); min != 4 || max != 12 {
		t.Fatalf("after at(): min %d max %d, want 4 12", min, max)
	}
	if n := e.scaler.get("default/web"); n != 4 {
		t.Fatalf("desired count after the minimum rose to 4: %d", n)
	}
	acts := e.activities(false)
	if len(acts) != 2 || aws.ToString(acts[1].Description) != "Setting min capacity to 4 and max capacity to 12" ||
		aws.ToString(acts[1].Cause) != "scheduled action name morning was triggered" ||
		aws.ToString(acts[1].StatusMessage) != "Successfully set min capacity to 4 and max capacity to 12" ||
		aws.ToString(acts[0].Description) != "Setting desired count to 4." || aws.ToString(acts[0].Cause) != "minimum capacity was set to 4" {
		t.Fatalf("activities: %+v", acts)
	}
	// An at() schedule fires once.
	l.step(time.Hour)
	if acts := e.activities(false); len(acts) != 2 {
		t.Fatalf("at() fired again: %d activities", len(acts))
	}
	// Until 07:00 UTC the next morning, nightly does not fire.
	l.step(17*time.Hour + 54*time.Minute + 50*time.Second) // 2 June 06:59:50
	if min, _ := e.bounds(); min != 4 {
		t.Fatalf("cron fired early: min %d", min)
	}
	l.step(10 * time.Second) // 07:00:00 UTC, 09:00 in Paris
	if min, max := e.bounds(); min != 1 || max != 12 {
		t.Fatalf("after cron(): min %d max %d", min, max)
	}
	if acts := e.activities(false); aws.ToString(acts[0].Description) != "Setting min capacity to 1" ||
		aws.ToString(acts[0].Cause) != "scheduled action name nightly was triggered" {
		t.Fatalf("cron activity: %+v", acts[0])
	}
	// A suspended target ignores its schedule.
	if _, err := e.client.RegisterScalableTarget(e.ctx, &sdk.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String("service/default/web"),
		SuspendedState: &types.SuspendedState{ScheduledScalingSuspended: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	if err := e.putScheduled("nightly", "cron(0 9 * * ? *)", aws.String("Europe/Paris"), aws.Int32(2), nil); err != nil {
		t.Fatal(err)
	}
	l.step(24 * time.Hour)
	if min, _ := e.bounds(); min != 1 {
		t.Fatalf("suspended scheduled scaling ran: min %d", min)
	}
	// Deleting.
	if _, err := e.client.DeleteScheduledAction(e.ctx, &sdk.DeleteScheduledActionInput{ScheduledActionName: aws.String("nightly"),
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DeleteScheduledAction(e.ctx, &sdk.DeleteScheduledActionInput{ScheduledActionName: aws.String("nightly"),
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web")})
	wantCode(t, err, "ObjectNotFoundException", "No scheduled action found for service namespace: ecs, resource ID: service/default/web, scalable dimension: ecs:service:DesiredCount, scheduled action name: nightly")
}

// TestScheduledRateTimeScale checks that a rate() schedule passes TimeScale times
// faster: rate(10 minutes) at time scale 60 fires every ten seconds.
func TestScheduledRateTimeScale(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TimeScale = 60 })
	e.register(1, 10)
	if err := e.putScheduled("grow", "rate(10 minutes)", nil, nil, aws.Int32(8)); err != nil {
		t.Fatal(err)
	}
	l := startLoop(t, e.asClk, e.s.Run)
	for range 9 {
		l.step(time.Second)
	}
	if _, max := e.bounds(); max != 10 {
		t.Fatalf("fired before ten seconds: max %d", max)
	}
	l.step(time.Second)
	if _, max := e.bounds(); max != 8 {
		t.Fatalf("after ten seconds: max %d, want 8", max)
	}
	// Set the maximum back by hand; the next interval sets it again.
	if _, err := e.client.RegisterScalableTarget(e.ctx, &sdk.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String("service/default/web"),
		MaxCapacity: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		l.step(time.Second)
	}
	if _, max := e.bounds(); max != 8 {
		t.Fatalf("after twenty seconds: max %d, want 8", max)
	}
	n := 0
	for _, a := range e.activities(false) {
		if aws.ToString(a.Cause) == "scheduled action name grow was triggered" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d scheduled activities in twenty scaled minutes, want 2", n)
	}
}

func TestScheduledErrors(t *testing.T) {
	e := newEnv(t)
	err := e.putScheduled("a", "cron(0 9 * * ? *)", nil, aws.Int32(1), nil)
	wantType[*types.ObjectNotFoundException](t, err)
	e.register(1, 10)
	cases := []struct {
		name, schedule string
		tz             *string
		min, max       *int32
		msg            string
	}{
		{"five-field cron", "cron(0 9 * * *)", nil, aws.Int32(1), nil, "The schedule cron(0 9 * * *) is not valid: cron() takes six fields"},
		{"both day fields", "cron(0 9 1 * MON *)", nil, aws.Int32(1), nil, "exactly one of day-of-month and day-of-week must be ?"},
		{"minute out of range", "cron(61 9 * * ? *)", nil, aws.Int32(1), nil, "minutes"},
		{"bad rate", "rate(0 minutes)", nil, aws.Int32(1), nil, "positive integer"},
		{"bad at", "at(tomorrow)", nil, aws.Int32(1), nil, "yyyy-mm-ddThh:mm:ss"},
		{"unknown time zone", "cron(0 9 * * ? *)", aws.String("Mars/Olympus"), aws.Int32(1), nil, "not a valid IANA time zone"},
		{"no capacity", "cron(0 9 * * ? *)", nil, nil, nil, "At least one of minimum capacity and maximum capacity should be provided"},
		{"min above max", "cron(0 9 * * ? *)", nil, aws.Int32(5), aws.Int32(2), "Minimum capacity cannot be greater than maximum capacity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, e.putScheduled("a", c.schedule, c.tz, c.min, c.max), "ValidationException", c.msg)
		})
	}
	_, err = e.client.PutScheduledAction(e.ctx, &sdk.PutScheduledActionInput{ScheduledActionName: aws.String("a/b"),
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web"), Schedule: aws.String("rate(1 hour)"),
		ScalableTargetAction: &types.ScalableTargetAction{MinCapacity: aws.Int32(1)}})
	wantCode(t, err, "ValidationException", "scheduledActionName")
	start, end := t0.Add(time.Hour), t0
	_, err = e.client.PutScheduledAction(e.ctx, &sdk.PutScheduledActionInput{ScheduledActionName: aws.String("a"),
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/default/web"), Schedule: aws.String("rate(1 hour)"), StartTime: &start, EndTime: &end,
		ScalableTargetAction: &types.ScalableTargetAction{MinCapacity: aws.Int32(1)}})
	wantCode(t, err, "ValidationException", "EndTime must be later than StartTime")
}

// TestScheduledCatchUp checks that state survives a restart: a new Service over the
// same store fires, once, the action that came due while it was down.
func TestScheduledCatchUp(t *testing.T) {
	e := newEnv(t)
	e.register(1, 10)
	if err := e.putScheduled("noon", "at(2025-06-01T12:05:00)", nil, aws.Int32(3), nil); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour) // Wharf was down from 12:00 to 13:00
	s2, err := New(e.db, Config{Alarms: e.cw, Scaler: e.scaler, Clock: e.clock, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	s2.runScheduled(e.ctx, e.clock.Now())
	s2.runScheduled(e.ctx, e.clock.Now().Add(time.Minute))
	if min, _ := e.bounds(); min != 3 {
		t.Fatalf("after the restart: min %d, want 3", min)
	}
	n := 0
	for _, a := range e.activities(false) {
		if aws.ToString(a.Cause) == "scheduled action name noon was triggered" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the missed action ran %d times, want once", n)
	}
}
