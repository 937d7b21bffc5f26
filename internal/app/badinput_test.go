package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// rawECS sends body to the ECS endpoint as operation op, signed with the root key
// unless unsigned, and returns the status, the error code header and the body.
func rawECS(t *testing.T, s *server, op string, body []byte, unsigned bool) (int, string, string) {
	return rawECSScoped(t, s, op, body, unsigned, "ecs")
}

// rawECSScoped is rawECS with the signature scoped to signingName.
func rawECSScoped(t *testing.T, s *server, op string, body []byte, unsigned bool, signingName string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("POST", s.app.Endpoint()+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+op)
	if !unsigned {
		c := s.app.Credentials()
		sum := sha256.Sum256(body)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey},
			req, hex.EncodeToString(sum[:]), signingName, "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("%s: response has no x-amzn-RequestId", op)
	}
	var e struct {
		Type string `json:"__type"`
	}
	_ = json.Unmarshal(raw, &e)
	return resp.StatusCode, e.Type, string(raw)
}

func TestBadRequests(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	cases := []struct {
		name     string
		op       string
		body     string
		unsigned bool
		status   int
		code     string
	}{
		{"unsigned", "ListClusters", `{}`, true, 403, "MissingAuthenticationTokenException"},
		{"malformed JSON", "ListClusters", `{"maxResults":`, false, 400, "SerializationException"},
		{"wrong type", "CreateService", `{"serviceName":"x","desiredCount":"three"}`, false, 400, "SerializationException"},
		{"unknown operation", "LaunchRockets", `{}`, false, 400, "UnknownOperationException"},
		{"missing required field", "CreateService", `{"taskDefinition":"x"}`, false, 400, "InvalidParameterException"},
		{"missing family", "RegisterTaskDefinition", `{"containerDefinitions":[{"name":"a","image":"b","memory":1}]}`, false, 400, "ClientException"},
		{"oversized body", "ListClusters", `{"x":"` + strings.Repeat("a", 20<<20) + `"}`, false, 413, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, code, body := rawECS(t, s, tc.op, []byte(tc.body), tc.unsigned)
			if status != tc.status || (tc.code != "" && !strings.HasSuffix(code, tc.code)) {
				t.Fatalf("status %d code %q, want %d %q; body %.300s", status, code, tc.status, tc.code, body)
			}
			if !strings.Contains(body, "message") {
				t.Fatalf("error body has no message: %.300s", body)
			}
		})
	}
}

func TestSignatureScopedToAnotherService(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	status, code, body := rawECSScoped(t, s, "ListClusters", []byte(`{}`), false, "ssm")
	if status != 403 || code != "InvalidSignatureException" || !strings.Contains(body, "Credential should be scoped to correct service: 'ecs'") {
		t.Fatalf("status %d code %q body %s", status, code, body)
	}
}

func TestBadCredentials(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	c := s.app.Credentials()
	for _, tc := range []struct {
		name, key, secret, code string
	}{
		{"wrong secret", c.AccessKeyID, c.SecretAccessKey + "x", "InvalidSignatureException"},
		{"unknown key", "AKIANOSUCHKEY0000000", c.SecretAccessKey, "UnrecognizedClientException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := s.awsConfig()
			cfg.Credentials = credentials.NewStaticCredentialsProvider(tc.key, tc.secret, "")
			_, err := awsecs.NewFromConfig(cfg).ListClusters(context.Background(), &awsecs.ListClustersInput{})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
				t.Fatalf("ListClusters = %v, want %s", err, tc.code)
			}
		})
	}
}

// TestMissingImage runs tasks whose image cannot be had: a missing executable on the
// process driver, and a Docker image that is not present (or no engine at all).
func TestMissingImage(t *testing.T) {
	s := startServer(t, t.TempDir(), "auto")
	ctx := context.Background()
	for _, tc := range []struct{ name, image, want string }{
		{"missing executable", "process:/nonexistent/wharf-test-binary", "CannotPullContainerError"},
		{"missing docker image", "wharf-test/does-not-exist:1", "CannotPullContainerError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ecs.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{
				Family: aws.String("missing"),
				ContainerDefinitions: []ecstypes.ContainerDefinition{{
					Name: aws.String("c"), Image: aws.String(tc.image), Memory: aws.Int32(16),
				}},
			})
			if err != nil {
				t.Fatal(err)
			}
			run, err := s.ecs.RunTask(ctx, &awsecs.RunTaskInput{TaskDefinition: aws.String("missing")})
			if err != nil || len(run.Tasks) != 1 {
				t.Fatalf("RunTask: %v %+v", err, run)
			}
			arn := aws.ToString(run.Tasks[0].TaskArn)
			eventually(t, 60*time.Second, "task stopped", func() error {
				out, err := s.ecs.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Tasks: []string{arn}})
				if err != nil {
					return err
				}
				task := out.Tasks[0]
				if aws.ToString(task.LastStatus) != "STOPPED" {
					return fmt.Errorf("lastStatus %s", aws.ToString(task.LastStatus))
				}
				if task.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || !strings.Contains(aws.ToString(task.StoppedReason), tc.want) {
					t.Fatalf("stopCode %s stoppedReason %q, want TaskFailedToStart and %s", task.StopCode, aws.ToString(task.StoppedReason), tc.want)
				}
				return nil
			})
		})
	}
}
