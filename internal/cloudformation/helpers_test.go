package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/clocktest"
	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
	"github.com/wharf-dev/wharf/internal/store"
)

// fakeProvider is a scriptable provider of the test type Test::Thing: it keeps the
// live resources it made, records every call in order, and fails or blocks where a
// test asks. Properties: Name (create-only; the physical id when set), Value, and any
// others.
type fakeProvider struct {
	mu      sync.Mutex
	live    map[string]map[string]any // physical id → properties
	calls   []string                  // "Create A", "Update A", "Delete A"
	failOn  map[string]string         // "Create A" → error message
	from    map[string]int            // "Update A" → fail only from this occurrence on (1-based)
	count   map[string]int            // occurrences of each call
	only    map[string]int            // "Update A" → fail only at this occurrence
	block   map[string]chan struct{}  // "Create A" → released when closed
	started map[string]chan struct{}  // "Create A" → closed when the call starts
	running int
	maxRun  int
	seq     int
}

func newFakeProvider() *fakeProvider {
	return &fakeProvider{live: map[string]map[string]any{}, failOn: map[string]string{}, from: map[string]int{}, count: map[string]int{}, only: map[string]int{}, block: map[string]chan struct{}{}, started: map[string]chan struct{}{}}
}

// fail makes a call ("Create A") fail with msg.
func (f *fakeProvider) fail(call, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failOn[call] = msg
}

// failFrom makes a call fail with msg from its nth occurrence on.
func (f *fakeProvider) failFrom(call string, n int, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failOn[call], f.from[call] = msg, n
}

// failOnce makes the next occurrence of a call fail with msg.
func (f *fakeProvider) failOnce(call, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failOn[call], f.only[call] = msg, f.count[call]+1
}

// heal stops a call from failing.
func (f *fakeProvider) heal(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.failOn, call)
	delete(f.from, call)
	delete(f.only, call)
}

// hold makes a call block until the returned function runs; started is closed when
// the call begins.
func (f *fakeProvider) hold(call string) (started <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, s := make(chan struct{}), make(chan struct{})
	f.block[call], f.started[call] = b, s
	var once sync.Once
	return s, func() { once.Do(func() { close(b) }) }
}

func (f *fakeProvider) enter(ctx context.Context, req *Request, verb string) error {
	call := verb + " " + req.LogicalID
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.running++
	if f.running > f.maxRun {
		f.maxRun = f.running
	}
	b, s := f.block[call], f.started[call]
	f.count[call]++
	msg, fail := f.failOn[call]
	if n, ok := f.from[call]; ok && f.count[call] < n {
		fail = false
	}
	if n, ok := f.only[call]; ok && f.count[call] != n {
		fail = false
	}
	delete(f.block, call)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		f.mu.Unlock()
	}()
	if s != nil {
		close(s)
		f.mu.Lock()
		delete(f.started, call)
		f.mu.Unlock()
	}
	if b != nil {
		select {
		case <-b:
		case <-ctx.Done():
			return ctx.Err()
		case <-req.stopped():
			return errCancelled
		}
	}
	if fail {
		return errors.New(msg)
	}
	return nil
}

func (f *fakeProvider) Create(ctx context.Context, req *Request) (*Result, error) {
	if err := f.enter(ctx, req, "Create"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := str(req.Properties, "Name")
	if id == "" {
		id = fmt.Sprintf("%s-%d", req.LogicalID, f.seq)
	}
	if _, dup := f.live[id]; dup {
		return nil, fmt.Errorf("%s already exists", id)
	}
	f.live[id] = req.Properties
	return &Result{PhysicalID: id, Attributes: map[string]any{"Arn": "arn:test:" + id, "Value": req.Properties["Value"]}}, nil
}

func (f *fakeProvider) Update(ctx context.Context, req *Request, prior *Prior) (*Result, error) {
	if err := f.enter(ctx, req, "Update"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.live[prior.PhysicalID]; !ok {
		return nil, fmt.Errorf("%s does not exist", prior.PhysicalID)
	}
	f.live[prior.PhysicalID] = req.Properties
	return &Result{Attributes: map[string]any{"Arn": "arn:test:" + prior.PhysicalID, "Value": req.Properties["Value"]}}, nil
}

func (f *fakeProvider) Delete(ctx context.Context, req *Request, prior *Prior) error {
	if err := f.enter(ctx, req, "Delete"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.live, prior.PhysicalID)
	return nil
}

// liveIDs lists the physical ids of the live resources, sorted.
func (f *fakeProvider) liveIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for id := range f.live {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// callLog returns the calls so far.
func (f *fakeProvider) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeProvider) resetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// index returns the position of call in the log, or -1.
func index(calls []string, call string) int {
	for i, c := range calls {
		if c == call {
			return i
		}
	}
	return -1
}

// testRegistry is the default registry plus Test::Thing (Name create-only) and
// Test::IAM (an IAM type).
func testRegistry(p *fakeProvider) *Registry {
	r := DefaultRegistry()
	r.Register("Test::Thing", ResourceType{Provider: p, CreateOnly: []string{"Name"}, NameProperty: "Name", Attributes: []string{"Arn", "Value"}})
	r.Register("Test::Conditional", ResourceType{Provider: p, Conditional: []string{"Size"},
		Replace: func(old, new map[string]any) bool { return stringify(new["Size"]) < stringify(old["Size"]) }, Attributes: []string{"Arn"}})
	return r
}

// env is a Service on a real store, behind the real gateway, driven by the real SDK.
type env struct {
	t      testing.TB
	dbPath string
	db     *store.DB
	s      *Service
	p      *fakeProvider
	clock  *clocktest.Fake
	url    string
	client *sdk.Client
	ctx    context.Context
	dir    string
	inv    *fakeInvoker
}

func newEnv(t testing.TB, opts ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), p: newFakeProvider(), ctx: context.Background(),
		clock: clocktest.New(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)), inv: newFakeInvoker()}
	e.dbPath = filepath.Join(e.dir, "wharf.db")
	db, err := store.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	e.s = e.open(opts...)
	t.Cleanup(func() {
		e.s.Close()
		e.db.Close()
	})
	e.url = gatewaytest.RootServer(t, e.s.API())
	e.client = sdk.NewFromConfig(gatewaytest.Config(e.url))
	return e
}

// open builds a Service over the env's store.
func (e *env) open(opts ...func(*Config)) *Service {
	cfg := Config{Clock: e.clock, Registry: testRegistry(e.p), Invoker: e.inv, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SSM: func(name string) (string, error) {
			if name == "/app/image" {
				return "nginx:1.27", nil
			}
			return "", &awsapi.Error{Code: "ParameterNotFound", Message: "Parameter " + name + " not found."}
		}}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := New(e.db, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// wait waits until the stack's operations have ended and returns it.
func (e *env) wait(nameOrID string) *stackRecord {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st := e.stack(nameOrID)
		if st == nil {
			return nil
		}
		rs := e.s.runningOp(st.ID)
		if rs == nil {
			if !inProgress(st.Status) {
				return st
			}
			// An operation is being handed over (a delete after a cancel).
			time.Sleep(time.Millisecond)
			continue
		}
		select {
		case <-rs.done:
		case <-time.After(time.Until(deadline)):
		}
	}
	e.t.Fatalf("stack %s did not settle", nameOrID)
	return nil
}

// stack reads a stack by name or id (nil when there is none).
func (e *env) stack(nameOrID string) *stackRecord {
	var st *stackRecord
	_ = e.db.View(func(tx *store.Tx) error {
		var err error
		st, err = findStack(tx, nameOrID, true)
		if err != nil {
			st = nil
		}
		return nil
	})
	return st
}

// create creates a stack from a template body and waits for it.
func (e *env) create(name, body string, params ...string) *stackRecord {
	e.t.Helper()
	in := &sdk.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(body), Capabilities: []sdkCapability{"CAPABILITY_NAMED_IAM"}}
	for i := 0; i+1 < len(params); i += 2 {
		in.Parameters = append(in.Parameters, sdkParameter(params[i], params[i+1]))
	}
	if _, err := e.client.CreateStack(e.ctx, in); err != nil {
		e.t.Fatalf("CreateStack %s: %v", name, err)
	}
	return e.wait(name)
}

// update updates a stack to a template body and waits for it.
func (e *env) update(name, body string, params ...string) *stackRecord {
	e.t.Helper()
	in := &sdk.UpdateStackInput{StackName: aws.String(name), TemplateBody: aws.String(body), Capabilities: []sdkCapability{"CAPABILITY_NAMED_IAM"}}
	for i := 0; i+1 < len(params); i += 2 {
		in.Parameters = append(in.Parameters, sdkParameter(params[i], params[i+1]))
	}
	if _, err := e.client.UpdateStack(e.ctx, in); err != nil {
		e.t.Fatalf("UpdateStack %s: %v", name, err)
	}
	return e.wait(name)
}

// remove deletes a stack and waits for it.
func (e *env) remove(nameOrID string) *stackRecord {
	e.t.Helper()
	st := e.stack(nameOrID)
	if _, err := e.client.DeleteStack(e.ctx, &sdk.DeleteStackInput{StackName: aws.String(nameOrID)}); err != nil {
		e.t.Fatalf("DeleteStack %s: %v", nameOrID, err)
	}
	return e.wait(st.ID)
}

// resource reads a stack resource record.
func (e *env) resource(stackID, logicalID string) *resourceRecord {
	var r *resourceRecord
	_ = e.db.View(func(tx *store.Tx) error {
		var rec resourceRecord
		if tx.Get(bucketResources, resourceKey(stackID, logicalID), &rec) == nil {
			r = &rec
		}
		return nil
	})
	return r
}

// events lists a stack's events oldest first, as "Logical STATUS [reason]".
func (e *env) events(stackID string) []string {
	var out []string
	_ = e.db.View(func(tx *store.Tx) error {
		return tx.Scan(bucketEvents, stackID+"\x00", func(_ string, raw []byte) error {
			var ev eventRecord
			if store.Decode(raw, &ev) == nil {
				s := ev.LogicalID + " " + ev.Status
				if ev.Reason != "" {
					s += " " + ev.Reason
				}
				out = append(out, s)
			}
			return nil
		})
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// hasEvent reports whether an event line starts with prefix.
func hasEvent(events []string, prefix string) bool {
	for _, ev := range events {
		if strings.HasPrefix(ev, prefix) {
			return true
		}
	}
	return false
}

// wantCode checks that err is the AWS error code with a message containing msg.
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	if e, ok := awsapi.As(err); ok {
		err = &smithy.GenericAPIError{Code: e.Code, Message: e.Message}
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an API error; want %s", err, err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("error message %q does not contain %q", ae.ErrorMessage(), msg)
	}
}

// wantStatus fails unless the stack ended in status.
func wantStatus(t *testing.T, st *stackRecord, status string) {
	t.Helper()
	if st == nil {
		t.Fatalf("stack missing, want %s", status)
	}
	if st.Status != status {
		t.Fatalf("stack %s is %s (%s), want %s", st.Name, st.Status, st.Reason, status)
	}
}

// fakeInvoker answers Wharf service calls with canned outputs and records them.
type fakeInvoker struct {
	mu      sync.Mutex
	calls   []invocation
	answers map[string]func(in map[string]any) (any, error) // "service Operation" → answer
}

type invocation struct {
	service, op string
	in          map[string]any
	principal   *awsapi.Principal
}

func newFakeInvoker() *fakeInvoker {
	return &fakeInvoker{answers: map[string]func(map[string]any) (any, error){}}
}

func (f *fakeInvoker) Invoke(ctx context.Context, service, operation string, input any) (any, error) {
	in, _ := input.(map[string]any)
	if in == nil {
		m, err := asMap(input)
		if err != nil {
			return nil, err
		}
		in = m
	}
	// Normalize as the gateway would see it: JSON-shaped values.
	norm, err := normalize(in)
	if err != nil {
		return nil, err
	}
	in = norm.(map[string]any)
	f.mu.Lock()
	f.calls = append(f.calls, invocation{service, operation, in, callerOf(ctx)})
	answer := f.answers[service+" "+operation]
	f.mu.Unlock()
	if answer == nil {
		return map[string]any{}, nil
	}
	return answer(in)
}

// on sets the answer to an operation.
func (f *fakeInvoker) on(service, op string, fn func(in map[string]any) (any, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[service+" "+op] = fn
}

// find returns the inputs of the calls of an operation.
func (f *fakeInvoker) find(service, op string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, c := range f.calls {
		if c.service == service && c.op == op {
			out = append(out, c.in)
		}
	}
	return out
}

// ops lists the calls as "service Operation".
func (f *fakeInvoker) ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.service+" "+c.op)
	}
	return out
}

type sdkCapability = cftypes.Capability

type sdkParam = cftypes.Parameter

func sdkParameter(k, v string) cftypes.Parameter {
	return cftypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)}
}
