package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
)

func TestEnvPrintsExports(t *testing.T) {
	dir := t.TempDir()
	var out, errOut strings.Builder
	if err := run([]string{"env", "--data-dir", dir, "--listen", "127.0.0.1:4999"}, &out, &errOut); err != nil {
		t.Fatalf("env: %v (%s)", err, errOut.String())
	}
	var creds struct{ AccessKeyID, SecretAccessKey string }
	raw, err := os.ReadFile(filepath.Join(dir, "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &creds); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(filepath.Join(dir, "credentials.json"))
	if info.Mode().Perm() != 0o600 {
		t.Errorf("credentials mode %v, want 0600", info.Mode().Perm())
	}
	want := []string{
		`export AWS_ENDPOINT_URL="http://127.0.0.1:4999"`,
		fmt.Sprintf("export AWS_ACCESS_KEY_ID=%q", creds.AccessKeyID),
		fmt.Sprintf("export AWS_SECRET_ACCESS_KEY=%q", creds.SecretAccessKey),
		`export AWS_REGION="us-east-1"`,
		`export AWS_DEFAULT_REGION="us-east-1"`,
	}
	if got := strings.Split(strings.TrimSpace(out.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("env printed:\n%s\nwant:\n%s", out.String(), strings.Join(want, "\n"))
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("WHARF_REGION", "eu-west-1")
	t.Setenv("WHARF_LISTEN", "127.0.0.1:5000")
	var out, errOut strings.Builder
	if err := run([]string{"env", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:5001"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `AWS_REGION="eu-west-1"`) {
		t.Errorf("WHARF_REGION not used: %s", out.String())
	}
	if !strings.Contains(out.String(), "127.0.0.1:5001") {
		t.Errorf("a command-line flag must win over WHARF_LISTEN: %s", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"bogus"}, {"up", "--driver", "nope", "--data-dir", "x"}, {"up", "--log-format", "xml"}, {"env", "extra"}} {
		var out, errOut strings.Builder
		if err := run(args, &out, &errOut); err == nil {
			t.Errorf("wharf %v succeeded, want an error", args)
		}
	}
	var out strings.Builder
	if err := run([]string{"version"}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "wharf ") {
		t.Errorf("version: %v %q", err, out.String())
	}
}

// TestUpSurvivesKill9 runs the real binary: it serves, stops cleanly on SIGINT, and
// keeps what it acknowledged across a SIGKILL.
func TestUpSurvivesKill9(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "wharf")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	addr := freeAddr(t)

	cmd := startUp(t, bin, dataDir, addr)
	client := ecsClient(t, dataDir, addr)
	for i := 0; i < 20; i++ {
		if _, err := client.CreateCluster(context.Background(), &awsecs.CreateClusterInput{ClusterName: aws.String(fmt.Sprintf("c%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()

	cmd = startUp(t, bin, dataDir, addr)
	out, err := client.ListClusters(context.Background(), &awsecs.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ClusterArns) < 20 {
		t.Fatalf("after kill -9: %d clusters, want the 20 acknowledged (plus default)", len(out.ClusterArns))
	}
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("wharf up after SIGINT: %v", err)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("wharf up did not stop within 20s of SIGINT")
	}
}

func startUp(t *testing.T, bin, dataDir, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "up", "--data-dir", dataDir, "--listen", addr, "--driver", "process")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/_wharf/health")
		if err == nil {
			var body struct{ Status string }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode == 200 && body.Status == "ready" {
				return cmd
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("wharf up not healthy within 20s")
	return nil
}

func ecsClient(t *testing.T, dataDir, addr string) *awsecs.Client {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ AccessKeyID, SecretAccessKey string }
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return awsecs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		BaseEndpoint: aws.String("http://" + addr),
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
