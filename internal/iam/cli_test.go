package iam_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAWSCLI drives IAM and STS with the installed aws CLI (botocore).
func TestAWSCLI(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws CLI not on PATH: .ci/run installs it")
		}
		t.Skip("aws CLI not on PATH")
	}
	e := newEnv(t)
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_ACCESS_KEY_ID=" + rootKey, "AWS_SECRET_ACCESS_KEY=" + rootSecret, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}
	if v := os.Getenv("PYENV_ROOT"); v != "" {
		env = append(env, "PYENV_ROOT="+v)
	}
	run := func(fail bool, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", e.srv.URL, "--output", "json"}, args...)...)
		cmd.Env = env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("running aws: %v", err)
		}
		if (err != nil) != fail {
			t.Fatalf("aws %v: error %v, want failure %v\nstdout: %s\nstderr: %s", args, err, fail, stdout.String(), stderr.String())
		}
		if fail {
			return stderr.String()
		}
		return stdout.String()
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
