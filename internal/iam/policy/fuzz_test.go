package policy

import (
	"errors"
	"testing"
)

var seedPolicies = []string{
	`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["ssm:Get*","kms:Decrypt"],"Resource":"arn:aws:ssm:*:*:parameter/home/${aws:username}/*"},{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b/${*}","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["app-*"]},"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"},"Null":{"aws:TokenIssueTime":"true"}}}]}`,
	`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"BinaryEquals":{"x:b":"QQ=="},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}}}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/r"],"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":"*","Action":"kms:*","Resource":"*","Condition":{"ForAnyValue:StringEqualsIgnoreCase":{"kms:EncryptionContext:app":["${aws:PrincipalTag/app, 'x'}"]}}}}`,
}

// FuzzParse checks that Parse never panics, that errors are *Error, and that a parsed
// policy evaluates without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range seedPolicies {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte(`{"Statement":[]}`), uint8(1))
	f.Fuzz(func(t *testing.T, doc []byte, kind uint8) {
		p, err := Parse(doc, Kind(kind%4))
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Message == "" {
				t.Fatalf("error %v is not a *Error with a message", err)
			}
			return
		}
		req := Request{
			Action: "ssm:GetParameter", Resource: "arn:aws:ssm:us-east-1:123456789012:parameter/home/alice/x",
			Principal: Principal{ARN: "arn:aws:sts::123456789012:assumed-role/r/s", AccountID: "123456789012", Type: "AssumedRole"},
			Context: map[string][]string{"aws:username": {"alice"}, "aws:TagKeys": {"app-a", "b"}, "aws:SourceIp": {"10.1.1.1"},
				"aws:CurrentTime": {"2025-01-01T00:00:00Z"}, "s3:max-keys": {"5"}},
		}
		p.Evaluate(req)
		Decide(req, []*Policy{p}, []*Policy{p})
	})
}

// FuzzEvaluate evaluates random requests against the seed policies.
func FuzzEvaluate(f *testing.F) {
	f.Add("ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/home/alice/x", "arn:aws:iam::123456789012:user/alice", "aws:username", "alice", "10.0.0.1")
	f.Add("kms:Decrypt", "*", "", "aws:TagKeys", "app-*", "::1")
	f.Add("s", ":::::", "arn:aws:sts::123456789012:assumed-role/r/s", "kms:encryptioncontext:app", "${*}", "")
	var policies []*Policy
	for _, s := range seedPolicies {
		for k := Identity; k <= KeyPolicy; k++ {
			if p, err := Parse([]byte(s), k); err == nil {
				policies = append(policies, p)
			}
		}
	}
	if len(policies) < len(seedPolicies) {
		f.Fatalf("only %d seed policies parsed", len(policies))
	}
	f.Fuzz(func(t *testing.T, action, resource, arn, key, value, ip string) {
		req := Request{
			Action: action, Resource: resource,
			Principal: Principal{ARN: arn, AccountID: "123456789012", Type: "AssumedRole"},
			Context: map[string][]string{key: {value, value + "*"}, "aws:SourceIp": {ip}, "aws:CurrentTime": {value},
				"aws:username": {value}, "s3:max-keys": {value}, "x:b": {value}, "aws:PrincipalArn": {arn}},
		}
		for _, p := range policies {
			e := p.Evaluate(req)
			if e != NotApplicable && e != Allow && e != Deny {
				t.Fatalf("effect %d", e)
			}
		}
		d := Decide(req, policies, policies)
		if d.Allowed && d.ExplicitDeny {
			t.Fatalf("decision both allowed and denied: %+v", d)
		}
	})
}
