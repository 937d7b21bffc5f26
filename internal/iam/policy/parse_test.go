package policy

import (
	"errors"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
		want string // "" means valid
	}{
		{"valid identity", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, ""},
		{"single statement object", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":["ssm:Get*"],"Resource":["arn:aws:ssm:*:*:parameter/x"]}}`, ""},
		{"no version", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, ""},
		{"not json", Identity, `{"Version":`, msgSyntax},
		{"array top", Identity, `[]`, msgSyntax},
		{"trailing data", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} {}`, msgSyntax},
		{"bad version", Identity, `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgSyntax},
		{"unknown top element", Identity, `{"Foo":1,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgSyntax},
		{"no statement", Identity, `{"Version":"2012-10-17"}`, msgSyntax},
		{"empty statement list", Identity, `{"Version":"2012-10-17","Statement":[]}`, msgSyntax},
		{"statement not object", Identity, `{"Statement":["x"]}`, msgSyntax},
		{"unknown effect", Identity, `{"Statement":{"Effect":"Allowx","Action":"*","Resource":"*"}}`, msgSyntax},
		{"missing effect", Identity, `{"Statement":{"Action":"*","Resource":"*"}}`, msgSyntax},
		{"lowercase effect", Identity, `{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, msgLegacy},
		{"unknown statement element", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Foo":"x"}}`, msgSyntax},
		{"action and notaction", Identity, `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}}`, msgSyntax},
		{"resource and notresource", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}`, msgSyntax},
		{"action number", Identity, `{"Statement":{"Effect":"Allow","Action":5,"Resource":"*"}}`, msgSyntax},
		{"action list with number", Identity, `{"Statement":{"Effect":"Allow","Action":["s3:x",5],"Resource":"*"}}`, msgSyntax},
		{"missing action", Identity, `{"Statement":{"Effect":"Allow","Resource":"*"}}`, msgNeedActions},
		{"empty action list", Identity, `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, msgNeedActions},
		{"missing resource", Identity, `{"Statement":{"Effect":"Allow","Action":"*"}}`, msgNeedResources},
		{"empty resource list", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":[]}}`, msgNeedResources},
		{"action without vendor", Identity, `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, msgVendor},
		{"action two colons", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:a:b","Resource":"*"}}`, msgOneColon},
		{"bad vendor", Identity, `{"Statement":{"Effect":"Allow","Action":"s 3:Get","Resource":"*"}}`, "Vendor s 3 is not valid"},
		{"resource not arn", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket"}}`, `Resource bucket must be in ARN format or "*".`},
		{"resource short arn", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3::x"}}`, msgLegacy},
		{"resource vendor regex", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s?:::x"}}`, "Resource vendor must be fully qualified and cannot contain regexes."},
		{"principal in identity", Identity, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, msgNoPrincipal},
		{"notprincipal in identity", Identity, `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}}`, msgNoPrincipal},
		{"duplicate sid", Identity, `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]}`, msgSidUnique},
		{"sid with space", Identity, `{"Statement":{"Sid":"a b","Effect":"Allow","Action":"*","Resource":"*"}}`, msgSidFormat},
		{"sid with space ok in resource policy", Resource, `{"Statement":{"Sid":"a b","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, ""},
		{"sid not string", Identity, `{"Statement":{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}}`, msgSyntax},
		{"bad condition operator", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsX":{"aws:username":"a"}}}}`, "Invalid Condition type : StringEqualsX"},
		{"null ifexists", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}}`, "Invalid Condition type : NullIfExists"},
		{"condition not object", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}}`, msgSyntax},
		{"condition value object", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}}`, msgSyntax},
		{"condition key no vendor", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}}`, msgVendor},
		{"condition bool and number values", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":[10,"20"]}}}}`, ""},
		{"bad date", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-13-01T00:00:00Z"}}}}`, msgLegacy},
		{"good dates", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":["2020-01-01T00:00:00Z","2020-01-01","1577836800","2020-01-01T00:00:00.123+02:00"]}}}}`, ""},
		{"resource policy needs principal", Resource, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, msgNeedPrincipal},
		{"key policy needs principal", KeyPolicy, `{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`, msgNeedPrincipal},
		{"invalid principal", Resource, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"*","Resource":"*"}}`, `Invalid principal in policy: "AWS":"bob"`},
		{"invalid principal string", Resource, `{"Statement":{"Effect":"Allow","Principal":"bob","Action":"*","Resource":"*"}}`, `Invalid principal in policy: "bob"`},
		{"invalid principal type", Resource, `{"Statement":{"Effect":"Allow","Principal":{"Foo":"x"},"Action":"*","Resource":"*"}}`, `Invalid principal in policy: "Foo":"x"`},
		{"invalid service principal", Resource, `{"Statement":{"Effect":"Allow","Principal":{"Service":"ecs"},"Action":"*","Resource":"*"}}`, `Invalid principal in policy: "Service":"ecs"`},
		{"principal user wildcard", Resource, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"*","Resource":"*"}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/*"`},
		{"valid principals", Resource, `{"Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:role/p/r","arn:aws:sts::123456789012:assumed-role/r/s"],"Service":"ecs-tasks.amazonaws.com"},"Action":"*","Resource":"*"}}`, ""},
		{"principal and notprincipal", Resource, `{"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*","Resource":"*"}}`, msgSyntax},
		{"trust ok", Trust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}}`, ""},
		{"trust with resource", Trust, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`, msgTrustResource},
		{"trust other action", Trust, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}`, msgTrustAction},
		{"trust no principal", Trust, `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, msgNeedPrincipal},
		{"trust no action", Trust, `{"Statement":{"Effect":"Allow","Principal":"*"}}`, msgNeedActions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc), tt.kind)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if p == nil || len(p.Statements) == 0 {
					t.Fatalf("Parse returned no statements")
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *Error %q", err, err, tt.want)
			}
			if pe.Message != tt.want {
				t.Fatalf("message = %q, want %q", pe.Message, tt.want)
			}
		})
	}
}

func TestParseKeepsForm(t *testing.T) {
	p, err := Parse([]byte(`{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"S1","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:username":["a","b"]}}}}`), Identity)
	if err != nil {
		t.Fatal(err)
	}
	st := p.Statements[0]
	if p.Version != Version2012 || p.ID != "x" || st.Sid != "S1" || st.Effect != "Allow" ||
		len(st.Action) != 1 || st.Action[0] != "s3:GetObject" || len(st.Resource) != 1 ||
		len(st.Condition) != 1 || st.Condition[0].Operator != "StringEquals" || st.Condition[0].Key != "aws:username" || len(st.Condition[0].Values) != 2 {
		t.Fatalf("parsed form = %+v", p)
	}
	p, err = Parse([]byte(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`), Identity)
	if err != nil || p.Version != Version2008 {
		t.Fatalf("default version = %v, %v", p, err)
	}
}
