package iam_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/iam"
)

func (e *env) role(name string, maxDur int32) string {
	e.t.Helper()
	out, err := e.rootIAM().CreateRole(e.ctx, &iamsdk.CreateRoleInput{RoleName: aws.String(name), Path: aws.String("/app/"),
		AssumeRolePolicyDocument: aws.String(trustAll), MaxSessionDuration: aws.Int32(maxDur), Description: aws.String("d")})
	if err != nil {
		e.t.Fatalf("CreateRole %s: %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	c := e.rootIAM()
	arn := e.role("web", 7200)
	if arn != "arn:aws:iam::123456789012:role/app/web" {
		t.Fatalf("role ARN %s", arn)
	}
	for _, tc := range []struct {
		in   iamsdk.CreateRoleInput
		code string
	}{
		{iamsdk.CreateRoleInput{RoleName: aws.String("web"), AssumeRolePolicyDocument: aws.String(trustAll)}, "EntityAlreadyExists"},
		{iamsdk.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: aws.String(`{"BOGUS":1}`)}, "MalformedPolicyDocument"},
		{iamsdk.CreateRoleInput{RoleName: aws.String("r3"), AssumeRolePolicyDocument: aws.String(trustAll), MaxSessionDuration: aws.Int32(60)}, "ValidationError"},
		{iamsdk.CreateRoleInput{RoleName: aws.String("r4"), AssumeRolePolicyDocument: aws.String(trustAll), MaxSessionDuration: aws.Int32(50000)}, "ValidationError"},
	} {
		_, err := c.CreateRole(e.ctx, &tc.in)
		wantCode(t, err, tc.code, "")
	}
	got, err := c.GetRole(e.ctx, &iamsdk.GetRoleInput{RoleName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	r := got.Role
	if doc, _ := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); doc != trustAll || aws.ToInt32(r.MaxSessionDuration) != 7200 || !strings.HasPrefix(aws.ToString(r.RoleId), "AROA") || aws.ToString(r.Description) != "d" {
		t.Fatalf("GetRole: %+v", r)
	}
	_, err = c.GetRole(e.ctx, &iamsdk.GetRoleInput{RoleName: aws.String("nope")})
	wantType[*types.NoSuchEntityException](t, err)
	if _, err := c.UpdateRole(e.ctx, &iamsdk.UpdateRoleInput{RoleName: aws.String("web"), MaxSessionDuration: aws.Int32(3600), Description: aws.String("e")}); err != nil {
		t.Fatal(err)
	}
	newTrust := strings.Replace(trustAll, ":root", ":user/ci", 1)
	if _, err := c.UpdateAssumeRolePolicy(e.ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("web"), PolicyDocument: aws.String(newTrust)}); err != nil {
		t.Fatal(err)
	}
	role, ok, err := e.iam.Role(e.ctx, arn)
	if err != nil || !ok || role.AssumeRolePolicyDocument != newTrust || role.MaxSessionDuration != 3600 || role.Description != "e" {
		t.Fatalf("Role(%s): %+v %v %v", arn, role, ok, err)
	}
	if _, ok, _ := e.iam.Role(e.ctx, "arn:aws:iam::123456789012:role/web"); ok {
		t.Error("Role found under the wrong path")
	}
	lr, err := c.ListRoles(e.ctx, &iamsdk.ListRolesInput{PathPrefix: aws.String("/app/")})
	if err != nil || len(lr.Roles) != 1 {
		t.Fatalf("ListRoles: %+v %v", lr, err)
	}
	if _, err := c.TagRole(e.ctx, &iamsdk.TagRoleInput{RoleName: aws.String("web"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagRole(e.ctx, &iamsdk.UntagRoleInput{RoleName: aws.String("web"), TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListRoleTags(e.ctx, &iamsdk.ListRoleTagsInput{RoleName: aws.String("web")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "b" {
		t.Fatalf("ListRoleTags: %+v %v", tags, err)
	}
	if _, err := c.PutRolePolicy(e.ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("web"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readS3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(e.ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("web"), PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")}); err != nil {
		t.Fatal(err)
	}
	rp, err := c.GetRolePolicy(e.ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("web"), PolicyName: aws.String("p")})
	if err != nil || aws.ToString(rp.RoleName) != "web" {
		t.Fatalf("GetRolePolicy: %+v %v", rp, err)
	}
	lrp, err := c.ListRolePolicies(e.ctx, &iamsdk.ListRolePoliciesInput{RoleName: aws.String("web")})
	if err != nil || len(lrp.PolicyNames) != 1 {
		t.Fatalf("ListRolePolicies: %+v %v", lrp, err)
	}
	lar, err := c.ListAttachedRolePolicies(e.ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("web")})
	if err != nil || len(lar.AttachedPolicies) != 1 {
		t.Fatalf("ListAttachedRolePolicies: %+v %v", lar, err)
	}
	// The policies of an assumed-role session are the role's.
	docs, err := e.iam.PoliciesFor(e.ctx, awsapi.Principal{ARN: "arn:aws:sts::123456789012:assumed-role/web/s1"})
	if err != nil || len(docs) != 2 {
		t.Fatalf("PoliciesFor a session: %d %v", len(docs), err)
	}
	_, err = c.DeleteRole(e.ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("web")})
	wantType[*types.DeleteConflictException](t, err)
	if _, err := c.DeleteRolePolicy(e.ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("web"), PolicyName: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DetachRolePolicy(e.ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("web"), PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRole(e.ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	sum, err := c.GetAccountSummary(e.ctx, &iamsdk.GetAccountSummaryInput{})
	if err != nil || sum.SummaryMap["Roles"] != 0 || sum.SummaryMap["AccessKeysPerUserQuota"] != 2 {
		t.Fatalf("GetAccountSummary: %+v %v", sum, err)
	}
}

func TestAssumeRole(t *testing.T) {
	e := newEnv(t)
	arn := e.role("worker", 7200)
	s := e.rootSTS()
	id, err := s.GetCallerIdentity(e.ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:root" || aws.ToString(id.Account) != account {
		t.Fatalf("GetCallerIdentity as root: %+v %v", id, err)
	}
	out, err := s.AssumeRole(e.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("job-1"), DurationSeconds: aws.Int32(900),
		Policy: aws.String(readS3), Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("x")}}})
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	if !strings.HasPrefix(aws.ToString(cr.AccessKeyId), "ASIA") || len(aws.ToString(cr.AccessKeyId)) != 20 || len(aws.ToString(cr.SessionToken)) < 100 ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/worker/job-1" || !strings.HasSuffix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":job-1") {
		t.Fatalf("AssumeRole: %+v %+v", cr, out.AssumedRoleUser)
	}
	if d := time.Until(aws.ToTime(cr.Expiration)); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("Expiration in %v, want 15m", d)
	}
	key, ok, err := e.keys.Lookup(e.ctx, aws.ToString(cr.AccessKeyId))
	if err != nil || !ok || key.RoleArn != arn || key.SessionPolicy != readS3 || key.SessionName != "job-1" || key.SessionTags["team"] != "x" {
		t.Fatalf("stored session key: %+v %v %v", key, ok, err)
	}

	sess := e.stsAs(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	id, err = sess.GetCallerIdentity(e.ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::123456789012:assumed-role/worker/job-1" || aws.ToString(id.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Fatalf("GetCallerIdentity as the role: %+v %v", id, err)
	}
	// Without the token, or with another session's token, the key is refused.
	_, err = e.stsAs(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), "").GetCallerIdentity(e.ctx, &stssdk.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId", "")
	// Role chaining is limited to an hour; session credentials cannot GetSessionToken.
	_, err = sess.AssumeRole(e.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("chain"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError", "role chaining")
	_, err = sess.GetSessionToken(e.ctx, &stssdk.GetSessionTokenInput{})
	wantCode(t, err, "AccessDenied", "session credentials")

	// Past the expiry, the credentials are refused.
	e.clock.Advance(901 * time.Second)
	_, err = sess.GetCallerIdentity(e.ctx, &stssdk.GetCallerIdentityInput{})
	wantExpired(t, err)

	for _, tc := range []struct {
		in   stssdk.AssumeRoleInput
		code string
		msg  string
	}{
		{stssdk.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("a")}, "ValidationError", "roleSessionName"},
		{stssdk.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("ok"), DurationSeconds: aws.Int32(600)}, "ValidationError", "greater than or equal to 900"},
		{stssdk.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("ok"), DurationSeconds: aws.Int32(7201)}, "ValidationError", "MaxSessionDuration"},
		{stssdk.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("ok"), Policy: aws.String("{")}, "MalformedPolicyDocument", ""},
		{stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/missing"), RoleSessionName: aws.String("ok")}, "AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/missing"},
	} {
		_, err := s.AssumeRole(e.ctx, &tc.in)
		wantCode(t, err, tc.code, tc.msg)
	}
	_, err = s.AssumeRole(e.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("ok"), Policy: aws.String("{")})
	wantType[*ststypes.MalformedPolicyDocumentException](t, err)

	// A trust policy that refuses the caller.
	e.authorize = func(p awsapi.Principal, role iam.Role) error { return errors.New("not trusted") }
	_, err = s.AssumeRole(e.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("ok")})
	wantCode(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:root is not authorized to perform: sts:AssumeRole on resource: "+arn)

	// In process: task-role credentials work through the gateway.
	tc, err := e.sts.CredentialsFor(e.ctx, arn, "task-abc", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, err = e.stsAs(tc.AccessKeyId, tc.SecretAccessKey, tc.SessionToken).GetCallerIdentity(e.ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::123456789012:assumed-role/worker/task-abc" {
		t.Fatalf("CredentialsFor identity: %+v %v", id, err)
	}
	if _, err := e.sts.CredentialsFor(e.ctx, "arn:aws:iam::123456789012:role/none", "x1", time.Hour); err == nil {
		t.Error("CredentialsFor a missing role succeeded")
	}
}

func TestGetSessionToken(t *testing.T) {
	e := newEnv(t)
	c := e.rootIAM()
	if _, err := c.CreateUser(e.ctx, &iamsdk.CreateUserInput{UserName: aws.String("ci")}); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAccessKey(e.ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("ci")})
	if err != nil {
		t.Fatal(err)
	}
	user := e.stsAs(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	out, err := user.GetSessionToken(e.ctx, &stssdk.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 11*time.Hour || d > 13*time.Hour {
		t.Errorf("default GetSessionToken duration %v, want 12h", d)
	}
	cr := out.Credentials
	sess := e.stsAs(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	id, err := sess.GetCallerIdentity(e.ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/ci" {
		t.Fatalf("identity of a session token: %+v %v", id, err)
	}
	for _, tc := range []struct {
		c   *stssdk.Client
		dur int32
		ok  bool
	}{
		{user, 899, false}, {user, 129600, true}, {user, 129601, false},
		{e.rootSTS(), 3600, true}, {e.rootSTS(), 3601, false},
	} {
		_, err := tc.c.GetSessionToken(e.ctx, &stssdk.GetSessionTokenInput{DurationSeconds: aws.Int32(tc.dur)})
		if (err == nil) != tc.ok {
			t.Errorf("GetSessionToken %d: %v, want ok=%v", tc.dur, err, tc.ok)
		}
		if err != nil {
			wantCode(t, err, "ValidationError", "durationSeconds")
		}
	}
	// Expired session tokens are refused, and pruned when new ones are issued.
	e.clock.Advance(13 * time.Hour)
	_, err = sess.GetCallerIdentity(e.ctx, &stssdk.GetCallerIdentityInput{})
	wantExpired(t, err)
	if _, err := user.GetSessionToken(e.ctx, &stssdk.GetSessionTokenInput{DurationSeconds: aws.Int32(900)}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := e.keys.Lookup(e.ctx, aws.ToString(cr.AccessKeyId)); ok {
		t.Error("expired key not pruned")
	}
}

// wantExpired checks that err refuses expired temporary credentials with AWS's
// ExpiredToken.
func wantExpired(t *testing.T, err error) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "ExpiredToken") || !strings.Contains(err.Error(), "The security token included in the request is expired") {
		t.Fatalf("error %v, want expired credentials refused", err)
	}
}
