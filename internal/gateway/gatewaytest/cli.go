package gatewaytest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// AWSCLI runs the installed aws CLI (botocore) against one endpoint, with a clean
// environment: static credentials, region us-east-1, no config files, no pager, no
// instance metadata and no retries.
type AWSCLI struct {
	bin      string
	endpoint string
	env      []string
}

// Result is what one run of the aws CLI printed, and how it ended: Err is nil when
// it exited 0, an *exec.ExitError otherwise.
type Result struct {
	Stdout, Stderr string
	Err            error
}

// NewAWSCLI finds aws on PATH and returns a runner that sends to endpoint, signing
// with keyID and secret. Without aws on PATH it skips the test, or fails it when the
// CI variable is set (CI installs the CLI).
func NewAWSCLI(t testing.TB, endpoint, keyID, secret string) *AWSCLI {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws CLI not on PATH: .ci/run installs it")
		}
		t.Skip("aws CLI not on PATH")
	}
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_ACCESS_KEY_ID=" + keyID,
		"AWS_SECRET_ACCESS_KEY=" + secret,
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
	return &AWSCLI{bin: bin, endpoint: endpoint, env: env}
}

// Run runs `aws --endpoint-url <endpoint> --output json args...` with a one-minute
// limit. It fails the test only when aws could not be run at all.
func (c *AWSCLI) Run(t testing.TB, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"--endpoint-url", c.endpoint, "--output", "json"}, args...)...)
	cmd.Env = c.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running aws: %v", err)
	}
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// Expect runs aws with args and fails the test unless it failed exactly when fail is
// set. It returns stderr for an expected failure, stdout otherwise.
func (c *AWSCLI) Expect(t testing.TB, fail bool, args ...string) string {
	t.Helper()
	r := c.Run(t, args...)
	if (r.Err != nil) != fail {
		t.Fatalf("aws %v: error %v, want failure %v\nstdout: %s\nstderr: %s", args, r.Err, fail, r.Stdout, r.Stderr)
	}
	if fail {
		return r.Stderr
	}
	return r.Stdout
}
