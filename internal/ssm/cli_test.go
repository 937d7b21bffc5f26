package ssm

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAWSCLI drives the Parameter Store with the installed aws CLI (botocore), which has
// its own awsJson serializer and parser.
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
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_ACCESS_KEY_ID=AKIDCLI",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + home + "/config",
		"AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=1",
	}
	if v := os.Getenv("PYENV_ROOT"); v != "" {
		env = append(env, "PYENV_ROOT="+v)
	}
	run := func(fail bool, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", e.srv.URL, "--output", "json", "ssm"}, args...)...)
		cmd.Env = env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("running aws: %v", err)
		}
		if (err != nil) != fail {
			t.Fatalf("aws ssm %v: error %v, want failure %v\nstdout: %s\nstderr: %s", args, err, fail, stdout.String(), stderr.String())
		}
		if fail {
			return stderr.String()
		}
		return stdout.String()
	}

	out := run(false, "put-parameter", "--name", "/cli/db/password", "--value", "cli-s3cret", "--type", "SecureString")
	var put struct {
		Version int64
		Tier    string
	}
	if err := json.Unmarshal([]byte(out), &put); err != nil || put.Version != 1 || put.Tier != "Standard" {
		t.Fatalf("put-parameter output %q: %v", out, err)
	}
	var got struct {
		Parameter struct {
			Name, Type, Value, ARN string
			Version                int64
			LastModifiedDate       float64
		}
	}
	out = run(false, "get-parameter", "--name", "/cli/db/password", "--with-decryption")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("get-parameter output %q: %v", out, err)
	}
	p := got.Parameter
	if p.Name != "/cli/db/password" || p.Type != "SecureString" || p.Value != "cli-s3cret" || p.Version != 1 ||
		p.ARN != "arn:aws:ssm:us-east-1:000000000000:parameter/cli/db/password" || p.LastModifiedDate == 0 {
		t.Fatalf("get-parameter: %+v", p)
	}
	out = run(false, "get-parameter", "--name", "/cli/db/password")
	if strings.Contains(out, "cli-s3cret") {
		t.Fatalf("get-parameter without decryption shows the plaintext: %s", out)
	}
	stderr := run(true, "put-parameter", "--name", "/cli/db/password", "--value", "x", "--type", "SecureString")
	if !strings.Contains(stderr, "ParameterAlreadyExists") {
		t.Fatalf("second put: %s", stderr)
	}
	stderr = run(true, "get-parameter", "--name", "/cli/none")
	if !strings.Contains(stderr, "ParameterNotFound") {
		t.Fatalf("missing parameter: %s", stderr)
	}
	out = run(false, "get-parameters-by-path", "--path", "/cli", "--recursive", "--with-decryption")
	if !strings.Contains(out, `"Value": "cli-s3cret"`) {
		t.Fatalf("get-parameters-by-path: %s", out)
	}
}
