package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/ecs"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/taskmeta"
)

// fakeSecrets resolves secrets from a map and records what it was asked.
type fakeSecrets struct {
	mu     sync.Mutex
	values map[string]string
	err    error
	calls  []string // "role valueFrom"
}

func (f *fakeSecrets) Resolve(ctx context.Context, role, valueFrom string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, role+" "+valueFrom)
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.values[valueFrom]
	if !ok {
		return "", fmt.Errorf("ParameterNotFound: %s", valueFrom)
	}
	return v, nil
}

func (f *fakeSecrets) snapshot() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// fakeIdentity issues one token per task and records revocations.
type fakeIdentity struct {
	mu      sync.Mutex
	roles   map[string]string // task ARN → role
	revoked []string
}

func (f *fakeIdentity) Issue(ctx context.Context, taskArn, roleArn string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.roles == nil {
		f.roles = map[string]string{}
	}
	f.roles[taskArn] = roleArn
	return "tok-" + taskID(taskArn), nil
}

func (f *fakeIdentity) Revoke(ctx context.Context, taskArn string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked = append(f.revoked, taskArn)
	return nil
}

func (f *fakeIdentity) wasRevoked(arn string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.revoked, arn)
}

// lockedBuffer is a log sink tests can search.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSecretsInjected checks that secrets reach the container's environment, resolved
// with the execution role, and that their values are not logged.
func TestSecretsInjected(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	secrets := &fakeSecrets{values: map[string]string{
		"/app/db-password": "s3cr3t-db-value",
		"arn:aws:ssm:eu-west-3:000000000000:parameter/app/api-key": "s3cr3t-api-key",
		"/app/region": "s3cr3t-region",
	}}
	logs := &lockedBuffer{}
	startAgentWith(t, f, Drivers{Process: newDriver(t, "")}, func(c *Config) {
		c.Secrets = secrets
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})

	web := helper("web", "serve")
	web.PortMappings = []ecs.PortMapping{{ContainerPort: ptr(int32(80))}}
	web.Environment = append(web.Environment, ecs.KeyValuePair{Name: "API_KEY", Value: "from-environment"})
	web.Secrets = []ecs.Secret{
		{Name: "DB_PASSWORD", ValueFrom: "/app/db-password"},
		{Name: "API_KEY", ValueFrom: "arn:aws:ssm:eu-west-3:000000000000:parameter/app/api-key"},
		{Name: "AWS_REGION", ValueFrom: "/app/region"},
	}
	nt := newTask(web)
	nt.TaskDefinition.ExecutionRoleArn = "arn:aws:iam::000000000000:role/exec"
	f.place(nt)
	running, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusRunning)
	env := envMap(getHelper(t, *container(t, running, "web").NetworkBindings[0].HostPort).Env)

	want := map[string]string{
		"DB_PASSWORD": "s3cr3t-db-value",
		"API_KEY":     "s3cr3t-api-key", // a secret wins over the environment
		"AWS_REGION":  "eu-west-3",      // Wharf's variables win over secrets
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	for _, c := range secrets.snapshot() {
		if !strings.HasPrefix(c, "arn:aws:iam::000000000000:role/exec ") {
			t.Errorf("secret resolved as %q, want the execution role", c)
		}
	}
	if n := len(secrets.snapshot()); n != 3 {
		t.Errorf("%d secrets resolved, want 3", n)
	}
	f.stopTask(nt.Task.TaskArn)
	waitStatus(t, f, nt.Task.TaskArn, ecs.StatusStopped)
	if strings.Contains(logs.String(), "s3cr3t") {
		t.Errorf("a secret value was logged:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "AWS_REGION") {
		t.Errorf("the secret not injected (AWS_REGION) was not named in the logs")
	}
}

// TestSecretsFailure checks that a task whose secrets cannot be resolved stops with
// ECS's ResourceInitializationError before any container starts.
func TestSecretsFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		resolver  SecretResolver
		valueFrom string
		want      []string // substrings of the reason after the common prefix
	}{
		{"access denied", &fakeSecrets{err: errors.New("AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role/exec/t is not authorized to perform: ssm:GetParameters")},
			"/app/db", []string{"unable to retrieve secrets from ssm: AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role/exec/t is not authorized"}},
		{"missing parameter", &fakeSecrets{}, "/app/missing", []string{"unable to retrieve secrets from ssm: ParameterNotFound: /app/missing"}},
		{"secrets manager", &fakeSecrets{err: errors.New("ResourceNotFoundException")},
			"arn:aws:secretsmanager:eu-west-3:000000000000:secret:db-AbCdEf", []string{"unable to retrieve secret from asm: ResourceNotFoundException"}},
		{"no resolver", nil, "/app/db", []string{"unable to retrieve secrets from ssm: ", "no secret resolver", "DB_PASSWORD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeControl()
			drv := newDriver(t, "")
			startAgentWith(t, f, Drivers{Process: drv}, func(c *Config) { c.Secrets = tt.resolver })
			marks := markerDir(t)
			side := nonEssential(shell("side", "touch "+filepath.Join(marks, "side")+"; exec sleep 1000"))
			main := shell("main", "touch "+filepath.Join(marks, "main")+"; exec sleep 1000")
			main.Secrets = []ecs.Secret{{Name: "DB_PASSWORD", ValueFrom: tt.valueFrom}}
			nt := newTask(side, main)
			f.place(nt)
			stopped, _ := waitStatus(t, f, nt.Task.TaskArn, ecs.StatusStopped)
			if stopped.StopCode != ecs.StopCodeTaskFailedToStart {
				t.Errorf("stopCode = %q, want %s", stopped.StopCode, ecs.StopCodeTaskFailedToStart)
			}
			const prefix = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
			reason, ok := strings.CutPrefix(stopped.StoppedReason, prefix)
			if !ok {
				t.Errorf("stoppedReason = %q, want it to start with %q", stopped.StoppedReason, prefix)
			}
			for _, w := range tt.want {
				if !strings.Contains(reason, w) {
					t.Errorf("stoppedReason = %q, want it to say %q", stopped.StoppedReason, w)
				}
			}
			for _, r := range f.reportsOf(nt.Task.TaskArn) {
				if r.LastStatus == ecs.StatusRunning {
					t.Errorf("the task was reported RUNNING")
				}
				for _, c := range r.Containers {
					if c.RuntimeID != "" {
						t.Errorf("container %s was started (%s)", c.Name, c.RuntimeID)
					}
				}
			}
			for _, c := range stopped.Containers {
				if c.LastStatus != ecs.StatusStopped {
					t.Errorf("container %s is %s in the STOPPED report", c.Name, c.LastStatus)
				}
			}
			if list, _ := drv.List(context.Background()); len(list) != 0 {
				t.Errorf("the driver ran %d containers", len(list))
			}
			if exists(filepath.Join(marks, "side")) || exists(filepath.Join(marks, "main")) {
				t.Errorf("a container's command ran")
			}
		})
	}
}

// TestTaskIdentityEnv checks the metadata and credentials variables a task's containers
// get, by task role, and that the token is revoked when the task stops.
func TestTaskIdentityEnv(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	ident := &fakeIdentity{}
	startAgentWith(t, f, Drivers{Process: newDriver(t, "")}, func(c *Config) { c.Identity = ident })

	const role = "arn:aws:iam::000000000000:role/app"
	tests := []struct {
		name     string
		defRole  string
		override string
		wantRole string
	}{
		{"definition role", role, "", role},
		{"override role", "arn:aws:iam::000000000000:role/other", role, role},
		{"no role", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			web := helper("web", "serve")
			web.PortMappings = []ecs.PortMapping{{ContainerPort: ptr(int32(80))}}
			nt := newTask(web)
			nt.TaskDefinition.TaskRoleArn = tt.defRole
			if tt.override != "" {
				nt.Task.Overrides = &ecs.TaskOverride{TaskRoleArn: tt.override}
			}
			arn := nt.Task.TaskArn
			f.place(nt)
			running, _ := waitStatus(t, f, arn, ecs.StatusRunning)
			env := envMap(getHelper(t, *container(t, running, "web").NetworkBindings[0].HostPort).Env)
			token := "tok-" + taskID(arn)
			if got, want := env["ECS_CONTAINER_METADATA_URI_V4"], testEndpoint+"/_wharf/task/metadata/"+token+"/web"; got != want {
				t.Errorf("ECS_CONTAINER_METADATA_URI_V4 = %q, want %q", got, want)
			}
			fullURI, hasURI := env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
			tok, hasTok := env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
			if tt.wantRole == "" {
				if hasURI || hasTok {
					t.Errorf("a task without a role got credential variables: %q, %q", fullURI, tok)
				}
			} else if fullURI != testEndpoint+"/_wharf/task/credentials" || tok != token {
				t.Errorf("credentials variables = %q, %q; want %q, %q", fullURI, tok, testEndpoint+"/_wharf/task/credentials", token)
			}
			ident.mu.Lock()
			issuedRole, issued := ident.roles[arn]
			ident.mu.Unlock()
			if !issued || issuedRole != tt.wantRole {
				t.Errorf("issued for role %q (issued %v), want %q", issuedRole, issued, tt.wantRole)
			}
			if ident.wasRevoked(arn) {
				t.Fatalf("token revoked while the task runs")
			}
			f.stopTask(arn)
			waitStatus(t, f, arn, ecs.StatusStopped)
			eventually(t, "the token to be revoked", func() bool { return ident.wasRevoked(arn) })
		})
	}
}

// TestPrepareDocker checks the endpoints given to Docker containers: bridge mode
// reaches wharf at DockerEndpoint, over which the SDKs refuse http credentials.
func TestPrepareDocker(t *testing.T) {
	const role = "arn:aws:iam::000000000000:role/app"
	tests := []struct {
		name, image, mode, dockerEndpoint, metadataEndpoint string
		wantBase                                            string
		wantCreds                                           bool
	}{
		{"process", "process:/bin/app", "bridge", "http://172.17.0.1:4566", "", testEndpoint, true},
		{"process, metadata endpoint", "process:/bin/app", "bridge", "", "http://localhost:9999", "http://localhost:9999", true},
		{"docker bridge", "nginx", "bridge", "http://172.17.0.1:4566", "", "http://172.17.0.1:4566", false},
		{"docker host", "nginx", "host", "http://172.17.0.1:4566", "", testEndpoint, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Config{NodeID: "n", Endpoint: testEndpoint, DockerEndpoint: tt.dockerEndpoint, MetadataEndpoint: tt.metadataEndpoint, Identity: &fakeIdentity{}, Logger: testLogger(t)})
			nt := newTask(ecs.ContainerDefinition{Name: "app", Image: tt.image})
			nt.TaskDefinition.NetworkMode = tt.mode
			nt.TaskDefinition.TaskRoleArn = role
			r := newRunner(a, nt, nil)
			if failure := r.prepare(context.Background()); failure != "" {
				t.Fatalf("prepare: %s", failure)
			}
			env := r.ctrs[0].spec.Env
			token := "tok-" + taskID(nt.Task.TaskArn)
			if got, want := env["ECS_CONTAINER_METADATA_URI_V4"], tt.wantBase+"/_wharf/task/metadata/"+token+"/app"; got != want {
				t.Errorf("ECS_CONTAINER_METADATA_URI_V4 = %q, want %q", got, want)
			}
			if _, got := env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]; got != tt.wantCreds {
				t.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI set: %v, want %v (%q)", got, tt.wantCreds, env["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
			}
		})
	}
}

// TestTaskRoleCredentialsEndToEnd runs a process that finds its task role's
// credentials with the AWS SDK's default credential chain, served by a real
// taskmeta server; another task's token is not accepted in its place.
func TestTaskRoleCredentialsEndToEnd(t *testing.T) {
	t.Parallel()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	meta := taskmeta.New(db, taskmeta.Config{
		Credentials: func(ctx context.Context, roleArn, session string, d time.Duration) (taskmeta.Credentials, error) {
			return taskmeta.Credentials{
				AccessKeyID: "ASIA" + strings.ToUpper(roleArn[strings.LastIndexByte(roleArn, '/')+1:]), SecretAccessKey: "sk",
				SessionToken: "session-" + session, Expiration: time.Now().Add(d),
			}, nil
		},
		Logger: testLogger(t),
	})
	mux := http.NewServeMux()
	mux.Handle(taskmeta.PathPrefix, meta.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	f := newFakeControl()
	startAgentWith(t, f, Drivers{Process: newDriver(t, "")}, func(c *Config) {
		c.Identity = meta
		c.MetadataEndpoint = srv.URL
	})
	app := helper("app", "creds")
	app.PortMappings = []ecs.PortMapping{{ContainerPort: ptr(int32(80))}}
	app.Environment = append(app.Environment,
		ecs.KeyValuePair{Name: "AWS_CONFIG_FILE", Value: "/nonexistent/config"},
		ecs.KeyValuePair{Name: "AWS_SHARED_CREDENTIALS_FILE", Value: "/nonexistent/credentials"},
		ecs.KeyValuePair{Name: "AWS_EC2_METADATA_DISABLED", Value: "true"})
	nt := newTask(app)
	nt.TaskDefinition.TaskRoleArn = "arn:aws:iam::000000000000:role/reader"
	arn := nt.Task.TaskArn
	f.place(nt)
	running, _ := waitStatus(t, f, arn, ecs.StatusRunning)
	port := *container(t, running, "app").NetworkBindings[0].HostPort

	var rep credsReport
	eventually(t, "the task's credentials", func() bool {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(int(port)) + "/")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&rep) == nil
	})
	if rep.Err != "" || rep.AccessKeyID != "ASIAREADER" || rep.SessionToken != "session-"+taskID(arn) {
		t.Fatalf("the task's SDK found %+v; want the reader role's credentials for its session", rep)
	}

	// Another task's token gets that task's role only; a stopped task's token nothing.
	other, err := meta.Issue(context.Background(), "arn:aws:ecs:eu-west-3:000000000000:task/default/other", "arn:aws:iam::000000000000:role/admin")
	if err != nil {
		t.Fatal(err)
	}
	get := func(token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/_wharf/task/credentials", nil)
		req.Header.Set("Authorization", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body["RoleArn"]
	}
	if status, role := get(other); status != 200 || role != "arn:aws:iam::000000000000:role/admin" {
		t.Errorf("other task's token: %d %s", status, role)
	}
	own, err := meta.Issue(context.Background(), arn, "arn:aws:iam::000000000000:role/reader")
	if err != nil {
		t.Fatal(err)
	}
	f.stopTask(arn)
	waitStatus(t, f, arn, ecs.StatusStopped)
	eventually(t, "the stopped task's token to be revoked", func() bool { status, _ := get(own); return status == http.StatusForbidden })
}
