package app_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharf-dev/wharf/internal/app"
)

// TestServiceBehindALB runs the example as an ECS service of 3 behind a load balancer
// rule: the listener answers from all 3 tasks, and scaling out and in under steady
// traffic adds and removes targets without one failed request.
func TestServiceBehindALB(t *testing.T) {
	s := startServerConfig(t, app.Config{DataDir: t.TempDir(), Driver: "process", TimeScale: 10})
	ctx := context.Background()
	a := newALB(t, s, "web")
	tg, err := a.c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("api"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"),
		HealthCheckPath: aws.String("/health"), HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2),
		HealthyThresholdCount: aws.Int32(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	tgArn := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	if _, err := a.c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: &tgArn,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("5")}}}); err != nil {
		t.Fatal(err)
	}
	if err := a.rule(1, []elbtypes.RuleCondition{cond("path-pattern", "/*")}, forward(tgArn)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ecs.RegisterTaskDefinition(ctx, taskDef("process:"+exampleBin, []string{"CMD", exampleBin, "-healthcheck"}, "v1")); err != nil {
		t.Fatal(err)
	}
	_, err = s.ecs.CreateService(ctx, &awsecs.CreateServiceInput{
		ServiceName: aws.String("api"), TaskDefinition: aws.String("productapi"), DesiredCount: aws.Int32(3),
		LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: &tgArn, ContainerName: aws.String("api"), ContainerPort: aws.Int32(8080)}},
	})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	healthy := func(n int) {
		eventually(t, 90*time.Second, fmt.Sprintf("%d healthy targets", n), func() error {
			out, err := a.c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: &tgArn})
			if err != nil {
				return err
			}
			got := 0
			for _, d := range out.TargetHealthDescriptions {
				if d.TargetHealth.State != elbtypes.TargetHealthStateEnumHealthy {
					return fmt.Errorf("target %s:%d is %s", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), d.TargetHealth.State)
				}
				got++
			}
			if got != n {
				return fmt.Errorf("%d targets, want %d", got, n)
			}
			return nil
		})
	}
	healthy(3)

	// All three tasks answer through the listener.
	pids := map[int]bool{}
	eventually(t, 30*time.Second, "answers from 3 tasks", func() error {
		info, err := getInfoAt(fmt.Sprintf("http://127.0.0.1:%d/", a.port))
		if err != nil {
			return err
		}
		pids[info.PID] = true
		if len(pids) < 3 {
			return fmt.Errorf("answers from %d tasks so far", len(pids))
		}
		return nil
	})

	// Scale out and in under steady traffic: no request may fail.
	var sent, failed atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/products", a.port))
				sent.Add(1)
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					if err != nil {
						firstFailure.CompareAndSwap(nil, err.Error())
					} else {
						firstFailure.CompareAndSwap(nil, resp.Status)
					}
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	for _, n := range []int32{5, 1} {
		if _, err := s.ecs.UpdateService(ctx, &awsecs.UpdateServiceInput{Service: aws.String("api"), DesiredCount: aws.Int32(n)}); err != nil {
			t.Fatal(err)
		}
		healthy(int(n))
		eventually(t, 90*time.Second, fmt.Sprintf("%d tasks", n), func() error {
			list, err := s.ecs.ListTasks(ctx, &awsecs.ListTasksInput{ServiceName: aws.String("api")})
			if err != nil {
				return err
			}
			if len(list.TaskArns) != int(n) {
				return fmt.Errorf("%d tasks", len(list.TaskArns))
			}
			return nil
		})
	}
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || sent.Load() < 100 {
		t.Fatalf("%d of %d requests failed while scaling (first: %v)", failed.Load(), sent.Load(), firstFailure.Load())
	}
	t.Logf("%d requests while scaling 3 → 5 → 1, none failed", sent.Load())
}
