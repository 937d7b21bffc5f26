package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// envFunc returns a getenv function backed by m.
func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    config
		wantErr string
	}{
		{name: "missing PORT", env: map[string]string{}, wantErr: "PORT is not set"},
		{name: "non-numeric PORT", env: map[string]string{"PORT": "http"}, wantErr: `PORT="http" is not a valid TCP port`},
		{name: "zero PORT", env: map[string]string{"PORT": "0"}, wantErr: "not a valid TCP port"},
		{name: "PORT too large", env: map[string]string{"PORT": "65536"}, wantErr: "not a valid TCP port"},
		{
			name: "defaults",
			env:  map[string]string{"PORT": "8080"},
			want: config{Port: 8080, AppName: "productapi", Version: "dev"},
		},
		{
			name: "everything set",
			env:  map[string]string{"PORT": "9000", "PRODUCTS": "/p.json", "APP_NAME": "catalogue", "APP_VERSION": "1.2.3"},
			want: config{Port: 9000, ProductsFile: "/p.json", AppName: "catalogue", Version: "1.2.3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadConfig(envFunc(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadConfig() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("loadConfig() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadProducts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		wantIDs []string
		wantErr string
	}{
		{name: "valid", path: write("ok.json", `[{"id":"a","name":"A","price":1.5},{"id":"b","name":"B"}]`), wantIDs: []string{"a", "b"}},
		{name: "empty list", path: write("empty.json", `[]`), wantIDs: []string{}},
		{name: "missing file", path: filepath.Join(dir, "nope.json"), wantErr: "read PRODUCTS file"},
		{name: "not JSON", path: write("bad.json", `{not json`), wantErr: "want a JSON array of products"},
		{name: "object not array", path: write("obj.json", `{"id":"a"}`), wantErr: "want a JSON array of products"},
		{name: "missing id", path: write("noid.json", `[{"name":"A"}]`), wantErr: "product 0 has no id"},
		{name: "duplicate id", path: write("dup.json", `[{"id":"a"},{"id":"a"}]`), wantErr: `duplicate product id "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadProducts(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadProducts() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadProducts() error = %v", err)
			}
			ids := []string{}
			for _, p := range got {
				ids = append(ids, p.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
				t.Errorf("loadProducts() ids = %v, want %v", ids, tt.wantIDs)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	cfg := config{Port: 8080, AppName: "catalogue", Version: "9.9.9"}
	var logs bytes.Buffer
	h := newHandler(cfg, defaultProducts, slog.New(slog.NewJSONHandler(&logs, nil)))
	hostname, _ := os.Hostname()

	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantJSON   string // compared after decoding both sides; empty: not checked
		check      func(t *testing.T, body []byte)
	}{
		{
			name: "list", method: "GET", path: "/products", wantStatus: 200,
			check: func(t *testing.T, body []byte) {
				var got []Product
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("decode list: %v", err)
				}
				if len(got) != len(defaultProducts) || got[0] != defaultProducts[0] {
					t.Errorf("list = %+v, want %+v", got, defaultProducts)
				}
			},
		},
		{name: "get", method: "GET", path: "/products/3", wantStatus: 200,
			wantJSON: `{"id":"3","name":"Crane hook","description":"A forged steel crane hook.","price":42.25}`},
		{name: "unknown id", method: "GET", path: "/products/42", wantStatus: 404, wantJSON: `{"error":"product \"42\" not found"}`},
		{name: "health", method: "GET", path: "/health", wantStatus: 200, wantJSON: `{"status":"ok"}`},
		{
			name: "root", method: "GET", path: "/", wantStatus: 200,
			check: func(t *testing.T, body []byte) {
				var got struct {
					Service  string `json:"service"`
					Hostname string `json:"hostname"`
					PID      int    `json:"pid"`
					Version  string `json:"version"`
				}
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("decode root: %v", err)
				}
				if got.Service != "catalogue" || got.Version != "9.9.9" || got.PID != os.Getpid() || got.Hostname != hostname {
					t.Errorf("root = %+v, want service catalogue, version 9.9.9, pid %d, hostname %q", got, os.Getpid(), hostname)
				}
			},
		},
		{name: "unknown path", method: "GET", path: "/nope", wantStatus: 404},
		{name: "wrong method", method: "POST", path: "/products", wantStatus: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("%s %s status = %d, want %d; body %s", tt.method, tt.path, rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantJSON != "" {
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
				var got, want any
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatalf("decode body %q: %v", rec.Body, err)
				}
				if err := json.Unmarshal([]byte(tt.wantJSON), &want); err != nil {
					t.Fatal(err)
				}
				gotB, _ := json.Marshal(got)
				wantB, _ := json.Marshal(want)
				if !bytes.Equal(gotB, wantB) {
					t.Errorf("body = %s, want %s", gotB, wantB)
				}
			}
			if tt.check != nil {
				tt.check(t, rec.Body.Bytes())
			}
		})
	}
}

func TestRequestLogging(t *testing.T) {
	var logs bytes.Buffer
	h := newHandler(config{AppName: "productapi", Version: "dev"}, defaultProducts, slog.New(slog.NewJSONHandler(&logs, nil)))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/products/404", nil))

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want 1: %q", len(lines), logs.String())
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatalf("log line is not JSON: %v: %q", err, lines[0])
	}
	if entry["method"] != "GET" || entry["path"] != "/products/404" || entry["status"] != float64(404) {
		t.Errorf("log entry = %v, want method GET, path /products/404, status 404", entry)
	}
	if _, ok := entry["duration_ms"].(float64); !ok {
		t.Errorf("log entry has no numeric duration_ms: %v", entry)
	}
}

func TestRunConfigErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantErr  string
	}{
		{name: "missing PORT", env: map[string]string{}, wantCode: 1, wantErr: "productapi: PORT is not set"},
		{name: "bad PORT", env: map[string]string{"PORT": "-1"}, wantCode: 1, wantErr: "not a valid TCP port"},
		{name: "bad PRODUCTS", env: map[string]string{"PORT": "8080", "PRODUCTS": "/does/not/exist.json"}, wantCode: 1, wantErr: "read PRODUCTS file"},
		{name: "unknown flag", args: []string{"-nope"}, env: map[string]string{"PORT": "8080"}, wantCode: 2, wantErr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"serve"}, env: map[string]string{"PORT": "8080"}, wantCode: 2, wantErr: "unexpected arguments"},
		{name: "healthcheck without PORT", args: []string{"-healthcheck"}, env: map[string]string{}, wantCode: 1, wantErr: "healthcheck: PORT is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, envFunc(tt.env), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("run() = %d, want %d", code, tt.wantCode)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestCheckHealth(t *testing.T) {
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	livePort := u.Port()
	deadPort := strconv.Itoa(freePort(t))

	tests := []struct {
		name    string
		port    string
		status  int
		wantErr string
	}{
		{name: "healthy", port: livePort, status: 200},
		{name: "unhealthy status", port: livePort, status: 503, wantErr: "status 503, want 200"},
		{name: "nothing listening", port: deadPort, status: 200, wantErr: `Get "http://127.0.0.1:` + deadPort + `/health"`},
		{name: "no PORT", port: "", status: 200, wantErr: "PORT is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status.Store(int32(tt.status))
			err := checkHealth(tt.port, healthTimeout)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("checkHealth() error = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("checkHealth() error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestProcess builds the real binary, runs it, probes it, and stops it with SIGTERM.
func TestProcess(t *testing.T) {
	bin := buildBinary(t)
	port := strconv.Itoa(freePort(t))

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port, "APP_VERSION=test-1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}()

	base := "http://127.0.0.1:" + port
	waitHealthy(t, base+"/health", exited)

	body := httpGet(t, base+"/")
	if !strings.Contains(body, `"version":"test-1"`) || !strings.Contains(body, `"pid":`+strconv.Itoa(cmd.Process.Pid)) {
		t.Errorf("GET / = %s, want version test-1 and pid %d", body, cmd.Process.Pid)
	}

	if code := runHealthcheck(t, bin, port); code != 0 {
		t.Errorf("%s -healthcheck against live server: exit %d, want 0", bin, code)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("send SIGTERM: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("after SIGTERM: %v (want exit 0); stderr %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("process still running 30 s after SIGTERM")
	}
	if !strings.Contains(stdout.String(), `"msg":"request"`) || !strings.Contains(stdout.String(), `"path":"/health"`) {
		t.Errorf("stdout has no JSON request log for /health: %s", stdout.String())
	}

	if code := runHealthcheck(t, bin, port); code != 1 {
		t.Errorf("%s -healthcheck against a dead port: exit %d, want 1", bin, code)
	}
}

// buildBinary compiles the package in the current directory into a temp dir.
func buildBinary(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go tool not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "svc")
	build := exec.Command(gobin, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitHealthy polls url until it answers 200, failing if the process exits first.
func waitHealthy(t *testing.T, url string, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("process exited before becoming healthy: %v", err)
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", url)
}

// httpGet GETs url and returns the body, failing unless the status is 200.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// runHealthcheck runs "bin -healthcheck" with PORT=port and returns its exit code.
func runHealthcheck(t *testing.T, bin, port string) int {
	t.Helper()
	hc := exec.Command(bin, "-healthcheck")
	hc.Env = append(os.Environ(), "PORT="+port)
	out, err := hc.CombinedOutput()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		t.Logf("%s -healthcheck: %s", bin, out)
		return exitErr.ExitCode()
	default:
		t.Fatalf("run %s -healthcheck: %v", bin, err)
		return -1
	}
}
