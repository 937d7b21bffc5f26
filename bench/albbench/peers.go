package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Every contender gets rules-1 path rules that do not match the benchmark's requests
// (to /), then the rule that forwards them, as the reference setups do: nginx keeps
// idle upstream connections (keepalive 64) and long keep-alive on both sides, HAProxy
// runs two threads and reuses server connections.

func startNginx(dir string, port, upstream, rules int) (*exec.Cmd, error) {
	var locs strings.Builder
	for i := 1; i < rules; i++ {
		fmt.Fprintf(&locs, "    location /rule-%d/ { return 404; }\n", i)
	}
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 2;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  upstream up { server 127.0.0.1:%[2]d; keepalive 64; keepalive_requests 100000; }
  server {
    listen 127.0.0.1:%[3]d reuseport;
%[4]s    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`, dir, upstream, port, locs.String())
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return background("nginx", "-c", path, "-p", dir)
}

func startHAProxy(dir string, port, upstream, rules int) (*exec.Cmd, error) {
	var acls strings.Builder
	for i := 1; i < rules; i++ {
		fmt.Fprintf(&acls, "  acl r%d path_beg /rule-%d/\n  http-request return status 404 if r%d\n", i, i, i)
	}
	conf := fmt.Sprintf(`global
  nbthread 2
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend fe
  bind 127.0.0.1:%d
%s  default_backend be
backend be
  server s1 127.0.0.1:%d
`, port, acls.String(), upstream)
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return background("haproxy", "-f", path)
}

func startCaddy(dir string, port, upstream, rules int) (*exec.Cmd, error) {
	var handles strings.Builder
	for i := 1; i < rules; i++ {
		fmt.Fprintf(&handles, "  handle /rule-%d/* {\n    respond 404\n  }\n", i)
	}
	conf := fmt.Sprintf(`{
  admin off
  auto_https off
}
http://127.0.0.1:%d {
%s  handle {
    reverse_proxy 127.0.0.1:%d
  }
}
`, port, handles.String(), upstream)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command("caddy", "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	cmd.Stdout, cmd.Stderr = nil, nil
	return cmd, cmd.Start()
}

// startWharf runs `wharf up` and configures, through the ELBv2 API, a load balancer
// whose listener on port has rules-1 non-matching path rules and a default rule that
// forwards to a target group with the upstream as an ip target.
func startWharf(bin, dir string, port, upstream, rules int) (*exec.Cmd, error) {
	api := freePort()
	cmd, err := background(bin, "up", "--listen", fmt.Sprintf("127.0.0.1:%d", api), "--data-dir", dir,
		"--driver", "process", "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/_wharf/health", api)); err != nil {
		stop(cmd)
		return nil, err
	}
	if err := configureALB(dir, api, port, upstream, rules); err != nil {
		stop(cmd)
		return nil, err
	}
	return cmd, nil
}

func configureALB(dir string, api, port, upstream, rules int) error {
	raw, err := os.ReadFile(filepath.Join(dir, "credentials.json"))
	if err != nil {
		return err
	}
	var creds struct{ AccessKeyID, SecretAccessKey string }
	if err := json.Unmarshal(raw, &creds); err != nil {
		return err
	}
	c := elb.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""),
		BaseEndpoint: aws.String(fmt.Sprintf("http://127.0.0.1:%d", api)),
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lb, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("bench"), Subnets: []string{"subnet-1", "subnet-2"}})
	if err != nil {
		return fmt.Errorf("create load balancer: %w", err)
	}
	tg, err := c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("bench"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(upstream)),
		VpcId: aws.String("vpc-1"), TargetType: elbtypes.TargetTypeEnumIp,
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2), HealthyThresholdCount: aws.Int32(2),
	})
	if err != nil {
		return fmt.Errorf("create target group: %w", err)
	}
	tgArn := tg.TargetGroups[0].TargetGroupArn
	if _, err := c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tgArn,
		Targets: []elbtypes.TargetDescription{{Id: aws.String("127.0.0.1"), Port: aws.Int32(int32(upstream))}}}); err != nil {
		return fmt.Errorf("register target: %w", err)
	}
	l, err := c.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(port)),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgArn}},
	})
	if err != nil {
		return fmt.Errorf("create listener: %w", err)
	}
	for i := 1; i < rules; i++ {
		_, err := c.CreateRule(ctx, &elb.CreateRuleInput{
			ListenerArn: l.Listeners[0].ListenerArn, Priority: aws.Int32(int32(i)),
			Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{fmt.Sprintf("/rule-%d/*", i)}}},
			Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse,
				FixedResponseConfig: &elbtypes.FixedResponseActionConfig{StatusCode: aws.String("404")}}},
		})
		if err != nil {
			return fmt.Errorf("create rule %d: %w", i, err)
		}
	}
	// Wait for the target to pass its health checks.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		h, err := c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tgArn})
		if err == nil && len(h.TargetHealthDescriptions) == 1 && h.TargetHealthDescriptions[0].TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
			return nil
		}
	}
	return fmt.Errorf("the upstream target did not become healthy")
}
