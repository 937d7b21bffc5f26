package policy

import (
	"fmt"
	"strings"
	"testing"
)

// condPolicy builds an identity policy allowing everything under one condition.
func condPolicy(t *testing.T, op, key, values string) *Policy {
	t.Helper()
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{%q:{%q:%s}}}}`, op, key, values)
	p, err := Parse([]byte(doc), Identity)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

func TestConditionOperators(t *testing.T) {
	type ctx = map[string][]string
	tests := []struct {
		op, key, values string
		ctx             ctx
		want            bool
	}{
		// String
		{"StringEquals", "aws:username", `"alice"`, ctx{"aws:username": {"alice"}}, true},
		{"StringEquals", "aws:username", `"alice"`, ctx{"aws:username": {"Alice"}}, false},
		{"StringEquals", "aws:username", `["bob","alice"]`, ctx{"aws:username": {"alice"}}, true},
		{"StringEquals", "aws:username", `"alice"`, ctx{}, false},
		{"StringEquals", "AWS:USERNAME", `"alice"`, ctx{"aws:username": {"alice"}}, true}, // keys case-insensitive
		{"StringNotEquals", "aws:username", `"alice"`, ctx{"aws:username": {"bob"}}, true},
		{"StringNotEquals", "aws:username", `"alice"`, ctx{"aws:username": {"alice"}}, false},
		{"StringNotEquals", "aws:username", `["alice","bob"]`, ctx{"aws:username": {"bob"}}, false},
		{"StringNotEquals", "aws:username", `"alice"`, ctx{}, true}, // missing key satisfies a negated operator
		{"StringEqualsIgnoreCase", "aws:username", `"ALICE"`, ctx{"aws:username": {"alice"}}, true},
		{"StringEqualsIgnoreCase", "aws:username", `"ALICE"`, ctx{"aws:username": {"alicia"}}, false},
		{"StringNotEqualsIgnoreCase", "aws:username", `"ALICE"`, ctx{"aws:username": {"alice"}}, false},
		{"StringNotEqualsIgnoreCase", "aws:username", `"ALICE"`, ctx{"aws:username": {"bob"}}, true},
		{"StringNotEqualsIgnoreCase", "aws:username", `"ALICE"`, ctx{}, true},
		{"StringLike", "ssm:Name", `"/app/*"`, ctx{"ssm:Name": {"/app/web/db"}}, true},
		{"StringLike", "ssm:Name", `"/app/?"`, ctx{"ssm:Name": {"/app/ab"}}, false},
		{"StringLike", "ssm:Name", `"/app/??"`, ctx{"ssm:Name": {"/app/ab"}}, true},
		{"StringLike", "ssm:Name", `"/APP/*"`, ctx{"ssm:Name": {"/app/x"}}, false},
		{"StringLike", "ssm:Name", `"/app/*"`, ctx{}, false},
		{"StringNotLike", "ssm:Name", `"/app/*"`, ctx{"ssm:Name": {"/app/x"}}, false},
		{"StringNotLike", "ssm:Name", `"/app/*"`, ctx{"ssm:Name": {"/other"}}, true},
		{"StringNotLike", "ssm:Name", `"/app/*"`, ctx{}, true},
		{"StringEqualsIfExists", "aws:username", `"alice"`, ctx{}, true},
		{"StringEqualsIfExists", "aws:username", `"alice"`, ctx{"aws:username": {"bob"}}, false},
		{"StringEqualsIfExists", "aws:username", `"alice"`, ctx{"aws:username": {"alice"}}, true},
		{"StringNotEqualsIfExists", "aws:username", `"alice"`, ctx{"aws:username": {"alice"}}, false},
		{"StringLikeIfExists", "ssm:Name", `"/a*"`, ctx{}, true},
		// Numeric
		{"NumericEquals", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"10"}}, true},
		{"NumericEquals", "s3:max-keys", `10`, ctx{"s3:max-keys": {"10.0"}}, true},
		{"NumericEquals", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"11"}}, false},
		{"NumericEquals", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"ten"}}, false},
		{"NumericEquals", "s3:max-keys", `"10"`, ctx{}, false},
		{"NumericNotEquals", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"11"}}, true},
		{"NumericNotEquals", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"10"}}, false},
		{"NumericNotEquals", "s3:max-keys", `"10"`, ctx{}, true},
		{"NumericLessThan", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"9"}}, true},
		{"NumericLessThan", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"10"}}, false},
		{"NumericLessThanEquals", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"10"}}, true},
		{"NumericLessThanEquals", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"11"}}, false},
		{"NumericGreaterThan", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"11"}}, true},
		{"NumericGreaterThan", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"10"}}, false},
		{"NumericGreaterThanEquals", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"10"}}, true},
		{"NumericGreaterThanEquals", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"-1"}}, false},
		{"NumericLessThanIfExists", "s3:max-keys", `"10"`, ctx{}, true},
		// Date
		{"DateLessThan", "aws:CurrentTime", `"2030-01-01T00:00:00Z"`, ctx{"aws:CurrentTime": {"2025-06-01T12:00:00Z"}}, true},
		{"DateLessThan", "aws:CurrentTime", `"2020-01-01T00:00:00Z"`, ctx{"aws:CurrentTime": {"2025-06-01T12:00:00Z"}}, false},
		{"DateLessThan", "aws:CurrentTime", `"2020-01-01T00:00:00Z"`, ctx{}, false},
		{"DateGreaterThan", "aws:CurrentTime", `"2020-01-01"`, ctx{"aws:CurrentTime": {"2025-06-01T12:00:00Z"}}, true},
		{"DateGreaterThan", "aws:EpochTime", `"1577836800"`, ctx{"aws:EpochTime": {"1577836801"}}, true},
		{"DateGreaterThan", "aws:EpochTime", `1577836800`, ctx{"aws:EpochTime": {"1577836800"}}, false},
		{"DateGreaterThanEquals", "aws:EpochTime", `1577836800`, ctx{"aws:EpochTime": {"1577836800"}}, true},
		{"DateLessThanEquals", "aws:CurrentTime", `"2020-01-01T00:00:00Z"`, ctx{"aws:CurrentTime": {"1577836800"}}, true},
		{"DateEquals", "aws:CurrentTime", `"2020-01-01T02:00:00+02:00"`, ctx{"aws:CurrentTime": {"2020-01-01T00:00:00Z"}}, true},
		{"DateEquals", "aws:CurrentTime", `"2020-01-01T00:00:00Z"`, ctx{"aws:CurrentTime": {"garbage"}}, false},
		{"DateNotEquals", "aws:CurrentTime", `"2020-01-01T00:00:00Z"`, ctx{"aws:CurrentTime": {"2021-01-01T00:00:00Z"}}, true},
		{"DateNotEquals", "aws:CurrentTime", `"2020-01-01T00:00:00Z"`, ctx{"aws:CurrentTime": {"2020-01-01T00:00:00Z"}}, false},
		{"DateNotEquals", "aws:CurrentTime", `"2020-01-01T00:00:00Z"`, ctx{}, true},
		{"DateLessThanIfExists", "aws:CurrentTime", `"2020-01-01T00:00:00Z"`, ctx{}, true},
		// Bool
		{"Bool", "aws:SecureTransport", `"true"`, ctx{"aws:SecureTransport": {"true"}}, true},
		{"Bool", "aws:SecureTransport", `true`, ctx{"aws:SecureTransport": {"TRUE"}}, true},
		{"Bool", "aws:SecureTransport", `"true"`, ctx{"aws:SecureTransport": {"false"}}, false},
		{"Bool", "aws:SecureTransport", `"false"`, ctx{}, false},
		{"BoolIfExists", "aws:SecureTransport", `"false"`, ctx{}, true},
		{"BoolIfExists", "aws:SecureTransport", `"false"`, ctx{"aws:SecureTransport": {"true"}}, false},
		// Binary
		{"BinaryEquals", "x:bin", `"QmluYXJ5"`, ctx{"x:bin": {"QmluYXJ5"}}, true},
		{"BinaryEquals", "x:bin", `"QmluYXJ5"`, ctx{"x:bin": {"QmluYXJ6"}}, false},
		{"BinaryEquals", "x:bin", `"QmluYXJ5"`, ctx{}, false},
		// IP
		{"IpAddress", "aws:SourceIp", `"10.0.0.0/8"`, ctx{"aws:SourceIp": {"10.1.2.3"}}, true},
		{"IpAddress", "aws:SourceIp", `"10.0.0.0/8"`, ctx{"aws:SourceIp": {"11.1.2.3"}}, false},
		{"IpAddress", "aws:SourceIp", `["192.168.0.0/16","127.0.0.1"]`, ctx{"aws:SourceIp": {"127.0.0.1"}}, true},
		{"IpAddress", "aws:SourceIp", `"10.0.0.1/8"`, ctx{"aws:SourceIp": {"10.200.0.1"}}, true},
		{"IpAddress", "aws:SourceIp", `"2001:db8::/32"`, ctx{"aws:SourceIp": {"2001:db8::1"}}, true},
		{"IpAddress", "aws:SourceIp", `"127.0.0.0/8"`, ctx{"aws:SourceIp": {"::ffff:127.0.0.1"}}, true},
		{"IpAddress", "aws:SourceIp", `"10.0.0.0/8"`, ctx{"aws:SourceIp": {"not-an-ip"}}, false},
		{"IpAddress", "aws:SourceIp", `"10.0.0.0/8"`, ctx{}, false},
		{"NotIpAddress", "aws:SourceIp", `"10.0.0.0/8"`, ctx{"aws:SourceIp": {"11.1.2.3"}}, true},
		{"NotIpAddress", "aws:SourceIp", `"10.0.0.0/8"`, ctx{"aws:SourceIp": {"10.1.2.3"}}, false},
		{"NotIpAddress", "aws:SourceIp", `"10.0.0.0/8"`, ctx{}, true},
		{"NotIpAddressIfExists", "aws:SourceIp", `"10.0.0.0/8"`, ctx{"aws:SourceIp": {"10.0.0.1"}}, false},
		// Arn
		{"ArnEquals", "aws:SourceArn", `"arn:aws:sns:us-east-1:123456789012:topic"`, ctx{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:topic"}}, true},
		{"ArnEquals", "aws:SourceArn", `"arn:aws:sns:us-east-1:123456789012:topic"`, ctx{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:Topic"}}, false},
		{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*:role/app-*"`, ctx{"aws:PrincipalArn": {"arn:aws:iam::123456789012:role/app-web"}}, true},
		{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*:role/app-*"`, ctx{"aws:PrincipalArn": {"arn:aws:iam::123456789012:user/app-web"}}, false},
		{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::1*2:role/x"`, ctx{"aws:PrincipalArn": {"arn:aws:iam::1:3:2:role/x"}}, false}, // * does not cross a colon
		{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*"`, ctx{"aws:PrincipalArn": {"arn:aws:iam::123456789012:role/x"}}, true},
		{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*"`, ctx{"aws:PrincipalArn": {"not-an-arn"}}, false},
		{"ArnNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:role/admin"`, ctx{"aws:PrincipalArn": {"arn:aws:iam::123456789012:role/app"}}, true},
		{"ArnNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:role/admin"`, ctx{"aws:PrincipalArn": {"arn:aws:iam::123456789012:role/admin"}}, false},
		{"ArnNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:role/admin"`, ctx{}, true},
		{"ArnNotEquals", "aws:PrincipalArn", `"arn:aws:iam::123456789012:role/admin"`, ctx{"aws:PrincipalArn": {"arn:aws:iam::123456789012:role/admin"}}, false},
		{"ArnLikeIfExists", "aws:PrincipalArn", `"arn:aws:iam::*:role/admin"`, ctx{}, true},
		// Null
		{"Null", "aws:TokenIssueTime", `"true"`, ctx{}, true},
		{"Null", "aws:TokenIssueTime", `"true"`, ctx{"aws:TokenIssueTime": {"x"}}, false},
		{"Null", "aws:TokenIssueTime", `"false"`, ctx{"aws:TokenIssueTime": {"x"}}, true},
		{"Null", "aws:TokenIssueTime", `"false"`, ctx{}, false},
		{"Null", "aws:TokenIssueTime", `false`, ctx{"aws:TokenIssueTime": {}}, false}, // empty = absent
		// Set qualifiers
		{"ForAllValues:StringEquals", "aws:TagKeys", `["env","team"]`, ctx{"aws:TagKeys": {"env"}}, true},
		{"ForAllValues:StringEquals", "aws:TagKeys", `["env","team"]`, ctx{"aws:TagKeys": {"env", "team"}}, true},
		{"ForAllValues:StringEquals", "aws:TagKeys", `["env","team"]`, ctx{"aws:TagKeys": {"env", "cost"}}, false},
		{"ForAllValues:StringEquals", "aws:TagKeys", `["env","team"]`, ctx{}, true},                  // missing key: vacuously true
		{"ForAllValues:StringEquals", "aws:TagKeys", `["env","team"]`, ctx{"aws:TagKeys": {}}, true}, // empty set: vacuously true
		{"ForAllValues:StringLike", "aws:TagKeys", `"app-*"`, ctx{"aws:TagKeys": {"app-a", "app-b"}}, true},
		{"ForAllValues:StringNotEquals", "aws:TagKeys", `["secret"]`, ctx{"aws:TagKeys": {"env", "team"}}, true},
		{"ForAllValues:StringNotEquals", "aws:TagKeys", `["secret"]`, ctx{"aws:TagKeys": {"env", "secret"}}, false},
		{"ForAnyValue:StringEquals", "aws:TagKeys", `["env","team"]`, ctx{"aws:TagKeys": {"cost", "env"}}, true},
		{"ForAnyValue:StringEquals", "aws:TagKeys", `["env","team"]`, ctx{"aws:TagKeys": {"cost"}}, false},
		{"ForAnyValue:StringEquals", "aws:TagKeys", `["env","team"]`, ctx{}, false},
		{"ForAnyValue:StringEquals", "aws:TagKeys", `["env","team"]`, ctx{"aws:TagKeys": {}}, false},
		{"ForAnyValue:StringNotEquals", "aws:TagKeys", `["env"]`, ctx{"aws:TagKeys": {"env", "x"}}, true},
		{"ForAnyValue:StringNotEquals", "aws:TagKeys", `["env"]`, ctx{"aws:TagKeys": {"env"}}, false},
		{"ForAnyValue:StringNotEquals", "aws:TagKeys", `["env"]`, ctx{}, false},
		{"ForAnyValue:StringEqualsIfExists", "aws:TagKeys", `["env"]`, ctx{}, true},
		{"ForAllValues:NumericLessThan", "x:n", `"5"`, ctx{"x:n": {"1", "4"}}, true},
		{"ForAllValues:NumericLessThan", "x:n", `"5"`, ctx{"x:n": {"1", "6"}}, false},
		// Single-valued operator with a multi-valued key: any value matches.
		{"StringEquals", "aws:TagKeys", `"env"`, ctx{"aws:TagKeys": {"team", "env"}}, true},
		{"StringNotEquals", "aws:TagKeys", `"env"`, ctx{"aws:TagKeys": {"team", "env"}}, false},
		// Variables in condition values.
		{"StringEquals", "aws:PrincipalTag/team", `"${aws:ResourceTag/team}"`, ctx{"aws:PrincipalTag/team": {"red"}, "aws:ResourceTag/team": {"red"}}, true},
		{"StringEquals", "aws:PrincipalTag/team", `"${aws:ResourceTag/team}"`, ctx{"aws:PrincipalTag/team": {"red"}, "aws:ResourceTag/team": {"blue"}}, false},
		{"StringEquals", "aws:PrincipalTag/team", `"${aws:ResourceTag/team}"`, ctx{"aws:PrincipalTag/team": {"red"}}, false},
		{"StringEquals", "aws:PrincipalTag/team", `"${aws:ResourceTag/team, 'red'}"`, ctx{"aws:PrincipalTag/team": {"red"}}, true},
		{"StringLike", "ssm:Name", `"/home/${aws:username}/*"`, ctx{"ssm:Name": {"/home/alice/x"}, "aws:username": {"alice"}}, true},
		{"StringLike", "ssm:Name", `"/home/${aws:username}/*"`, ctx{"ssm:Name": {"/home/bob/x"}, "aws:username": {"alice"}}, false},
		{"StringLike", "ssm:Name", `"/home/${aws:username}"`, ctx{"ssm:Name": {"/home/alice"}, "aws:username": {"a*"}}, false}, // substituted * is literal
		{"StringLike", "ssm:Name", `"/home/${aws:username}"`, ctx{"ssm:Name": {"/home/a*"}, "aws:username": {"a*"}}, true},
		{"StringLike", "ssm:Name", `"/x/${*}"`, ctx{"ssm:Name": {"/x/*"}}, true},
		{"StringLike", "ssm:Name", `"/x/${*}"`, ctx{"ssm:Name": {"/x/y"}}, false},
		{"StringEquals", "ssm:Name", `"a${$}b${?}"`, ctx{"ssm:Name": {"a$b?"}}, true},
		{"StringNotEquals", "aws:username", `"${aws:userid}"`, ctx{"aws:username": {"a"}}, true}, // unresolved value matches nothing
		// kms encryption context.
		{"StringEquals", "kms:EncryptionContext:app", `"web"`, ctx{"kms:encryptioncontext:app": {"web"}}, true},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%s=%s/%v", tt.op, tt.key, tt.values, tt.ctx)
		t.Run(name, func(t *testing.T) {
			p := condPolicy(t, tt.op, tt.key, tt.values)
			got := p.Evaluate(Request{Action: "s3:GetObject", Resource: "*", Context: tt.ctx}) == Allow
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConditionBlockLogic(t *testing.T) {
	// Keys within an operator AND; operators AND; values OR.
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
		"StringEquals":{"aws:username":["alice","bob"],"aws:PrincipalTag/team":"red"},
		"Bool":{"aws:SecureTransport":"true"}}}}`
	p, err := Parse([]byte(doc), Identity)
	if err != nil {
		t.Fatal(err)
	}
	base := func() map[string][]string {
		return map[string][]string{"aws:username": {"bob"}, "aws:PrincipalTag/team": {"red"}, "aws:SecureTransport": {"true"}}
	}
	tests := []struct {
		name   string
		mutate func(map[string][]string)
		want   Effect
	}{
		{"all hold", func(map[string][]string) {}, Allow},
		{"other username value", func(m map[string][]string) { m["aws:username"] = []string{"alice"} }, Allow},
		{"second key fails", func(m map[string][]string) { m["aws:PrincipalTag/team"] = []string{"blue"} }, NotApplicable},
		{"second operator fails", func(m map[string][]string) { m["aws:SecureTransport"] = []string{"false"} }, NotApplicable},
		{"key missing", func(m map[string][]string) { delete(m, "aws:username") }, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.mutate(c)
			if got := p.Evaluate(Request{Action: "x:y", Resource: "*", Context: c}); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVersion2008VariablesAreLiteral(t *testing.T) {
	doc := `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringEquals":{"x:k":"${aws:username}"}}}}`
	p, err := Parse([]byte(doc), Identity)
	if err != nil {
		t.Fatal(err)
	}
	c := map[string][]string{"aws:username": {"alice"}, "x:k": {"${aws:username}"}}
	if got := p.Evaluate(Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/alice/f", Context: c}); got != NotApplicable {
		t.Fatalf("substituted in 2008 policy: %v", got)
	}
	if got := p.Evaluate(Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/${aws:username}/f", Context: c}); got != Allow {
		t.Fatalf("literal not matched in 2008 policy: %v", got)
	}
	if !strings.Contains(p.Statements[0].Resource[0], "${") {
		t.Fatal("resource rewritten")
	}
}
