package taskmeta

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/wharf-dev/wharf/internal/ecs"
	"github.com/wharf-dev/wharf/internal/store"
)

const (
	taskA = "arn:aws:ecs:us-east-1:000000000000:task/default/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	taskB = "arn:aws:ecs:us-east-1:000000000000:task/prod/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	roleA = "arn:aws:iam::000000000000:role/role-a"
	roleB = "arn:aws:iam::000000000000:role/role-b"
)

// fakeIssuer issues distinct credentials per role and session, and counts calls.
type fakeIssuer struct {
	mu    sync.Mutex
	calls []string // "role session duration"
	now   func() time.Time
	fail  error
}

func (f *fakeIssuer) issue(ctx context.Context, roleArn, session string, d time.Duration) (Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return Credentials{}, f.fail
	}
	f.calls = append(f.calls, roleArn+" "+session+" "+d.String())
	name := roleArn[strings.LastIndexByte(roleArn, '/')+1:]
	return Credentials{
		AccessKeyID:     "ASIA" + strings.ToUpper(strings.ReplaceAll(name, "-", "")) + strings.Repeat("X", len(f.calls)),
		SecretAccessKey: "secret-" + name,
		SessionToken:    "session-" + name + "-" + session,
		Expiration:      f.now().Add(d).Truncate(time.Second),
	}, nil
}

// snapshot returns the calls so far.
func (f *fakeIssuer) snapshot() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeIssuer) setFail(err error) {
	f.mu.Lock()
	f.fail = err
	f.mu.Unlock()
}

func (f *fakeIssuer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	db     *store.DB
	srv    *Server
	http   *httptest.Server
	issuer *fakeIssuer
	clock  *clock
	tasks  map[string]ecs.NodeTask
}

func openDB(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := openDB(t, filepath.Join(t.TempDir(), "state.db"))
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, clock: &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}, tasks: map[string]ecs.NodeTask{}}
	f.issuer = &fakeIssuer{now: f.clock.Now}
	f.srv = f.newServer()
	mux := http.NewServeMux()
	mux.Handle(PathPrefix, f.srv.Handler())
	f.http = httptest.NewServer(mux)
	t.Cleanup(f.http.Close)
	return f
}

func (f *fixture) newServer() *Server {
	return New(f.db, Config{
		Credentials: f.issuer.issue,
		Tasks: func(ctx context.Context, arn string) (ecs.Task, ecs.TaskDefinition, error) {
			nt, ok := f.tasks[arn]
			if !ok {
				return ecs.Task{}, ecs.TaskDefinition{}, ErrTaskNotFound
			}
			return nt.Task, nt.TaskDefinition, nil
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    f.clock.Now,
	})
}

func (f *fixture) issue(t *testing.T, task, role string) string {
	t.Helper()
	tok, err := f.srv.Issue(context.Background(), task, role)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok
}

// get fetches path with an optional Authorization header, decoding JSON into v.
func (f *fixture) get(t *testing.T, path, auth string, v any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q, want application/json", path, ct)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("GET %s: decode %q: %v", path, raw, err)
		}
	}
	return resp.StatusCode
}

// TestSDKDefaultChain has the real SDK's default credential chain read the task's
// credentials from the two environment variables the agent sets.
func TestSDKDefaultChain(t *testing.T) {
	f := newFixture(t)
	tokA := f.issue(t, taskA, roleA)
	f.issue(t, taskB, roleB)

	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f.http.URL+"/_wharf/task/credentials")

	tests := []struct {
		name    string
		token   string
		wantKey string // "" when retrieval must fail
	}{
		{"own token", tokA, "ASIAROLEA"},
		{"wrong token", strings.Repeat("0", 64), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", tt.token)
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatalf("LoadDefaultConfig: %v", err)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if tt.wantKey == "" {
				if err == nil {
					t.Fatalf("Retrieve with a wrong token returned %s", creds.AccessKeyID)
				}
				return
			}
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if !strings.HasPrefix(creds.AccessKeyID, tt.wantKey) || creds.SecretAccessKey != "secret-role-a" ||
				creds.SessionToken != "session-role-a-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
				t.Errorf("credentials = %s / %s / %s, want role-a's for task A's session", creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
			}
			// The SDK moves the expiry a few minutes earlier (its expiry window).
			exp := f.clock.Now().Add(SessionDuration)
			if !creds.CanExpire || creds.Expires.After(exp) || creds.Expires.Before(exp.Add(-10*time.Minute)) {
				t.Errorf("expiry = %v (can expire %v), want shortly before %v", creds.Expires, creds.CanExpire, exp)
			}
		})
	}
}

// TestCredentialsEndpoint checks the answers of the credentials endpoint to good and
// bad tokens, and that a token only ever yields its own task's role.
func TestCredentialsEndpoint(t *testing.T) {
	f := newFixture(t)
	tokA := f.issue(t, taskA, roleA)
	tokB := f.issue(t, taskB, roleB)
	tokNoRole := f.issue(t, "arn:aws:ecs:us-east-1:000000000000:task/default/cccc", "")

	tests := []struct {
		name       string
		auth       string
		wantStatus int
		wantRole   string
		wantCode   string
	}{
		{"task A", tokA, 200, roleA, ""},
		{"task B", tokB, 200, roleB, ""},
		{"no token", "", 401, "", "MissingAuthorization"},
		{"unknown token", strings.Repeat("ab", 32), 403, "", "InvalidToken"},
		{"token with a prefix", "Bearer " + tokA, 403, "", "InvalidToken"},
		{"token of a task without a role", tokNoRole, 404, "", "NoTaskRole"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body map[string]string
			status := f.get(t, "/_wharf/task/credentials", tt.auth, &body)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %v", status, tt.wantStatus, body)
			}
			if tt.wantStatus != 200 {
				if body["code"] != tt.wantCode || body["message"] == "" {
					t.Errorf("error body = %v, want code %s with a message", body, tt.wantCode)
				}
				return
			}
			if body["RoleArn"] != tt.wantRole {
				t.Errorf("RoleArn = %q, want %q", body["RoleArn"], tt.wantRole)
			}
			name := tt.wantRole[strings.LastIndexByte(tt.wantRole, '/')+1:]
			if body["SecretAccessKey"] != "secret-"+name || !strings.HasPrefix(body["Token"], "session-"+name+"-") || body["AccessKeyId"] == "" {
				t.Errorf("credentials = %v, want %s's", body, name)
			}
			if _, err := time.Parse(time.RFC3339, body["Expiration"]); err != nil {
				t.Errorf("Expiration %q is not RFC 3339: %v", body["Expiration"], err)
			}
		})
	}
	if bad := f.get(t, "/_wharf/task/credentials", tokA, nil); bad != 200 {
		t.Fatalf("status %d", bad)
	}
	for _, c := range f.issuer.snapshot() {
		if strings.HasPrefix(c, roleB) && !strings.Contains(c, "bbbb") || strings.HasPrefix(c, roleA) && !strings.Contains(c, "aaaa") {
			t.Errorf("a role was issued for another task's session: %s", c)
		}
	}
}

// TestCredentialsCache checks that credentials are reused until close to their expiry.
func TestCredentialsCache(t *testing.T) {
	f := newFixture(t)
	tok := f.issue(t, taskA, roleA)
	fetch := func() string {
		var body map[string]string
		if status := f.get(t, "/_wharf/task/credentials", tok, &body); status != 200 {
			t.Fatalf("status %d: %v", status, body)
		}
		return body["AccessKeyId"]
	}
	first := fetch()
	if again := fetch(); again != first || f.issuer.count() != 1 {
		t.Fatalf("second fetch: key %s (first %s), %d issues; want the cached credentials", again, first, f.issuer.count())
	}
	if want := roleA + " aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 6h0m0s"; f.issuer.snapshot()[0] != want {
		t.Errorf("issued %q, want %q", f.issuer.snapshot()[0], want)
	}
	f.clock.Add(SessionDuration - refreshBefore + time.Second)
	if renewed := fetch(); renewed == first || f.issuer.count() != 2 {
		t.Errorf("near expiry: key %s (first %s), %d issues; want new credentials", renewed, first, f.issuer.count())
	}
	f.issuer.setFail(errors.New("role cannot be assumed"))
	f.clock.Add(SessionDuration)
	var body map[string]string
	if status := f.get(t, "/_wharf/task/credentials", tok, &body); status != 500 || body["code"] != "CredentialsUnavailable" || !strings.Contains(body["message"], "role cannot be assumed") {
		t.Errorf("issuer failure: status %d, body %v; want 500 CredentialsUnavailable", status, body)
	}
}

// TestIssueDurable checks that a task keeps its token across servers on the same
// store, that tasks get distinct tokens, and that Revoke ends a token.
func TestIssueDurable(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "state.db"))
	ctx := context.Background()
	s1 := New(db, Config{})
	tokA, err := s1.Issue(ctx, taskA, roleA)
	if err != nil {
		t.Fatal(err)
	}
	if len(tokA) != 64 || strings.Trim(tokA, "0123456789abcdef") != "" {
		t.Errorf("token %q is not 32 bytes in hex", tokA)
	}
	again, _ := s1.Issue(ctx, taskA, roleA)
	tokB, _ := s1.Issue(ctx, taskB, roleB)
	if again != tokA || tokB == tokA {
		t.Errorf("tokens: A %s, A again %s, B %s; want A stable and B distinct", tokA, again, tokB)
	}
	if _, err := s1.Issue(ctx, "", roleA); err == nil {
		t.Errorf("Issue with no task ARN succeeded")
	}
	db.Close()

	db = openDB(t, filepath.Join(dir, "state.db"))
	defer db.Close()
	s2 := New(db, Config{})
	if tok, err := s2.Issue(ctx, taskA, roleA); err != nil || tok != tokA {
		t.Errorf("after a restart, Issue = %s, %v; want the same token %s", tok, err, tokA)
	}
	if rec, ok, err := s2.lookup(tokB); !ok || err != nil || rec.TaskArn != taskB || rec.RoleArn != roleB || rec.Cluster != "prod" {
		t.Errorf("lookup B = %+v, %v, %v", rec, ok, err)
	}
	if err := s2.Revoke(ctx, taskA); err != nil {
		t.Fatal(err)
	}
	if err := s2.Revoke(ctx, taskA); err != nil {
		t.Errorf("second Revoke: %v", err)
	}
	if _, ok, _ := s2.lookup(tokA); ok {
		t.Errorf("revoked token still known")
	}
	if _, ok, _ := s2.lookup(tokB); !ok {
		t.Errorf("revoking A revoked B")
	}
	if tok, _ := s2.Issue(ctx, taskA, roleA); tok == tokA {
		t.Errorf("a revoked token was issued again")
	}
}

// TestRevokeEndsAccess checks that a revoked token gets nothing from either endpoint.
func TestRevokeEndsAccess(t *testing.T) {
	f := newFixture(t)
	f.tasks[taskA] = sampleTask()
	tok := f.issue(t, taskA, roleA)
	if status := f.get(t, "/_wharf/task/credentials", tok, nil); status != 200 {
		t.Fatalf("before Revoke: status %d", status)
	}
	if status := f.get(t, "/_wharf/task/metadata/"+tok+"/web", "", nil); status != 200 {
		t.Fatalf("metadata before Revoke: status %d", status)
	}
	if err := f.srv.Revoke(context.Background(), taskA); err != nil {
		t.Fatal(err)
	}
	if status := f.get(t, "/_wharf/task/credentials", tok, nil); status != 403 {
		t.Errorf("credentials after Revoke: status %d, want 403", status)
	}
	if status := f.get(t, "/_wharf/task/metadata/"+tok+"/web", "", nil); status != 403 {
		t.Errorf("metadata after Revoke: status %d, want 403", status)
	}
}

func sampleTask() ecs.NodeTask {
	started := time.Date(2025, 3, 1, 12, 0, 5, 0, time.UTC)
	pulled := time.Date(2025, 3, 1, 12, 0, 1, 0, time.UTC)
	exit := int32(0)
	return ecs.NodeTask{
		Task: ecs.Task{
			TaskArn: taskA, ClusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
			LastStatus: "RUNNING", DesiredStatus: "RUNNING", LaunchType: "EC2", Group: "service:web-svc",
			PullStartedAt: &pulled, PullStoppedAt: &pulled, StartedAt: &started, Cpu: "512", Memory: "1024",
			Containers: []ecs.Container{
				{Name: "web", RuntimeId: "proc-123-456", LastStatus: "RUNNING", HealthStatus: "HEALTHY",
					ContainerArn:    "arn:aws:ecs:us-east-1:000000000000:container/default/aaaa/web",
					NetworkBindings: []ecs.NetworkBinding{{BindIP: "0.0.0.0", ContainerPort: ptr(int32(8080)), HostPort: ptr(int32(32768)), Protocol: "tcp"}}},
				{Name: "init", RuntimeId: "proc-99-1", LastStatus: "STOPPED", ExitCode: &exit},
			},
		},
		TaskDefinition: ecs.TaskDefinition{
			Family: "web", Revision: 7, NetworkMode: "bridge",
			ContainerDefinitions: []ecs.ContainerDefinition{
				{Name: "web", Image: "process:/bin/web", Cpu: 256, Memory: ptr(int32(512)),
					HealthCheck: &ecs.HealthCheck{Command: []string{"CMD", "true"}}, DockerLabels: map[string]string{"team": "core"}},
				{Name: "init", Image: "busybox", Essential: ptr(false)},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// TestMetadataEndpoint checks the JSON of the container and task metadata v4.
func TestMetadataEndpoint(t *testing.T) {
	f := newFixture(t)
	f.tasks[taskA] = sampleTask()
	tok := f.issue(t, taskA, "")
	tokB := f.issue(t, taskB, roleB)
	base := "/_wharf/task/metadata/" + tok + "/web"

	t.Run("container", func(t *testing.T) {
		var got map[string]any
		if status := f.get(t, base, "", &got); status != 200 {
			t.Fatalf("status %d: %v", status, got)
		}
		want := map[string]any{
			"DockerId": "proc-123-456", "Name": "web", "DockerName": "wharf-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-web",
			"Image": "process:/bin/web", "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING", "Type": "NORMAL",
			"ContainerARN": "arn:aws:ecs:us-east-1:000000000000:container/default/aaaa/web",
			"StartedAt":    "2025-03-01T12:00:05Z",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		lim, _ := got["Limits"].(map[string]any)
		if lim["CPU"] != 256.0 || lim["Memory"] != 512.0 {
			t.Errorf("Limits = %v, want CPU 256, Memory 512", got["Limits"])
		}
		labels, _ := got["Labels"].(map[string]any)
		if labels["com.amazonaws.ecs.task-arn"] != taskA || labels["com.amazonaws.ecs.task-definition-version"] != "7" || labels["team"] != "core" || labels["com.amazonaws.ecs.cluster"] != "default" {
			t.Errorf("Labels = %v", labels)
		}
		ports, _ := got["Ports"].([]any)
		if len(ports) != 1 || ports[0].(map[string]any)["HostPort"] != 32768.0 || ports[0].(map[string]any)["ContainerPort"] != 8080.0 {
			t.Errorf("Ports = %v", got["Ports"])
		}
		if h, _ := got["Health"].(map[string]any); h["status"] != "HEALTHY" {
			t.Errorf("Health = %v", got["Health"])
		}
		if nets, _ := got["Networks"].([]any); len(nets) != 1 || nets[0].(map[string]any)["NetworkMode"] != "bridge" {
			t.Errorf("Networks = %v", got["Networks"])
		}
	})

	t.Run("task", func(t *testing.T) {
		var got TaskMetadata
		var raw map[string]any
		if status := f.get(t, base+"/task", "", &got); status != 200 {
			t.Fatalf("status %d", status)
		}
		f.get(t, base+"/task", "", &raw)
		if raw["Revision"] != "7" {
			t.Errorf("Revision = %#v, want the string \"7\"", raw["Revision"])
		}
		if got.Cluster != "arn:aws:ecs:us-east-1:000000000000:cluster/default" || got.TaskARN != taskA || got.Family != "web" ||
			got.DesiredStatus != "RUNNING" || got.KnownStatus != "RUNNING" || got.LaunchType != "EC2" || got.ServiceName != "web-svc" ||
			got.PullStartedAt == nil || got.PullStoppedAt == nil {
			t.Errorf("task metadata = %+v", got)
		}
		if got.Limits == nil || *got.Limits.CPU != 0.5 || *got.Limits.Memory != 1024 {
			t.Errorf("Limits = %+v, want 0.5 vCPU and 1024 MiB", got.Limits)
		}
		if len(got.Containers) != 2 || got.Containers[0].Name != "web" || got.Containers[1].Name != "init" ||
			got.Containers[1].KnownStatus != "STOPPED" || got.Containers[1].ExitCode == nil || *got.Containers[1].ExitCode != 0 {
			t.Errorf("Containers = %+v", got.Containers)
		}
	})

	errs := []struct {
		name, path string
		status     int
	}{
		{"stats", base + "/stats", 404},
		{"task stats", base + "/task/stats", 404},
		{"unknown container", "/_wharf/task/metadata/" + tok + "/nope", 404},
		{"unknown path", base + "/whatever", 404},
		{"unknown token", "/_wharf/task/metadata/" + strings.Repeat("0", 64) + "/web", 403},
		{"no token", "/_wharf/task/metadata/", 403},
		{"another task's token for a task not described", "/_wharf/task/metadata/" + tokB + "/web", 500},
		{"unknown endpoint", "/_wharf/task/other", 404},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			var body map[string]string
			if status := f.get(t, tt.path, "", &body); status != tt.status || body["code"] == "" {
				t.Errorf("status %d, body %v; want %d with an error code", status, body, tt.status)
			}
		})
	}

	t.Run("POST", func(t *testing.T) {
		resp, err := http.Post(f.http.URL+base, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST: status %d, want 405", resp.StatusCode)
		}
	})
}

// TestHandlerStripped checks that the handler also serves paths with its prefix stripped.
func TestHandlerStripped(t *testing.T) {
	f := newFixture(t)
	tok := f.issue(t, taskA, roleA)
	srv := httptest.NewServer(http.StripPrefix("/_wharf/task", f.srv.Handler()))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/_wharf/task/credentials", nil)
	req.Header.Set("Authorization", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d, want 200", resp.StatusCode)
	}
}

// TestSweepRevokesStaleTokens: the tokens of stopped and vanished tasks are revoked;
// a running task keeps its token.
func TestSweepRevokesStaleTokens(t *testing.T) {
	f := newFixture(t)
	const stopped = "arn:aws:ecs:us-east-1:000000000000:task/default/stopped0000000000000000000000000"
	const gone = "arn:aws:ecs:us-east-1:000000000000:task/default/gone00000000000000000000000000000"
	f.tasks[taskA] = sampleTask()
	st := sampleTask()
	st.Task.TaskArn, st.Task.LastStatus = stopped, "STOPPED"
	f.tasks[stopped] = st
	live := f.issue(t, taskA, roleA)
	dead := f.issue(t, stopped, roleA)
	vanished := f.issue(t, gone, roleA)
	n, err := f.srv.Sweep(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Sweep: %d revoked, %v; want 2", n, err)
	}
	if status := f.get(t, "/_wharf/task/credentials", live, nil); status != 200 {
		t.Errorf("running task after the sweep: status %d, want 200", status)
	}
	for _, tok := range []string{dead, vanished} {
		if status := f.get(t, "/_wharf/task/credentials", tok, nil); status != 403 {
			t.Errorf("stale token after the sweep: status %d, want 403", status)
		}
	}
}
