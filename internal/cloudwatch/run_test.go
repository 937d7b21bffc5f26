package cloudwatch

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/wharf-dev/wharf/internal/clocktest"
)

// signalClock is a fake clock that tells the test when the evaluator waits.
type signalClock struct {
	*clocktest.Fake
	waiting chan struct{}
}

func (c signalClock) After(d time.Duration) <-chan time.Time {
	ch := c.Fake.After(d)
	c.waiting <- struct{}{}
	return ch
}

// TestRunTimeScale drives Run with a fake clock at time scale 60: a 60-second
// period alarm evaluates every second over one-second periods, and its Auto Scaling
// action repeats every (scaled) minute while it stays in ALARM.
func TestRunTimeScale(t *testing.T) {
	e := newEnvConfig(t, Config{TimeScale: 60})
	clock := signalClock{Fake: e.clock, waiting: make(chan struct{})}
	e.s.clock = clock
	evals := make(chan time.Time)
	e.s.afterEval = func(at time.Time) { evals <- at }
	policy := "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:p:resource/ecs/service/default/web:policyName/out"
	e.putAlarm("fast", func(in *sdk.PutMetricAlarmInput) { in.AlarmActions = []string{policy}; in.OKActions = nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.s.Run(ctx) }()
	defer func() {
		cancel()
		go func() {
			for range clock.waiting {
			}
		}()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	// tick publishes v (standard resolution) this second and lets one second pass.
	tick := func(v float64) {
		t.Helper()
		<-clock.waiting
		if v >= 0 {
			e.put("App", value("CPU", v, e.clock.Now(), "Service", "web"))
		}
		e.clock.Advance(time.Second)
		<-evals
	}
	for range 3 {
		tick(95)
	}
	if s := e.state("fast"); s != types.StateValueAlarm {
		t.Fatalf("after three breaching seconds: %s (%s)", s, aws.ToString(e.alarm("fast").StateReason))
	}
	tick(95)
	tick(95)
	if n := len(e.disp.got()); n != 3 {
		t.Fatalf("%d invocations of the scaling policy in 3 scaled minutes, want 3", n)
	}
	tick(10)
	if s := e.state("fast"); s != types.StateValueOk {
		t.Fatalf("after a good second: %s", s)
	}
}
