package iam_test

import (
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
)

// TestAWSCLI drives IAM and STS with the installed aws CLI (botocore).
func TestAWSCLI(t *testing.T) {
	e := newEnv(t)
	cli := gatewaytest.NewAWSCLI(t, e.url, rootKey, rootSecret)
	run := func(fail bool, args ...string) string {
		t.Helper()
		return cli.Expect(t, fail, args...)
	}
	out := run(false, "iam", "create-user", "--user-name", "cli-user")
	if !strings.Contains(out, `"Arn": "arn:aws:iam::123456789012:user/cli-user"`) {
		t.Errorf("create-user:\n%s", out)
	}
	out = run(false, "sts", "get-caller-identity")
	if !strings.Contains(out, `"Arn": "arn:aws:iam::123456789012:root"`) || !strings.Contains(out, `"Account": "123456789012"`) {
		t.Errorf("get-caller-identity:\n%s", out)
	}
	run(false, "iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", trustAll)
	// botocore URL-decodes policy documents back to JSON.
	out = run(false, "iam", "get-role", "--role-name", "cli-role")
	if !strings.Contains(out, `"Action": "sts:AssumeRole"`) {
		t.Errorf("get-role did not show the decoded trust policy:\n%s", out)
	}
	out = run(false, "sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/cli-role", "--role-session-name", "cli")
	if !strings.Contains(out, `"Arn": "arn:aws:sts::123456789012:assumed-role/cli-role/cli"`) || !strings.Contains(out, `"SessionToken": "`) {
		t.Errorf("assume-role:\n%s", out)
	}
	out = run(true, "iam", "get-user", "--user-name", "nobody")
	if !strings.Contains(out, "(NoSuchEntity)") {
		t.Errorf("get-user of a missing user:\n%s", out)
	}
}
