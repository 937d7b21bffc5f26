package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// newUser creates an IAM user with an access key and, when doc is not empty, an
// inline policy; it returns the key.
func newUser(t testing.TB, s *server, name, doc string) (string, string) {
	t.Helper()
	ctx := context.Background()
	c := awsiam.NewFromConfig(s.awsConfig())
	if _, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: &name}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if doc != "" {
		if _, err := c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: &name, PolicyName: aws.String("p"), PolicyDocument: &doc}); err != nil {
			t.Fatalf("PutUserPolicy: %v", err)
		}
	}
	key, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: &name})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	return aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
}

func (s *server) configAs(id, secret, token string) aws.Config {
	cfg := s.awsConfig()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(id, secret, token)
	return cfg
}

// TestPoliciesAreEnforced: a user can do what its policy allows and nothing else;
// deny overrides allow.
func TestPoliciesAreEnforced(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	id, secret := newUser(t, s, "alice", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ecs:*","Resource":"*"},
		{"Effect":"Deny","Action":"ecs:DeleteCluster","Resource":"*"}]}`)
	alice := awsecs.NewFromConfig(s.configAs(id, secret, ""))
	if _, err := alice.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("alices")}); err != nil {
		t.Fatalf("allowed CreateCluster: %v", err)
	}
	_, err := alice.DeleteCluster(ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("alices")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" ||
		!strings.Contains(apiErr.ErrorMessage(), "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: ecs:DeleteCluster on resource: arn:aws:ecs:us-east-1:000000000000:cluster/alices with an explicit deny") {
		t.Fatalf("denied DeleteCluster: %v", err)
	}
	_, err = awsiam.NewFromConfig(s.configAs(id, secret, "")).ListUsers(ctx, &awsiam.ListUsersInput{})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Fatalf("ListUsers without a policy allowing it: %v", err)
	}
	who, err := awssts.NewFromConfig(s.configAs(id, secret, "")).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::000000000000:user/alice" {
		t.Fatalf("GetCallerIdentity: %v %+v", err, who)
	}
}

// TestAssumedRoleCredentials: a role's temporary credentials carry the role's
// permissions, are refused for callers the trust policy does not name, and stop
// working once they expire.
func TestAssumedRoleCredentials(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	c := awsiam.NewFromConfig(s.awsConfig())
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: &trust}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if _, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("deployer"), PolicyName: aws.String("ecs"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:ListClusters","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	bobID, bobSecret := newUser(t, s, "bob", "")
	carolID, carolSecret := newUser(t, s, "carol", "")
	roleArn := "arn:aws:iam::000000000000:role/deployer"
	var apiErr smithy.APIError
	if _, err := awssts.NewFromConfig(s.configAs(carolID, carolSecret, "")).AssumeRole(ctx, &awssts.AssumeRoleInput{
		RoleArn: &roleArn, RoleSessionName: aws.String("carol")}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Fatalf("carol assumed a role whose trust policy names only bob: %v", err)
	}
	out, err := awssts.NewFromConfig(s.configAs(bobID, bobSecret, "")).AssumeRole(ctx, &awssts.AssumeRoleInput{
		RoleArn: &roleArn, RoleSessionName: aws.String("deploy-1"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("bob's AssumeRole: %v", err)
	}
	cr := out.Credentials
	role := s.configAs(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	if _, err := awsecs.NewFromConfig(role).ListClusters(ctx, &awsecs.ListClustersInput{}); err != nil {
		t.Fatalf("the role's ListClusters: %v", err)
	}
	if _, err := awsecs.NewFromConfig(role).CreateCluster(ctx, &awsecs.CreateClusterInput{}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("the role's CreateCluster: %v", err)
	}
	who, err := awssts.NewFromConfig(role).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::000000000000:assumed-role/deployer/deploy-1" {
		t.Fatalf("GetCallerIdentity as the role: %v %+v", err, who)
	}
	// A session token of another session does not go with this key.
	other, err := awssts.NewFromConfig(s.configAs(bobID, bobSecret, "")).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: &roleArn, RoleSessionName: aws.String("deploy-2")})
	if err != nil {
		t.Fatal(err)
	}
	mixed := s.configAs(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(other.Credentials.SessionToken))
	if _, err := awsecs.NewFromConfig(mixed).ListClusters(ctx, &awsecs.ListClustersInput{}); err == nil {
		t.Fatal("a session token from another session was accepted")
	}
	// The session lasts what was asked for (expiry itself is tested in internal/iam
	// with a controlled clock).
	if d := time.Until(aws.ToTime(cr.Expiration)); d > 15*time.Minute || d < 14*time.Minute {
		t.Fatalf("a 900-second session expires in %v", d)
	}
}

// TestEveryOperationIsAuthorized sends every registered operation of every service,
// signed by a user with no policy: each must be refused with AccessDenied before it
// runs, except the few that AWS lets every principal call.
func TestEveryOperationIsAuthorized(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	id, secret := newUser(t, s, "nobody", "")
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	checked := 0
	for _, svc := range s.app.Services() {
		for _, name := range svc.OperationNames() {
			op := svc.Operations[name]
			if op.Unauthorized || op.Anonymous {
				continue
			}
			status, body := signedCall(t, s, svc, name, creds)
			want := "AccessDeniedException"
			if svc.Speaks(awsapi.Query) {
				want = "<Code>AccessDenied</Code>"
			}
			if !strings.Contains(body, want) {
				t.Errorf("%s:%s by a user with no policy: %d %.200s", svc.SigningName, name, status, body)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d operations", checked)
	}
	t.Logf("%d operations refused to a user with no policy", checked)
}

// signedCall sends an empty request for operation op of svc, signed with creds.
func signedCall(t *testing.T, s *server, svc *awsapi.Service, op string, creds aws.Credentials) (int, string) {
	t.Helper()
	var body []byte
	header := http.Header{}
	if svc.Speaks(awsapi.Query) {
		body = []byte(url.Values{"Action": {op}, "Version": {svc.QueryVersion}}.Encode())
		header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		body = []byte("{}")
		header.Set("Content-Type", "application/x-amz-json-1.1")
		header.Set("X-Amz-Target", svc.TargetPrefix+"."+op)
	}
	req, err := http.NewRequest("POST", s.app.Endpoint()+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), svc.SigningName, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String()
}
