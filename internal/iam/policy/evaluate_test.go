package policy

import "testing"

func mustParse(t testing.TB, doc string, kind Kind) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc), kind)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s       string
		fold, want bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"*", "anything/at:all", false, true},
		{"a*", "a", false, true},
		{"a*b", "axxb", false, true},
		{"a*b", "axxbc", false, false},
		{"a*b*c", "abbbc", false, true},
		{"*a*", "bab", false, true},
		{"?", "", false, false},
		{"?", "é", false, true},
		{"??", "é", false, false},
		{"*?", "é", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"**", "x", false, true},
		{"ABC", "abc", false, false},
		{"ABC", "abc", true, true},
		{"get*", "GetParameter", true, true},
		{"Ä*", "äx", true, true},
		{`a\*`, `a\x`, false, true}, // backslash is literal in plain patterns
	}
	for _, tt := range tests {
		if got := glob(tt.p, tt.s, tt.fold, false); got != tt.want {
			t.Errorf("glob(%q, %q, fold=%v) = %v, want %v", tt.p, tt.s, tt.fold, got, tt.want)
		}
	}
	// Escaped mode.
	esc := []struct {
		p, s string
		want bool
	}{
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{`a\?`, "a?", true},
		{`a\\`, `a\`, true},
		{`a\*b*`, "a*bcd", true},
	}
	for _, tt := range esc {
		if got := glob(tt.p, tt.s, false, true); got != tt.want {
			t.Errorf("glob(%q, %q, esc) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

func TestActionAndResourceMatching(t *testing.T) {
	tests := []struct {
		name, stmt, action, resource string
		want                         Effect
	}{
		{"exact", `"Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/app"`, "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/app", Allow},
		{"action case-insensitive", `"Action":"SSM:getparameter","Resource":"*"`, "ssm:GetParameter", "x", Allow},
		{"action wildcard", `"Action":"ssm:Get*","Resource":"*"`, "ssm:GetParametersByPath", "*", Allow},
		{"action wildcard other service", `"Action":"ssm:Get*","Resource":"*"`, "kms:GetKeyPolicy", "*", NotApplicable},
		{"action ?", `"Action":"ssm:GetParameter?","Resource":"*"`, "ssm:GetParameters", "*", Allow},
		{"action ? needs one", `"Action":"ssm:GetParameter?","Resource":"*"`, "ssm:GetParameter", "*", NotApplicable},
		{"action star vendor", `"Action":"*:Describe*","Resource":"*"`, "ecs:DescribeServices", "*", Allow},
		{"action list", `"Action":["kms:Decrypt","ssm:GetParameter"],"Resource":"*"`, "ssm:GetParameter", "*", Allow},
		{"resource case-sensitive", `"Action":"*","Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/App"`, "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/app", NotApplicable},
		{"resource prefix wildcard", `"Action":"*","Resource":"arn:aws:ssm:*:123456789012:parameter/app/web/*"`, "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/app/web/db/password", Allow},
		{"resource wildcard other path", `"Action":"*","Resource":"arn:aws:ssm:*:123456789012:parameter/app/web/*"`, "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/app/api/db", NotApplicable},
		{"resource wildcard other account", `"Action":"*","Resource":"arn:aws:ssm:*:123456789012:parameter/*"`, "ssm:GetParameter", "arn:aws:ssm:us-east-1:210987654321:parameter/x", NotApplicable},
		{"resource id with colons", `"Action":"*","Resource":"arn:aws:logs:*:*:log-group:/ecs/*"`, "logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:/ecs/app:log-stream:x", Allow},
		{"resource segment wildcard does not cross colon", `"Action":"*","Resource":"arn:aws:ssm:us-*:parameter/x"`, "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/x", NotApplicable},
		{"resource short pattern", `"Action":"*","Resource":"arn:aws:ssm:*"`, "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/x", Allow},
		{"resource star request", `"Action":"*","Resource":"arn:aws:ssm:*:*:*"`, "ssm:DescribeParameters", "*", NotApplicable},
		{"resource star both", `"Action":"*","Resource":"*"`, "ssm:DescribeParameters", "*", Allow},
		{"resource ?", `"Action":"*","Resource":"arn:aws:s3:::b/?.txt"`, "s3:GetObject", "arn:aws:s3:::b/a.txt", Allow},
		{"notaction with resource", `"NotAction":"iam:*","Resource":"*"`, "ssm:GetParameter", "*", Allow},
		{"notaction excludes", `"NotAction":["iam:*","kms:*"],"Resource":"*"`, "IAM:CreateUser", "*", NotApplicable},
		{"notaction limited resource", `"NotAction":"iam:*","Resource":"arn:aws:ssm:*:*:parameter/a"`, "ssm:GetParameter", "arn:aws:ssm:r:1:parameter/b", NotApplicable},
		{"notresource", `"Action":"*","NotResource":"arn:aws:ssm:*:*:parameter/secret/*"`, "ssm:GetParameter", "arn:aws:ssm:r:1:parameter/public/x", Allow},
		{"notresource excludes", `"Action":"*","NotResource":"arn:aws:ssm:*:*:parameter/secret/*"`, "ssm:GetParameter", "arn:aws:ssm:r:1:parameter/secret/x", NotApplicable},
		{"notresource list", `"Action":"*","NotResource":["arn:aws:s3:::a","arn:aws:s3:::b"]`, "s3:ListBucket", "arn:aws:s3:::b", NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",`+tt.stmt+`}}`, Identity)
			if got := p.Evaluate(Request{Action: tt.action, Resource: tt.resource}); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestResourceVariables(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":[
		"arn:aws:ssm:*:*:parameter/home/${aws:username}/*",
		"arn:aws:ssm:*:*:parameter/team/${aws:PrincipalTag/team}",
		"arn:aws:ssm:*:*:parameter/star/${*}",
		"arn:aws:ssm:*:*:parameter/ip/${aws:SourceIp}",
		"arn:aws:ssm:*:*:parameter/id/${aws:userid, 'none'}"]}}`, Identity)
	ctx := map[string][]string{"aws:username": {"alice"}, "aws:PrincipalTag/team": {"red"}, "aws:SourceIp": {"10.0.0.1"}}
	tests := []struct {
		res  string
		ctx  map[string][]string
		want Effect
	}{
		{"arn:aws:ssm:r:1:parameter/home/alice/db", ctx, Allow},
		{"arn:aws:ssm:r:1:parameter/home/bob/db", ctx, NotApplicable},
		{"arn:aws:ssm:r:1:parameter/home/alice/db", nil, NotApplicable},
		{"arn:aws:ssm:r:1:parameter/home/alice/db", map[string][]string{"aws:username": {"alice", "bob"}}, NotApplicable}, // multi-valued: no substitution
		{"arn:aws:ssm:r:1:parameter/team/red", ctx, Allow},
		{"arn:aws:ssm:r:1:parameter/team/blue", ctx, NotApplicable},
		{"arn:aws:ssm:r:1:parameter/star/*", ctx, Allow},
		{"arn:aws:ssm:r:1:parameter/star/x", ctx, NotApplicable},
		{"arn:aws:ssm:r:1:parameter/ip/10.0.0.1", ctx, Allow},
		{"arn:aws:ssm:r:1:parameter/id/none", ctx, Allow},
		{"arn:aws:ssm:r:1:parameter/id/AIDA1", map[string][]string{"aws:userid": {"AIDA1"}}, Allow},
		{"arn:aws:ssm:r:1:parameter/home/a*/x", map[string][]string{"aws:username": {"a*"}}, Allow},
		{"arn:aws:ssm:r:1:parameter/home/ab/x", map[string][]string{"aws:username": {"a*"}}, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.res, func(t *testing.T) {
			if got := p.Evaluate(Request{Action: "ssm:GetParameter", Resource: tt.res, Context: tt.ctx}); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrincipalMatching(t *testing.T) {
	const acct = "123456789012"
	alice := Principal{ARN: "arn:aws:iam::123456789012:user/dev/alice", AccountID: acct, Type: "IAMUser"}
	bob := Principal{ARN: "arn:aws:iam::123456789012:user/bob", AccountID: acct, Type: "IAMUser"}
	other := Principal{ARN: "arn:aws:iam::210987654321:user/alice", AccountID: "210987654321", Type: "IAMUser"}
	root := Principal{ARN: "arn:aws:iam::123456789012:root", AccountID: acct, Type: "Root"}
	session := Principal{ARN: "arn:aws:sts::123456789012:assumed-role/app/task-1", AccountID: acct, Type: "AssumedRole"}
	otherSession := Principal{ARN: "arn:aws:sts::123456789012:assumed-role/admin/s", AccountID: acct, Type: "AssumedRole"}
	ecs := Principal{Type: "Service", Service: "ecs-tasks.amazonaws.com"}
	anon := Principal{Type: "Anonymous"}
	tests := []struct {
		name, principal string
		who             Principal
		want            Effect
	}{
		{"star matches anonymous", `"Principal":"*"`, anon, Allow},
		{"AWS star matches user", `"Principal":{"AWS":"*"}`, alice, Allow},
		{"account id matches user", `"Principal":{"AWS":"123456789012"}`, alice, Allow},
		{"account id matches session", `"Principal":{"AWS":"123456789012"}`, session, Allow},
		{"account id other account", `"Principal":{"AWS":"123456789012"}`, other, NotApplicable},
		{"account id not anonymous", `"Principal":{"AWS":"123456789012"}`, anon, NotApplicable},
		{"root arn matches user", `"Principal":{"AWS":"arn:aws:iam::123456789012:root"}`, bob, Allow},
		{"root arn matches root", `"Principal":{"AWS":"arn:aws:iam::123456789012:root"}`, root, Allow},
		{"user arn", `"Principal":{"AWS":"arn:aws:iam::123456789012:user/dev/alice"}`, alice, Allow},
		{"user arn other user", `"Principal":{"AWS":"arn:aws:iam::123456789012:user/dev/alice"}`, bob, NotApplicable},
		{"role arn matches session", `"Principal":{"AWS":"arn:aws:iam::123456789012:role/svc/app"}`, session, Allow},
		{"role arn other role session", `"Principal":{"AWS":"arn:aws:iam::123456789012:role/app"}`, otherSession, NotApplicable},
		{"session arn", `"Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/app/task-1"}`, session, Allow},
		{"session arn other session", `"Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/app/task-2"}`, session, NotApplicable},
		{"service", `"Principal":{"Service":"ecs-tasks.amazonaws.com"}`, ecs, Allow},
		{"service list", `"Principal":{"Service":["lambda.amazonaws.com","ecs-tasks.amazonaws.com"]}`, ecs, Allow},
		{"service not user", `"Principal":{"Service":"ecs-tasks.amazonaws.com"}`, alice, NotApplicable},
		{"user not service", `"Principal":{"AWS":"123456789012"}`, ecs, NotApplicable},
		{"notprincipal excludes", `"NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/bob"}`, bob, NotApplicable},
		{"notprincipal others", `"NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/bob"}`, alice, Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",`+tt.principal+`,"Action":"kms:Decrypt","Resource":"*"}}`, KeyPolicy)
			if got := p.Evaluate(Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:r:1:key/k", Principal: tt.who}); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	alice := Principal{ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012", Type: "IAMUser"}
	allowSSM := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Read","Effect":"Allow","Action":"ssm:GetParameter*","Resource":"arn:aws:ssm:*:*:parameter/app/*"}]}`, Identity)
	denyProd := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},
		{"Effect":"Deny","Action":"ssm:*","Resource":"arn:aws:ssm:*:*:parameter/app/prod/*"}]}`, Identity)
	keyPolicy := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Alice decrypts","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"kms:Decrypt","Resource":"*"},
		{"Sid":"No encrypt","Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*"}]}`, KeyPolicy)
	tests := []struct {
		name             string
		action, resource string
		who              Principal
		identity         []*Policy
		res              []*Policy
		want             Decision
	}{
		{"identity allow", "ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/app/dev/db", alice, []*Policy{allowSSM}, nil, Decision{Allowed: true, Statement: "Read"}},
		{"implicit deny", "ssm:PutParameter", "arn:aws:ssm:us-east-1:1:parameter/app/dev/db", alice, []*Policy{allowSSM}, nil, Decision{}},
		{"no policies", "ssm:GetParameter", "*", alice, nil, nil, Decision{}},
		{"deny overrides allow across policies", "ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/app/prod/db", alice, []*Policy{allowSSM, denyProd}, nil, Decision{ExplicitDeny: true, Statement: "1"}},
		{"deny overrides in other order", "ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/app/prod/db", alice, []*Policy{denyProd, allowSSM}, nil, Decision{ExplicitDeny: true, Statement: "1"}},
		{"unsided allow index", "kms:Decrypt", "arn:aws:kms:r:1:key/k", alice, []*Policy{denyProd}, nil, Decision{Allowed: true, Statement: "0"}},
		{"resource policy allows principal", "kms:Decrypt", "arn:aws:kms:r:1:key/k", alice, nil, []*Policy{keyPolicy}, Decision{Allowed: true, Statement: "Alice decrypts"}},
		{"resource policy other principal", "kms:Decrypt", "arn:aws:kms:r:1:key/k", Principal{ARN: "arn:aws:iam::123456789012:user/bob", AccountID: "123456789012", Type: "IAMUser"}, nil, []*Policy{keyPolicy}, Decision{}},
		{"resource deny overrides identity allow", "kms:Encrypt", "arn:aws:kms:r:1:key/k", alice, []*Policy{mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Identity)}, []*Policy{keyPolicy}, Decision{ExplicitDeny: true, Statement: "No encrypt"}},
		{"nil policies skipped", "ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/app/x", alice, []*Policy{nil, allowSSM}, []*Policy{nil}, Decision{Allowed: true, Statement: "Read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(Request{Action: tt.action, Resource: tt.resource, Principal: tt.who}, tt.identity, tt.res)
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTrustPolicy(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com","AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole",
		"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}}`, Trust)
	ecs := Principal{Type: "Service", Service: "ecs-tasks.amazonaws.com"}
	ctx := map[string][]string{"aws:SourceAccount": {"123456789012"}}
	if got := p.Evaluate(Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/x", Principal: ecs, Context: ctx}); got != Allow {
		t.Fatalf("service assume: %v", got)
	}
	if got := p.Evaluate(Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/x", Principal: ecs}); got != NotApplicable {
		t.Fatalf("missing condition key: %v", got)
	}
	if got := p.Evaluate(Request{Action: "sts:TagSession", Principal: ecs, Context: ctx}); got != NotApplicable {
		t.Fatalf("other action: %v", got)
	}
}

// TestAccountPrincipalDelegates: an account principal in a resource policy (a key
// policy's "Enable IAM User Permissions", a trust policy naming the account) allows the
// account's root user, and its other principals only with an identity policy's allow;
// a deny for the account still denies them.
func TestAccountPrincipalDelegates(t *testing.T) {
	mustParse := func(doc string, kind Kind) *Policy {
		t.Helper()
		p, err := Parse([]byte(doc), kind)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyPolicy := mustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`, KeyPolicy)
	denyAccount := mustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"kms:Decrypt","Resource":"*"}]}`, KeyPolicy)
	allowUser := mustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`, Identity)
	user := Principal{ARN: "arn:aws:iam::111122223333:user/alice", AccountID: "111122223333", Type: "IAMUser"}
	root := Principal{ARN: "arn:aws:iam::111122223333:root", AccountID: "111122223333", Type: "Root"}
	req := func(p Principal) Request {
		return Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111122223333:key/k", Principal: p}
	}
	for _, tc := range []struct {
		name     string
		p        Principal
		identity []*Policy
		resource []*Policy
		allowed  bool
	}{
		{"user without identity allow", user, nil, []*Policy{keyPolicy}, false},
		{"user with identity allow", user, []*Policy{allowUser}, []*Policy{keyPolicy}, true},
		{"root", root, nil, []*Policy{keyPolicy}, true},
		{"account deny wins", user, []*Policy{allowUser}, []*Policy{keyPolicy, denyAccount}, false},
	} {
		if got := Decide(req(tc.p), tc.identity, tc.resource).Allowed; got != tc.allowed {
			t.Errorf("%s: allowed %v, want %v", tc.name, got, tc.allowed)
		}
	}
}
