// Package gateway is the one HTTP handler in front of every AWS service Wharf serves.
// For each request it identifies the service and operation (rpcv2Cbor path,
// X-Amz-Target, awsQuery Action, or restJson1 route), authenticates the caller,
// decodes the input with the request's protocol into the operation's typed input,
// calls the operation, and encodes its output, or the AWS error, in that protocol.
//
// The codecs are driven by reflection over the operation's input and output structs,
// following the conventions documented on awsapi.Operation: member names from json
// tags, pointers for optional members, time.Time for timestamps, []byte for blobs,
// `any`/json.RawMessage for documents.
package gateway

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is 0: 8 MiB,
// above AWS's own limits for the APIs Wharf serves (CloudWatch PutMetricData 1 MB,
// Logs PutLogEvents 1 MiB, CloudFormation TemplateBody 51,200 bytes). A body is decoded
// into a generic tree before the typed input, which can take several times its size in
// memory; raise the limit only for services that need it (ECR UploadLayerPart).
const DefaultMaxBodyBytes = 8 << 20

// Authenticator proves who sent a request.
type Authenticator interface {
	// Authenticate verifies the request (its body already read into body) and returns
	// the caller. Failures the client caused are *AuthError; any other error is an
	// internal failure.
	Authenticate(ctx context.Context, r *http.Request, body []byte) (awsapi.Principal, error)
}

// Authorizer decides whether a principal may perform an IAM action on resources.
type Authorizer interface {
	// Authorize returns nil when allowed, *Denied when not, and any other error when
	// it could not decide (an internal failure).
	Authorize(ctx context.Context, p awsapi.Principal, a awsapi.Authorization) error
}

// Denied is an authorization refusal; its Message is sent to the client, in AWS's
// shape ("User: arn:... is not authorized to perform: ssm:GetParameter on resource:
// arn:... because no identity-based policy allows the ssm:GetParameter action").
type Denied struct{ Message string }

// Error implements error.
func (d *Denied) Error() string { return "access denied: " + d.Message }

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, r *http.Request, body []byte) (awsapi.Principal, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, r *http.Request, body []byte) (awsapi.Principal, error) {
	return f(ctx, r, body)
}

// Config configures a Gateway.
type Config struct {
	// Services are the services served; New checks that their routes do not collide.
	Services []*awsapi.Service
	// Auth authenticates every request to a non-anonymous operation. Required.
	Auth Authenticator
	// Logger receives one debug line per request and errors with stacks; nil discards.
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies; larger ones get 413. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Authz, when set, authorizes every authenticated call to an operation that is
	// not Unauthorized, after its input is decoded and before it runs.
	Authz Authorizer
	// Audit, when set, is told of every call that reached a known operation, allowed
	// or denied, after its response was written (CloudTrail). It must not block.
	Audit func(awsapi.Call)
	// Region is the region recorded in audited calls.
	Region string
}

// Gateway is the HTTP handler for every AWS service.
type Gateway struct {
	authz    Authorizer
	audit    func(awsapi.Call)
	region   string
	auth     Authenticator
	log      *slog.Logger
	maxBody  int64
	byTarget map[string]*awsapi.Service // X-Amz-Target prefix → JSON service
	json     []*awsapi.Service          // services that speak awsJson
	byCBOR   map[string]*awsapi.Service // rpcv2Cbor service name → service
	query    []*awsapi.Service          // services that speak awsQuery
	routes   []*restRoute               // restJson1 routes
	bySign   map[string]*awsapi.Service // signing name → service, for Call
}

// New builds a Gateway after checking the service table: every service has the names
// its protocols need, no two services claim the same X-Amz-Target prefix, CBOR name,
// or signing name and query version, REST routes are well formed and distinct, and
// every operation's input type is one the codecs can carry.
func New(cfg Config) (*Gateway, error) {
	if cfg.Auth == nil {
		return nil, errors.New("gateway: Config.Auth is required")
	}
	g := &Gateway{
		auth:     cfg.Auth,
		audit:    cfg.Audit,
		authz:    cfg.Authz,
		region:   cfg.Region,
		log:      cfg.Logger,
		maxBody:  cfg.MaxBodyBytes,
		byTarget: map[string]*awsapi.Service{},
		byCBOR:   map[string]*awsapi.Service{},
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.maxBody <= 0 {
		g.maxBody = DefaultMaxBodyBytes
	}
	queryKeys := map[string]bool{}
	restPatterns := map[string]string{}
	for i, svc := range cfg.Services {
		if svc == nil {
			return nil, fmt.Errorf("gateway: service %d is nil", i)
		}
		if err := g.addService(svc, queryKeys, restPatterns); err != nil {
			return nil, fmt.Errorf("gateway: service %q: %w", svc.SigningName, err)
		}
	}
	return g, nil
}

func (g *Gateway) addService(svc *awsapi.Service, queryKeys map[string]bool, restPatterns map[string]string) error {
	if svc.SigningName == "" {
		return errors.New("SigningName is empty")
	}
	if g.bySign == nil {
		g.bySign = map[string]*awsapi.Service{}
	}
	g.bySign[svc.SigningName] = svc
	if len(svc.Protocols) == 0 {
		return errors.New("no Protocols")
	}
	for _, name := range svc.OperationNames() {
		op := svc.Operations[name]
		if op.Name != name {
			return fmt.Errorf("operation registered as %q is named %q", name, op.Name)
		}
		if op.Invoke == nil {
			return fmt.Errorf("operation %s has no Invoke", name)
		}
		if op.Input != nil {
			if op.Input.Kind() != reflect.Struct {
				return fmt.Errorf("operation %s: Input %s is not a struct type", name, op.Input)
			}
			if err := checkType(op.Input); err != nil {
				return fmt.Errorf("operation %s: input %w", name, err)
			}
		}
	}
	for _, p := range svc.Protocols {
		switch p {
		case awsapi.JSON10, awsapi.JSON11:
			if svc.TargetPrefix == "" {
				return fmt.Errorf("speaks %s but has no TargetPrefix", p)
			}
			if other, dup := g.byTarget[svc.TargetPrefix]; dup && other != svc {
				return fmt.Errorf("TargetPrefix %q is also claimed by %q", svc.TargetPrefix, other.SigningName)
			}
			if g.byTarget[svc.TargetPrefix] == nil {
				g.byTarget[svc.TargetPrefix] = svc
				g.json = append(g.json, svc)
			}
		case awsapi.Query:
			if svc.QueryVersion == "" {
				return errors.New("speaks awsQuery but has no QueryVersion")
			}
			key := svc.SigningName + " " + svc.QueryVersion
			if queryKeys[key] {
				return fmt.Errorf("signing name %q with query version %q is claimed twice", svc.SigningName, svc.QueryVersion)
			}
			queryKeys[key] = true
			g.query = append(g.query, svc)
		case awsapi.CBOR:
			if svc.CBORName == "" {
				return errors.New("speaks rpcv2Cbor but has no CBORName")
			}
			if other, dup := g.byCBOR[svc.CBORName]; dup {
				return fmt.Errorf("CBORName %q is also claimed by %q", svc.CBORName, other.SigningName)
			}
			g.byCBOR[svc.CBORName] = svc
		case awsapi.RestJSON:
			n := 0
			for _, name := range svc.OperationNames() {
				op := svc.Operations[name]
				if op.HTTPPath == "" && op.HTTPMethod == "" {
					continue
				}
				rt, err := parseRoute(svc, &op)
				if err != nil {
					return fmt.Errorf("operation %s: %w", name, err)
				}
				key := svc.SigningName + " " + rt.pattern()
				if other, dup := restPatterns[key]; dup {
					return fmt.Errorf("operations %s and %s share the route %s", other, name, rt.pattern())
				}
				restPatterns[key] = name
				g.routes = append(g.routes, rt)
				n++
			}
			if n == 0 {
				return errors.New("speaks restJson1 but no operation has an HTTPMethod and HTTPPath")
			}
		default:
			return fmt.Errorf("unknown protocol %v", p)
		}
	}
	return nil
}

// call is the state of one request as the gateway learns it.
type call struct {
	id      string
	r       *http.Request
	w       http.ResponseWriter
	proto   awsapi.Protocol // 0 until identified
	svc     *awsapi.Service
	opName  string
	op      *awsapi.Operation
	body    []byte // the body as sent (what the signature covers)
	payload []byte // the body after Content-Encoding is undone
	form    url.Values
	labels  map[string]string
	status  int
	code    string
	written bool
	// What the auditor is told.
	principal *awsapi.Principal
	input     any
	output    any
	err       *awsapi.Error
}

func (c *call) write(status int, body []byte) {
	if c.written {
		return
	}
	c.written = true
	c.status = status
	c.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

// ServeHTTP serves one AWS API request. It never lets a panic escape: an operation
// that panics gets InternalFailure, with the request id and stack logged.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{id: newRequestID(), r: r, w: w}
	w.Header().Set("X-Amzn-Requestid", c.id)
	defer func() {
		if v := recover(); v != nil {
			g.log.Error("panic serving request", "request_id", c.id, "service", c.serviceName(),
				"operation", c.opName, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			c.writeError(awsapi.ErrInternal)
		}
		g.log.Debug("request", "request_id", c.id, "protocol", c.protocolName(), "service", c.serviceName(),
			"operation", c.opName, "status", c.status, "code", c.code, "duration", time.Since(start))
		g.record(c, start)
	}()
	g.serve(c)
}

func (c *call) protocolName() string {
	if c.proto == 0 {
		return ""
	}
	return c.proto.String()
}

func (c *call) serviceName() string {
	if c.svc == nil {
		return ""
	}
	return c.svc.SigningName
}

func (g *Gateway) serve(c *call) {
	if e := g.identify(c); e != nil {
		c.writeError(e)
		return
	}
	if e := g.readBody(c); e != nil {
		c.writeError(e)
		return
	}
	if c.proto == awsapi.Query {
		if e := g.resolveQuery(c); e != nil {
			c.writeError(e)
			return
		}
	}
	ctx := awsapi.WithSourceIP(awsapi.WithRequestID(c.r.Context(), c.id), c.sourceIP())
	if !c.op.Anonymous {
		p, err := g.auth.Authenticate(ctx, c.r, c.body)
		if err != nil {
			e, ok := authErrorFor(err, c.proto == awsapi.Query)
			if !ok {
				g.log.Error("authenticator failed", "request_id", c.id, "service", c.svc.SigningName, "operation", c.opName, "err", err)
				e = awsapi.ErrInternal
			}
			c.writeError(e)
			return
		}
		// A signature is valid only for the service it was scoped to.
		if _, _, _, signing, ok := credentialScope(c.r); ok && signing != c.svc.SigningName {
			e, _ := authErrorFor(&AuthError{Kind: BadSignature,
				Message: fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", c.svc.SigningName)}, c.proto == awsapi.Query)
			c.writeError(e)
			return
		}
		ctx = awsapi.WithPrincipal(ctx, p)
		c.principal = &p
	}
	inType := c.op.Input
	if inType == nil {
		inType = reflect.TypeFor[struct{}]()
	}
	in := reflect.New(inType)
	if err := g.decodeInput(c, in); err != nil {
		c.writeError(inputError(c.proto, err))
		return
	}
	c.input = in.Interface()
	if e := g.authorize(ctx, c); e != nil {
		c.writeError(e)
		return
	}
	out, err := c.op.Invoke(ctx, c.input)
	if err != nil {
		e, ok := awsapi.As(err)
		if !ok {
			if c.r.Context().Err() != nil && errors.Is(err, c.r.Context().Err()) {
				g.log.Debug("client went away", "request_id", c.id, "service", c.svc.SigningName, "operation", c.opName, "err", err)
			} else {
				g.log.Error("operation failed", "request_id", c.id, "service", c.svc.SigningName, "operation", c.opName, "err", err)
			}
			e = awsapi.ErrInternal
		}
		c.writeError(e)
		return
	}
	c.output = out
	g.writeOutput(c, out)
}

// authorize checks the authenticated principal's permission for the call, before it
// touches any state: the operation's IAM action on the resources it names.
func (g *Gateway) authorize(ctx context.Context, c *call) *awsapi.Error {
	err := g.check(ctx, c.principal, c.svc, c.op, c.opName, c.input)
	if err == nil {
		return nil
	}
	var denied *Denied
	if errors.As(err, &denied) {
		if c.proto == awsapi.Query {
			return &awsapi.Error{Code: "AccessDenied", Message: denied.Message, Status: http.StatusForbidden}
		}
		return &awsapi.Error{Code: "AccessDeniedException", Message: denied.Message, Status: http.StatusBadRequest}
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		g.log.Debug("client went away", "request_id", c.id, "service", c.svc.SigningName, "operation", c.opName, "err", err)
	} else {
		g.log.Error("authorizer failed", "request_id", c.id, "service", c.svc.SigningName, "operation", c.opName, "err", err)
	}
	return awsapi.ErrInternal
}

// check asks the authorizer whether p may make the call: the operation's action on its
// resources with the request's condition keys, then its dependent authorizations. It
// returns nil, *Denied, or the authorizer's failure.
func (g *Gateway) check(ctx context.Context, p *awsapi.Principal, svc *awsapi.Service, op *awsapi.Operation, opName string, input any) error {
	if g.authz == nil || p == nil || op.Unauthorized {
		return nil
	}
	resources := []string{"*"}
	if op.Resources != nil {
		if r := op.Resources(ctx, input); len(r) > 0 {
			resources = r
		}
	}
	conditions := requestTags(input)
	if op.Conditions != nil {
		for k, v := range op.Conditions(ctx, input) {
			if conditions == nil {
				conditions = map[string][]string{}
			}
			conditions[k] = v
		}
	}
	err := g.authz.Authorize(ctx, *p, awsapi.Authorization{
		Action: svc.Action(opName), Resources: resources, Conditions: conditions, ResourceTags: svc.ResourceTags,
	})
	if err == nil && op.Dependent != nil {
		for _, dep := range op.Dependent(ctx, input) {
			if err = g.authz.Authorize(ctx, *p, dep); err != nil {
				break
			}
		}
	}
	return err
}

// record hands the auditor a call that reached a known operation, allowed or not.
func (g *Gateway) record(c *call, start time.Time) {
	if g.audit == nil || c.op == nil {
		return
	}
	host := c.sourceIP()
	g.audit(awsapi.Call{
		Time: start.UTC(), Service: c.svc.SigningName, Operation: c.opName, Region: g.region,
		RequestID: c.id, Principal: c.principal, SourceIP: host, UserAgent: c.r.UserAgent(),
		Input: c.input, Output: c.output, Err: c.err, HTTPStatus: c.status,
		Anonymous: c.op.Anonymous, ReadOnly: readOnly(c.opName), DurationNanos: time.Since(start).Nanoseconds(),
	})
}

// sourceIP is the client's address without the port.
func (c *call) sourceIP() string {
	host, _, err := net.SplitHostPort(c.r.RemoteAddr)
	if err != nil {
		return c.r.RemoteAddr
	}
	return host
}

// readOnly reports whether an operation only reads, by AWS's naming.
func readOnly(op string) bool {
	for _, prefix := range []string{"Describe", "Get", "List", "Lookup", "BatchGet", "Search", "Simulate", "Test", "Validate"} {
		if strings.HasPrefix(op, prefix) {
			return true
		}
	}
	return false
}

// identify finds the protocol and, except for awsQuery (whose Action is in the body),
// the service and operation, from the request line and headers.
func (g *Gateway) identify(c *call) *awsapi.Error {
	r := c.r
	ct := mediaType(r.Header.Get("Content-Type"))
	if svcName, opName, ok := cborPath(r.URL.Path); ok &&
		(strings.EqualFold(r.Header.Get("Smithy-Protocol"), "rpc-v2-cbor") || ct == "application/cbor") {
		c.proto, c.opName = awsapi.CBOR, opName
		if c.svc = g.byCBOR[svcName]; c.svc == nil {
			return &awsapi.Error{Code: "UnknownOperationException", Message: fmt.Sprintf("Unknown rpcv2Cbor service %q.", svcName), Status: http.StatusNotFound}
		}
		if r.Method != http.MethodPost {
			return methodNotAllowed(r.Method, c.proto)
		}
		if ct != "" && ct != "application/cbor" {
			return &awsapi.Error{Code: "UnsupportedMediaTypeException", Message: fmt.Sprintf("Content-Type %q is not application/cbor.", ct), Status: http.StatusUnsupportedMediaType}
		}
		return c.findOp(http.StatusNotFound)
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return g.identifyJSON(c, target, ct)
	}
	if ct == "application/x-www-form-urlencoded" {
		c.proto = awsapi.Query
		return checkQueryMethod(r)
	}
	if rt, labels := g.matchREST(r); rt != nil {
		c.proto, c.svc, c.opName, c.labels = awsapi.RestJSON, rt.svc, rt.op, labels
		return c.findOp(http.StatusNotFound)
	}
	if r.URL.Query().Has("Action") {
		c.proto = awsapi.Query
		return checkQueryMethod(r)
	}
	return &awsapi.Error{Code: "UnknownOperationException",
		Message: fmt.Sprintf("No AWS operation matches %s %s: expected X-Amz-Target, an awsQuery Action, an rpcv2Cbor path or a REST route.", r.Method, r.URL.Path),
		Status:  http.StatusNotFound}
}

func checkQueryMethod(r *http.Request) *awsapi.Error {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return methodNotAllowed(r.Method, awsapi.Query)
	}
	return nil
}

// findOp looks up c.opName in c.svc.
func (c *call) findOp(status int) *awsapi.Error {
	op, ok := c.svc.Operations[c.opName]
	if !ok {
		e := awsapi.InvalidAction(c.opName)
		e.Status = status
		return e
	}
	c.op = &op
	return nil
}

// identifyJSON resolves an awsJson request: the service by the X-Amz-Target prefix
// (exactly, or as the last dotted part of a longer prefix, as botocore sends for
// CloudTrail), else by the signing name; the protocol by the Content-Type.
func (g *Gateway) identifyJSON(c *call, target, ct string) *awsapi.Error {
	c.proto = awsapi.JSON11
	dot := strings.LastIndexByte(target, '.')
	if dot < 0 {
		return unknownOperation("X-Amz-Target %q has no operation after a '.'.", target)
	}
	prefix, opName := target[:dot], target[dot+1:]
	c.opName = opName
	c.svc = g.byTarget[prefix]
	if c.svc == nil {
		for _, svc := range g.json {
			if strings.HasSuffix(prefix, "."+svc.TargetPrefix) {
				c.svc = svc
				break
			}
		}
	}
	if c.svc == nil {
		if _, _, _, signing, ok := credentialScope(c.r); ok {
			var found []*awsapi.Service
			for _, svc := range g.json {
				if svc.SigningName == signing {
					found = append(found, svc)
				}
			}
			if len(found) == 1 {
				c.svc = found[0]
			}
		}
	}
	switch ct {
	case "application/x-amz-json-1.0":
		c.proto = awsapi.JSON10
	case "application/x-amz-json-1.1":
		c.proto = awsapi.JSON11
	case "", "application/json":
		if c.svc != nil {
			c.proto = ownJSON(c.svc)
		}
	default:
		if c.svc != nil {
			c.proto = ownJSON(c.svc)
		}
		return unknownOperation("Content-Type %q is not an awsJson type (application/x-amz-json-1.0 or -1.1).", ct)
	}
	if c.svc == nil {
		return unknownOperation("Unknown X-Amz-Target prefix %q.", prefix)
	}
	if c.r.Method != http.MethodPost {
		return methodNotAllowed(c.r.Method, c.proto)
	}
	return c.findOp(http.StatusBadRequest)
}

// ownJSON is the awsJson version a service lists first.
func ownJSON(svc *awsapi.Service) awsapi.Protocol {
	for _, p := range svc.Protocols {
		if p == awsapi.JSON10 || p == awsapi.JSON11 {
			return p
		}
	}
	return awsapi.JSON11
}

// resolveQuery parses the awsQuery parameters and finds the service (by signing name,
// then by Version) and the operation (by Action).
func (g *Gateway) resolveQuery(c *call) *awsapi.Error {
	form, err := parseQueryForm(c.r, c.payload)
	if err != nil {
		return &awsapi.Error{Code: "MalformedQueryString", Message: err.Error(), Status: http.StatusBadRequest}
	}
	c.form = form
	action, version := form.Get("Action"), form.Get("Version")
	c.opName = action
	candidates := g.query
	if _, _, _, signing, ok := credentialScope(c.r); ok {
		var same []*awsapi.Service
		for _, svc := range g.query {
			if svc.SigningName == signing {
				same = append(same, svc)
			}
		}
		if len(same) == 1 {
			c.svc = same[0]
		} else if len(same) > 1 {
			candidates = same
		}
	}
	if c.svc == nil {
		for _, svc := range candidates {
			if svc.QueryVersion == version {
				if c.svc != nil {
					c.svc = nil // ambiguous
					break
				}
				c.svc = svc
			}
		}
	}
	if action == "" {
		return &awsapi.Error{Code: "MissingAction", Message: "The request must contain the parameter Action.", Status: http.StatusBadRequest}
	}
	if c.svc == nil {
		return invalidAction(action, version)
	}
	op, ok := c.svc.Operations[action]
	if !ok {
		return invalidAction(action, version)
	}
	c.op = &op
	return nil
}

// readBody reads the request body, up to the limit.
func (g *Gateway) readBody(c *call) *awsapi.Error {
	if c.r.ContentLength > g.maxBody {
		return tooLarge(g.maxBody, c.proto)
	}
	if c.r.Body == nil {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(c.r.Body, g.maxBody+1))
	if err != nil {
		return awsapi.Serialization("Reading the request body failed: %v", err)
	}
	if int64(len(body)) > g.maxBody {
		return tooLarge(g.maxBody, c.proto)
	}
	c.body, c.payload = body, body
	for _, enc := range c.r.Header.Values("Content-Encoding") {
		for coding := range strings.SplitSeq(enc, ",") {
			switch coding = strings.ToLower(strings.TrimSpace(coding)); coding {
			case "", "identity":
			case "gzip", "x-gzip":
				// Clients compress some requests (CloudWatch PutMetricData is
				// @requestCompression); the limit applies to the decompressed size too.
				zr, err := gzip.NewReader(bytes.NewReader(c.payload))
				if err != nil {
					return inputError(c.proto, fmt.Errorf("malformed gzip body: %w", err))
				}
				plain, err := io.ReadAll(io.LimitReader(zr, g.maxBody+1))
				if err != nil {
					return inputError(c.proto, fmt.Errorf("malformed gzip body: %w", err))
				}
				if int64(len(plain)) > g.maxBody {
					return tooLarge(g.maxBody, c.proto)
				}
				c.payload = plain
			default:
				return &awsapi.Error{Code: "UnsupportedMediaTypeException", Status: http.StatusUnsupportedMediaType,
					Message: fmt.Sprintf("Content-Encoding %q is not supported; use gzip or none.", coding)}
			}
		}
	}
	return nil
}

func (g *Gateway) decodeInput(c *call, in reflect.Value) error {
	switch c.proto {
	case awsapi.JSON10, awsapi.JSON11:
		return decodeJSONInput(c.payload, in)
	case awsapi.CBOR:
		return decodeCBORInput(c.payload, in)
	case awsapi.Query:
		return decodeQueryInput(c.form, in)
	case awsapi.RestJSON:
		return decodeRESTInput(c.r, c.labels, c.payload, in)
	}
	return fmt.Errorf("no decoder for protocol %v", c.proto)
}

// writeOutput encodes the operation's output in the call's protocol.
func (g *Gateway) writeOutput(c *call, out any) {
	var body []byte
	var err error
	h := c.w.Header()
	switch c.proto {
	case awsapi.JSON10, awsapi.JSON11, awsapi.RestJSON:
		if body, err = encodeJSONOutput(out); err == nil {
			h.Set("Content-Type", jsonContentType(c.proto))
			if c.proto == awsapi.RestJSON {
				restOutputHeaders(h, out)
			}
		}
	case awsapi.CBOR:
		if body, err = encodeCBOROutput(out); err == nil {
			h.Set("Smithy-Protocol", "rpc-v2-cbor")
			h.Set("Content-Type", "application/cbor")
		}
	case awsapi.Query:
		if body, err = encodeQueryOutput(c.svc, c.opName, c.id, out); err == nil {
			h.Set("Content-Type", "text/xml")
		}
	default:
		err = fmt.Errorf("no encoder for protocol %v", c.proto)
	}
	if err != nil {
		g.log.Error("encoding output failed", "request_id", c.id, "service", c.svc.SigningName, "operation", c.opName, "err", err)
		c.writeError(awsapi.ErrInternal)
		return
	}
	c.write(http.StatusOK, body)
}

// cborPath splits "/service/<svc>/operation/<op>".
func cborPath(path string) (svc, op string, ok bool) {
	rest, found := strings.CutPrefix(path, "/service/")
	if !found {
		return "", "", false
	}
	svc, op, found = strings.Cut(rest, "/operation/")
	if !found || svc == "" || op == "" || strings.Contains(svc, "/") || strings.Contains(op, "/") {
		return "", "", false
	}
	return svc, op, true
}

// mediaType is the lower-cased media type of a Content-Type, without parameters.
func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// credentialScope parses the SigV4 credential scope of a request, from the
// Authorization header or the presigned X-Amz-Credential parameter, without
// verifying anything.
func credentialScope(r *http.Request) (accessKeyID, date, region, service string, ok bool) {
	var cred string
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		_, after, found := strings.Cut(auth, "Credential=")
		if !found {
			return "", "", "", "", false
		}
		cred, _, _ = strings.Cut(after, ",")
		cred = strings.TrimSpace(cred)
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" || parts[3] == "" {
		return "", "", "", "", false
	}
	return parts[0], parts[1], parts[2], parts[3], true
}

// newRequestID returns a random UUID (version 4).
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
