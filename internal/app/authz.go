package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/gateway"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/iam/policy"
	"github.com/wharf-dev/wharf/internal/kms"
)

// policySource gives the identity policies that apply to a principal.
type policySource interface {
	PoliciesFor(ctx context.Context, p awsapi.Principal) ([][]byte, error)
}

// authorizer evaluates the caller's identity policies for every call, as IAM does in
// one account: an explicit deny wins, then an allow, else the call is implicitly
// denied. The account's root user may do everything.
type authorizer struct {
	parsed   parsedPolicies
	policies policySource
	keys     keyPolicySource // nil: KMS key policies are not consulted
	grants   grantSource     // nil: KMS grants are not consulted
	now      func() time.Time
}

// grantSource tells whether a KMS grant allows a principal an action on a key.
type grantSource interface {
	GrantAllows(ctx context.Context, keyARN, principalARN, action string, conditions map[string][]string) bool
}

// keyPolicySource gives the key policy of a KMS key.
type keyPolicySource interface {
	KeyPolicy(ctx context.Context, keyID string) (policy, keyARN string, err error)
}

// Authorize implements gateway.Authorizer.
func (a *authorizer) Authorize(ctx context.Context, p awsapi.Principal, az awsapi.Authorization) error {
	return a.authorize(ctx, p, az, nil)
}

// authorize is Authorize with extra condition keys (kms:ViaService for a call that a
// service makes to KMS on the caller's behalf).
func (a *authorizer) authorize(ctx context.Context, p awsapi.Principal, az awsapi.Authorization, extra map[string][]string) error {
	if p.Root {
		return nil
	}
	docs, err := a.policies.PoliciesFor(ctx, p)
	if err != nil {
		return fmt.Errorf("policies of %s: %w", p.ARN, err)
	}
	var identity []*policy.Policy
	resourceTags := false // whether a policy reads aws:ResourceTag, which costs a lookup
	for _, doc := range docs {
		pol, err := a.parsed.parse(doc, policy.Identity)
		if err != nil {
			// A stored policy was valid when stored; one that no longer parses grants nothing.
			continue
		}
		identity = append(identity, pol)
		resourceTags = resourceTags || bytes.Contains(doc, []byte("ResourceTag/"))
	}
	req := policy.Request{Action: az.Action, Principal: principalOf(p), Context: a.context(ctx, p)}
	for k, v := range az.Conditions {
		req.Context[k] = v
	}
	for k, v := range extra {
		req.Context[k] = v
	}
	for _, res := range az.Resources {
		req.Resource = res
		kp, kpDoc := a.keyPolicy(ctx, az.Action, res)
		if az.ResourceTags != nil && res != "*" && (resourceTags || bytes.Contains(kpDoc, []byte("ResourceTag/"))) {
			req.Context = withResourceTags(req.Context, az.ResourceTags(ctx, res))
		}
		var d policy.Decision
		if kp != nil {
			d = decideKMS(req, identity, kp)
		} else {
			d = policy.Decide(req, identity, nil)
		}
		if !d.Allowed && !d.ExplicitDeny && kp != nil && a.grants != nil && a.grants.GrantAllows(ctx, res, p.ARN, az.Action, req.Context) {
			continue // a KMS grant gives what no policy does
		}
		if d.Allowed {
			continue
		}
		why := "because no identity-based policy allows the " + az.Action + " action"
		if d.ExplicitDeny {
			why = "with an explicit deny in an identity-based policy"
		}
		return &gateway.Denied{Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", p.ARN, az.Action, res, why)}
	}
	return nil
}

// withResourceTags returns the condition keys with aws:ResourceTag/<key> set to tags
// (and none left from another resource).
func withResourceTags(ctx map[string][]string, tags map[string]string) map[string][]string {
	out := make(map[string][]string, len(ctx)+len(tags))
	for k, v := range ctx {
		if !strings.HasPrefix(k, "aws:ResourceTag/") {
			out[k] = v
		}
	}
	for k, v := range tags {
		out["aws:ResourceTag/"+k] = []string{v}
	}
	return out
}

// keyPolicy returns the parsed key policy, and its text, when action is a KMS action on
// a key.
func (a *authorizer) keyPolicy(ctx context.Context, action, resource string) (*policy.Policy, []byte) {
	if a.keys == nil || !strings.HasPrefix(action, "kms:") || !strings.Contains(resource, ":key/") {
		return nil, nil
	}
	doc, _, err := a.keys.KeyPolicy(ctx, resource)
	if err != nil {
		return nil, nil
	}
	kp, err := a.parsed.parse([]byte(doc), policy.KeyPolicy)
	if err != nil {
		return nil, nil
	}
	return kp, []byte(doc)
}

// decideKMS decides as KMS does: the key policy must allow the caller itself, or allow
// the account (delegating to IAM) while an identity policy allows the caller; an
// explicit deny in either wins.
func decideKMS(req policy.Request, identity []*policy.Policy, keyPolicy *policy.Policy) policy.Decision {
	if d := policy.Decide(req, identity, []*policy.Policy{keyPolicy}); d.ExplicitDeny {
		return d
	}
	if d := policy.Decide(req, nil, []*policy.Policy{keyPolicy}); d.Allowed {
		return d
	}
	account := req
	account.Principal = policy.Principal{ARN: "arn:aws:iam::" + req.Principal.AccountID + ":root", AccountID: req.Principal.AccountID, Type: "Root"}
	if !policy.Decide(account, nil, []*policy.Policy{keyPolicy}).Allowed {
		return policy.Decision{}
	}
	return policy.Decide(req, identity, nil)
}

// context holds the global condition keys Wharf supplies for a request.
func (a *authorizer) context(ctx context.Context, p awsapi.Principal) map[string][]string {
	now := a.now().UTC()
	return map[string][]string{
		"aws:PrincipalArn":     {p.ARN},
		"aws:PrincipalAccount": {p.AccountID},
		"aws:userid":           {p.UserID},
		"aws:username":         {userName(p.ARN)},
		"aws:CurrentTime":      {now.Format(time.RFC3339)},
		"aws:EpochTime":        {strconv.FormatInt(now.Unix(), 10)},
		"aws:SecureTransport":  {"false"},
		"aws:SourceIp":         {awsapi.SourceIP(ctx)},
	}
}

// principalOf describes an authenticated principal to the policy engine.
func principalOf(p awsapi.Principal) policy.Principal {
	kind := "IAMUser"
	switch {
	case p.Root:
		kind = "Root"
	case strings.Contains(p.ARN, ":assumed-role/"):
		kind = "AssumedRole"
	}
	return policy.Principal{ARN: p.ARN, AccountID: p.AccountID, Type: kind, UserID: p.UserID}
}

// userName is the last element of a user ARN ("" for other principals).
func userName(arn string) string {
	if i := strings.Index(arn, ":user/"); i >= 0 {
		name := arn[i+len(":user/"):]
		return name[strings.LastIndexByte(name, '/')+1:]
	}
	return ""
}

// trust decides whether p may assume role: the role's trust policy is the resource
// policy of sts:AssumeRole, evaluated together with p's identity policies.
func (a *authorizer) trust(ctx context.Context, p awsapi.Principal, role iam.Role) error {
	denied := &gateway.Denied{Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", p.ARN, role.Arn)}
	trust, err := a.parsed.parse([]byte(role.AssumeRolePolicyDocument), policy.Trust)
	if err != nil {
		return denied
	}
	var identity []*policy.Policy
	if !p.Root {
		docs, err := a.policies.PoliciesFor(ctx, p)
		if err != nil {
			return fmt.Errorf("policies of %s: %w", p.ARN, err)
		}
		for _, doc := range docs {
			if pol, err := a.parsed.parse(doc, policy.Identity); err == nil {
				identity = append(identity, pol)
			}
		}
	}
	req := policy.Request{Action: "sts:AssumeRole", Resource: role.Arn, Principal: principalOf(p), Context: a.context(ctx, p)}
	if !policy.Decide(req, identity, []*policy.Policy{trust}).Allowed {
		return denied
	}
	return nil
}

// keyService is KMS as SSM uses it.
type keyService interface {
	EncryptFor(ctx context.Context, keyID string, plaintext []byte, encryptionContext map[string]string) ([]byte, string, error)
	DecryptFor(ctx context.Context, ciphertext []byte, encryptionContext map[string]string) ([]byte, string, error)
	KeyPolicy(ctx context.Context, keyID string) (policy, keyARN string, err error)
	ResourceTags(ctx context.Context, arn string) map[string]string
}

// authorizedKeys is KMS for SSM's SecureStrings, with the caller's own permission on
// the key checked, as AWS does: reading a SecureString needs kms:Decrypt on its key
// and writing one kms:Encrypt, besides the SSM permission.
type authorizedKeys struct {
	kms    keyService
	authz  *authorizer
	region string
}

// EncryptFor implements ssm.Keys.
func (k authorizedKeys) EncryptFor(ctx context.Context, keyID string, plaintext []byte, ec map[string]string) ([]byte, string, error) {
	if err := k.check(ctx, "kms:Encrypt", keyID, ec); err != nil {
		return nil, "", err
	}
	return k.kms.EncryptFor(ctx, keyID, plaintext, ec)
}

// DecryptFor implements ssm.Keys.
func (k authorizedKeys) DecryptFor(ctx context.Context, ciphertext []byte, ec map[string]string) ([]byte, string, error) {
	if id, ok := kms.BlobKeyID(ciphertext); ok {
		if err := k.check(ctx, "kms:Decrypt", id, ec); err != nil {
			return nil, "", err
		}
	}
	return k.kms.DecryptFor(ctx, ciphertext, ec)
}

// check authorizes the request's principal for action on the key keyID names, with the
// encryption context SSM uses.
func (k authorizedKeys) check(ctx context.Context, action, keyID string, ec map[string]string) error {
	p, ok := awsapi.PrincipalFrom(ctx)
	if !ok || p.Root {
		return nil
	}
	arn := keyID
	if _, keyARN, err := k.kms.KeyPolicy(ctx, keyID); err == nil {
		arn = keyARN
	}
	via := map[string][]string{"kms:ViaService": {"ssm." + k.region + ".amazonaws.com"}, "kms:CallerAccount": {p.AccountID}}
	err := k.authz.authorize(ctx, p, awsapi.Authorization{Action: action, Resources: []string{arn}, Conditions: kms.EncryptionContextConditions(ec), ResourceTags: k.kms.ResourceTags}, via)
	var denied *gateway.Denied
	if errors.As(err, &denied) {
		return &awsapi.Error{Code: "AccessDeniedException", Message: denied.Message}
	}
	return err
}

// parsedPolicies caches parsed policy documents by their text: a document is an
// immutable value, and parsing one costs more than evaluating it. The cache is
// emptied when it grows past a bound.
type parsedPolicies struct {
	mu    sync.Mutex
	cache map[parsedKey]*policy.Policy
}

type parsedKey struct {
	doc  string
	kind policy.Kind
}

const maxParsedPolicies = 4096

func (c *parsedPolicies) parse(doc []byte, kind policy.Kind) (*policy.Policy, error) {
	key := parsedKey{string(doc), kind}
	c.mu.Lock()
	p, ok := c.cache[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := policy.Parse(doc, kind)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.cache == nil || len(c.cache) >= maxParsedPolicies {
		c.cache = map[parsedKey]*policy.Policy{}
	}
	c.cache[key] = p
	c.mu.Unlock()
	return p, nil
}
