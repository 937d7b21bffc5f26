package ssm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
)

// TestAWSCLI drives the Parameter Store with the installed aws CLI (botocore), which has
// its own awsJson serializer and parser.
func TestAWSCLI(t *testing.T) {
	e := newEnv(t)
	cli := gatewaytest.NewAWSCLI(t, e.url, "AKIDCLI", "secret")
	run := func(fail bool, args ...string) string {
		t.Helper()
		return cli.Expect(t, fail, append([]string{"ssm"}, args...)...)
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
