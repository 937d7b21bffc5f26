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
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
		{name: "missing PORT", env: map[string]string{"PRODUCT_API_URL": "http://127.0.0.1:8081"}, wantErr: "PORT is not set"},
		{name: "bad PORT", env: map[string]string{"PORT": "80a", "PRODUCT_API_URL": "http://127.0.0.1:8081"}, wantErr: `PORT="80a" is not a valid TCP port`},
		{name: "missing PRODUCT_API_URL", env: map[string]string{"PORT": "8080"}, wantErr: "PRODUCT_API_URL is not set"},
		{name: "URL without scheme", env: map[string]string{"PORT": "8080", "PRODUCT_API_URL": "127.0.0.1:8081"}, wantErr: "is not a valid URL"},
		{name: "URL with other scheme", env: map[string]string{"PORT": "8080", "PRODUCT_API_URL": "ftp://api:21"}, wantErr: "must be an absolute http or https URL"},
		{name: "relative URL", env: map[string]string{"PORT": "8080", "PRODUCT_API_URL": "/products"}, wantErr: "must be an absolute http or https URL"},
		{
			name: "defaults, trailing slash trimmed",
			env:  map[string]string{"PORT": "8080", "PRODUCT_API_URL": "http://127.0.0.1:8081/"},
			want: config{Port: 8080, ProductAPIURL: "http://127.0.0.1:8081", AppName: "website", Version: "dev"},
		},
		{
			name: "everything set",
			env:  map[string]string{"PORT": "9000", "PRODUCT_API_URL": "https://api.example/v1", "APP_NAME": "shop", "APP_VERSION": "2.0"},
			want: config{Port: 9000, ProductAPIURL: "https://api.example/v1", AppName: "shop", Version: "2.0"},
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

// fakeAPI serves body with status on GET /products and 404 elsewhere.
func fakeAPI(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/products" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHomePage(t *testing.T) {
	products := `[{"id":"1","name":"Anchor","description":"Heavy.","price":129},` +
		`{"id":"2","name":"<script>alert(1)</script>","description":"Tricky & sharp","price":2.5}]`
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	tests := []struct {
		name       string
		apiURL     string
		wantStatus int
		want       []string
		notWant    []string
	}{
		{
			name:       "renders products",
			apiURL:     fakeAPI(t, 200, products).URL,
			wantStatus: 200,
			want: []string{
				`<li id="product-1"><strong>Anchor</strong>: Heavy. (129.00)</li>`,
				`&lt;script&gt;alert(1)&lt;/script&gt;`,
				`Tricky &amp; sharp (2.50)`,
				`<footer>shop 3.1`,
			},
			notWant: []string{"<script>", "unavailable"},
		},
		{
			name:       "trailing slash in API URL",
			apiURL:     fakeAPI(t, 200, products).URL + "/",
			wantStatus: 200,
			want:       []string{`<strong>Anchor</strong>`},
		},
		{
			name:       "empty catalogue",
			apiURL:     fakeAPI(t, 200, `[]`).URL,
			wantStatus: 200,
			want:       []string{"No products."},
		},
		{
			name:       "API down",
			apiURL:     downURL,
			wantStatus: 502,
			want:       []string{"The product API at " + downURL + " is unavailable", "request product list: Get &#34;" + downURL + "/products&#34;"},
			notWant:    []string{"<li"},
		},
		{
			name:       "API error status",
			apiURL:     fakeAPI(t, 500, `{"error":"boom"}`).URL,
			wantStatus: 502,
			want:       []string{"is unavailable", "status 500, want 200"},
		},
		{
			name:       "API returns garbage",
			apiURL:     fakeAPI(t, 200, `<html>`).URL,
			wantStatus: 502,
			want:       []string{"is unavailable", "decode product list"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiURL, err := parseAPIURL(tt.apiURL)
			if err != nil {
				t.Fatal(err)
			}
			cfg := config{Port: 8080, ProductAPIURL: apiURL, AppName: "shop", Version: "3.1"}
			h := newHandler(cfg, &http.Client{Timeout: apiTimeout}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))

			if rec.Code != tt.wantStatus {
				t.Fatalf("GET / status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q, want text/html; charset=utf-8", ct)
			}
			body := rec.Body.String()
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("body does not contain %q:\n%s", s, body)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q:\n%s", s, body)
				}
			}
		})
	}
}

func TestOtherRoutes(t *testing.T) {
	var logs bytes.Buffer
	cfg := config{Port: 8080, ProductAPIURL: "http://127.0.0.1:1", AppName: "website", Version: "dev"}
	h := newHandler(cfg, &http.Client{Timeout: apiTimeout}, slog.New(slog.NewJSONHandler(&logs, nil)))

	tests := []struct {
		method, path string
		wantStatus   int
		wantBody     string
	}{
		{"GET", "/health", 200, `{"status":"ok"}`},
		{"GET", "/nope", 404, ""},
		{"POST", "/", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			logs.Reset()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantBody != "" && strings.TrimSpace(rec.Body.String()) != tt.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tt.wantBody)
			}
			var entry map[string]any
			if err := json.Unmarshal(logs.Bytes(), &entry); err != nil {
				t.Fatalf("want one JSON log line, got %q: %v", logs.String(), err)
			}
			if entry["method"] != tt.method || entry["path"] != tt.path || entry["status"] != float64(tt.wantStatus) {
				t.Errorf("log entry = %v, want method %s, path %s, status %d", entry, tt.method, tt.path, tt.wantStatus)
			}
			if _, ok := entry["duration_ms"].(float64); !ok {
				t.Errorf("log entry has no numeric duration_ms: %v", entry)
			}
		})
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
		{name: "missing PORT", env: map[string]string{"PRODUCT_API_URL": "http://127.0.0.1:8081"}, wantCode: 1, wantErr: "website: PORT is not set"},
		{name: "missing PRODUCT_API_URL", env: map[string]string{"PORT": "8080"}, wantCode: 1, wantErr: "website: PRODUCT_API_URL is not set"},
		{name: "unknown flag", args: []string{"-nope"}, env: map[string]string{}, wantCode: 2, wantErr: "flag provided but not defined"},
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

// TestProcess builds the real binary, runs it against a fake product API,
// probes it, and stops it with SIGTERM.
func TestProcess(t *testing.T) {
	bin := buildBinary(t)
	api := fakeAPI(t, 200, `[{"id":"7","name":"Lighthouse","price":1000}]`)
	port := strconv.Itoa(freePort(t))

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port, "PRODUCT_API_URL="+api.URL)
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
	if body := httpGet(t, base+"/"); !strings.Contains(body, "<strong>Lighthouse</strong>") {
		t.Errorf("GET / does not list the product:\n%s", body)
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
	if !strings.Contains(stdout.String(), `"msg":"request"`) || !strings.Contains(stdout.String(), `"path":"/"`) {
		t.Errorf("stdout has no JSON request log for /: %s", stdout.String())
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
