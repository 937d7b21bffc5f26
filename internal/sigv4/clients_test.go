package sigv4

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// The clients below sign with the real clock, so the verifier uses it too.

func TestSDKClient(t *testing.T) {
	tests := []struct {
		name     string
		creds    aws.Credentials
		wantKind Kind
	}{
		{name: "long-term key", creds: credsOf(keyLong)},
		{name: "session token", creds: credsOf(keyTemp)},
		{name: "wrong secret", creds: aws.Credentials{AccessKeyID: keyLong.AccessKeyID, SecretAccessKey: "wrong"}, wantKind: BadSignature},
		{name: "unknown key", creds: aws.Credentials{AccessKeyID: "AKIDNOPE", SecretAccessKey: "x"}, wantKind: UnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, &Verifier{Lookup: testLookup})
			client := ecs.New(ecs.Options{
				Region:           "us-east-1",
				BaseEndpoint:     aws.String(h.srv.URL),
				RetryMaxAttempts: 1,
				Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
					return tt.creds, nil
				}),
			})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, callErr := client.ListClusters(ctx, &ecs.ListClustersInput{MaxResults: aws.Int32(5)})

			h.mu.Lock()
			calls, res, verr := h.calls, h.res, h.err
			h.mu.Unlock()
			if calls != 1 {
				t.Fatalf("server saw %d requests, want 1 (client error: %v)", calls, callErr)
			}
			checkOutcome(t, verr, tt.wantKind, "")
			if tt.wantKind != 0 {
				if callErr == nil {
					t.Fatal("ListClusters succeeded although verification failed")
				}
				return
			}
			if callErr != nil {
				t.Fatalf("ListClusters: %v", callErr)
			}
			if res.AccessKeyID != tt.creds.AccessKeyID || res.Service != "ecs" || res.Region != "us-east-1" || res.Presigned {
				t.Errorf("Result = %+v", res)
			}
		})
	}
}

// awsEnv is a clean environment for the aws CLI and Python: no user config.
func awsEnv(t *testing.T, k Key) []string {
	t.Helper()
	dir := t.TempDir()
	env := []string{
		"HOME=" + dir,
		"PATH=" + os.Getenv("PATH"),
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID=" + k.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + k.SecretAccessKey,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}
	if k.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+k.SessionToken)
	}
	// pyenv shims need to find their root.
	for _, name := range []string{"PYENV_ROOT", "PYENV_VERSION"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return env
}

func TestAWSCLI(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws CLI not on PATH: .ci/run installs it")
		}
		t.Skip("aws CLI not on PATH")
	}
	tests := []struct {
		name     string
		key      Key
		wantKind Kind
	}{
		{name: "long-term key", key: keyLong},
		{name: "session token", key: keyTemp},
		{name: "wrong secret", key: Key{AccessKeyID: keyLong.AccessKeyID, SecretAccessKey: "wrong"}, wantKind: BadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, &Verifier{Lookup: testLookup})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, awsPath, "--endpoint-url", h.srv.URL, "ecs", "list-clusters")
			cmd.Env = awsEnv(t, tt.key)
			out, runErr := cmd.CombinedOutput()

			h.mu.Lock()
			calls, res, verr := h.calls, h.res, h.err
			h.mu.Unlock()
			if calls != 1 {
				t.Fatalf("server saw %d requests, want 1; aws said: %v\n%s", calls, runErr, out)
			}
			checkOutcome(t, verr, tt.wantKind, "")
			if tt.wantKind != 0 {
				if runErr == nil {
					t.Fatalf("aws succeeded although verification failed:\n%s", out)
				}
				return
			}
			if runErr != nil {
				t.Fatalf("aws ecs list-clusters: %v\n%s", runErr, out)
			}
			if res.AccessKeyID != tt.key.AccessKeyID || res.Service != "ecs" || res.Region != "us-east-1" {
				t.Errorf("Result = %+v", res)
			}
		})
	}
}

// botocoreScript signs requests with botocore's SigV4Auth and SigV4QueryAuth
// (the code the aws CLI uses) for paths and queries the CLI's ECS calls never
// produce, and sends them with urllib. argv: endpoint, then method path pairs.
const botocoreScript = `
import sys, urllib.request, urllib.error
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

creds = Credentials(sys.argv[1], sys.argv[2])
endpoint = sys.argv[3]
for mode, method, target in zip(sys.argv[4::3], sys.argv[5::3], sys.argv[6::3]):
    data = b'{"a": 1}' if method == "POST" else None
    req = AWSRequest(method=method, url=endpoint + target, data=data,
                     headers={"Content-Type": "application/json", "X-Custom": "  a   b  "})
    if mode == "presign":
        SigV4QueryAuth(creds, "execute-api", "us-east-1", expires=60).add_auth(req)
    else:
        SigV4Auth(creds, "execute-api", "us-east-1").add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=prepared.body, method=method,
                               headers=dict(prepared.headers.items()))
    try:
        urllib.request.urlopen(r).read()
        print("ok", mode, method, target)
    except urllib.error.HTTPError as e:
        print("FAIL", mode, method, target, e.code, e.read().decode())
`

func TestBotocoreSigner(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	if err := exec.Command(python, "-c", "import botocore").Run(); err != nil {
		t.Skip("botocore not importable")
	}
	h := newHarness(t, &Verifier{Lookup: testLookup})
	args := []string{"-c", botocoreScript, keyLong.AccessKeyID, keyLong.SecretAccessKey, h.srv.URL}
	var want int
	for _, target := range []string{
		"/",
		"/prod/items/a%20b",
		"/prod/items/a+b/%E2%82%AC",
		"/prod/./items/../items//x",
		"/prod/items/?b=2&a=1&a=0&c=x%20y&empty=",
		"/prod/items?q=%2F%3D%26",
	} {
		for _, mode := range []string{"header", "presign"} {
			for _, method := range []string{"GET", "POST"} {
				if mode == "presign" && method == "POST" {
					continue // botocore moves a presigned body into the query
				}
				args = append(args, mode, method, target)
				want++
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Env = awsEnv(t, keyLong)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	text := string(out)
	if strings.Contains(text, "FAIL") || strings.Count(text, "ok ") != want {
		t.Fatalf("botocore-signed requests (want %d ok):\n%s", want, text)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.calls != want {
		t.Fatalf("server saw %d requests, want %d", h.calls, want)
	}
}
