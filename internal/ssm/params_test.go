package ssm

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func TestPutGetString(t *testing.T) {
	e := newEnv(t)
	out, err := e.client.PutParameter(e.ctx, &sdk.PutParameterInput{
		Name: aws.String("/app/web/url"), Value: aws.String("https://example.com"), Type: types.ParameterTypeString,
		Description: aws.String("the url"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Version != 1 || out.Tier != types.ParameterTierStandard {
		t.Fatalf("put: version %d tier %s", out.Version, out.Tier)
	}
	got, err := e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String("/app/web/url")})
	if err != nil {
		t.Fatal(err)
	}
	p := got.Parameter
	if aws.ToString(p.Name) != "/app/web/url" || aws.ToString(p.Value) != "https://example.com" || p.Type != types.ParameterTypeString ||
		p.Version != 1 || aws.ToString(p.DataType) != "text" || aws.ToString(p.ARN) != "arn:aws:ssm:us-east-1:000000000000:parameter/app/web/url" ||
		!p.LastModifiedDate.Equal(e.clock.Now()) || p.Selector != nil {
		t.Fatalf("parameter %+v", p)
	}
	// A name without a slash has the ARN parameter/<name>, and GetParameter takes ARNs.
	e.put(&sdk.PutParameterInput{Name: aws.String("plain"), Value: aws.String("a,b"), Type: types.ParameterTypeStringList})
	got, err = e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String("arn:aws:ssm:us-east-1:000000000000:parameter/plain")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Parameter.ARN) != "arn:aws:ssm:us-east-1:000000000000:parameter/plain" || got.Parameter.Type != types.ParameterTypeStringList {
		t.Fatalf("by ARN: %+v", got.Parameter)
	}
	if v := e.get("arn:aws:ssm:us-east-1:000000000000:parameter/app/web/url", false); v != "https://example.com" {
		t.Fatalf("by hierarchical ARN: %q", v)
	}
}

func TestPutOverwrite(t *testing.T) {
	e := newEnv(t)
	e.put(&sdk.PutParameterInput{Name: aws.String("/a/b"), Value: aws.String("1"), Type: types.ParameterTypeString, Description: aws.String("keep")})
	_, err := e.client.PutParameter(e.ctx, &sdk.PutParameterInput{Name: aws.String("/a/b"), Value: aws.String("2"), Type: types.ParameterTypeString})
	wantType[*types.ParameterAlreadyExists](t, err)
	// With Overwrite the type may be omitted; the description is kept.
	if v := e.put(&sdk.PutParameterInput{Name: aws.String("/a/b"), Value: aws.String("2"), Overwrite: aws.Bool(true)}); v != 2 {
		t.Fatalf("version %d", v)
	}
	if v := e.get("/a/b", false); v != "2" {
		t.Fatalf("value %q", v)
	}
	d, err := e.client.DescribeParameters(e.ctx, &sdk.DescribeParametersInput{})
	if err != nil || len(d.Parameters) != 1 || aws.ToString(d.Parameters[0].Description) != "keep" || d.Parameters[0].Version != 2 {
		t.Fatalf("describe: %+v %v", d, err)
	}
}

func TestPutValidation(t *testing.T) {
	e := newEnv(t)
	e.put(&sdk.PutParameterInput{Name: aws.String("/exists"), Value: aws.String("x"), Type: types.ParameterTypeString})
	deep := "/" + strings.Repeat("l/", 15) + "p"
	ok15 := "/" + strings.Repeat("l/", 14) + "p"
	tests := []struct {
		name string
		in   sdk.PutParameterInput
		code string
		msg  string
	}{
		{"aws prefix", sdk.PutParameterInput{Name: aws.String("awsThing"), Value: aws.String("x"), Type: "String"}, "ValidationException", `can't be prefixed with "aws" or "ssm"`},
		{"ssm prefix any case", sdk.PutParameterInput{Name: aws.String("/SSM/x"), Value: aws.String("x"), Type: "String"}, "ValidationException", `prefixed`},
		{"reserved /aws path", sdk.PutParameterInput{Name: aws.String("/aws/service/x"), Value: aws.String("x"), Type: "String"}, "AccessDeniedException", "reserved parameter name"},
		{"bad char", sdk.PutParameterInput{Name: aws.String("/a b"), Value: aws.String("x"), Type: "String"}, "ValidationException", "sub-paths"},
		{"slash not leading", sdk.PutParameterInput{Name: aws.String("a/b"), Value: aws.String("x"), Type: "String"}, "ValidationException", "fully qualified"},
		{"empty segment", sdk.PutParameterInput{Name: aws.String("/a//b"), Value: aws.String("x"), Type: "String"}, "ValidationException", "sub-paths"},
		{"16 levels", sdk.PutParameterInput{Name: aws.String(deep), Value: aws.String("x"), Type: "String"}, "HierarchyLevelLimitExceededException", "maximum of 15 levels"},
		{"name too long with ARN", sdk.PutParameterInput{Name: aws.String("/" + strings.Repeat("n", 980)), Value: aws.String("x"), Type: "String"}, "ValidationException", "1011"},
		{"no type on create", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("x")}, "ValidationException", "type is required"},
		{"bad type", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("x"), Type: "Secret"}, "ValidationException", "enum value set"},
		{"empty value", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String(""), Type: "String"}, "ValidationException", "'value'"},
		{"standard 4 KB", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String(strings.Repeat("x", 4097)), Type: "String"}, "ValidationException", "maximum parameter value of 4096"},
		{"explicit standard 4 KB", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String(strings.Repeat("x", 4097)), Type: "String", Tier: types.ParameterTierStandard}, "ValidationException", "4096"},
		{"advanced 8 KB", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String(strings.Repeat("x", 8193)), Type: "String", Tier: types.ParameterTierAdvanced}, "ValidationException", "8192"},
		{"pattern mismatch", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("12a"), Type: "String", AllowedPattern: aws.String(`\d+`)}, "ParameterPatternMismatchException", `\d+`},
		{"bad pattern", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("1"), Type: "String", AllowedPattern: aws.String(`(`)}, "InvalidAllowedPatternException", ""},
		{"bad data type", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("1"), Type: "String", DataType: aws.String("Text")}, "ValidationException", "data type is not supported"},
		{"bad ami", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("ami-xyz"), Type: "String", DataType: aws.String("aws:ec2:image")}, "ValidationException", "not a valid AMI ID"},
		{"ami on SecureString", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("ami-12345678"), Type: "SecureString", DataType: aws.String("aws:ec2:image")}, "ValidationException", "only for parameters of type String"},
		{"KeyId on String", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("1"), Type: "String", KeyId: aws.String("alias/app")}, "ValidationException", "SecureString type parameter only"},
		{"tags with overwrite", sdk.PutParameterInput{Name: aws.String("/exists"), Value: aws.String("1"), Overwrite: aws.Bool(true), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}, "ValidationException", "tags and overwrite can't be used together"},
		{"policies", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("1"), Type: "String", Tier: "Advanced", Policies: aws.String(`[{"Type":"Expiration"}]`)}, "ValidationException", "not supported by Wharf"},
		{"unknown key", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("1"), Type: "SecureString", KeyId: aws.String("alias/nope")}, "InvalidKeyId", "does not exist"},
		{"disabled key", sdk.PutParameterInput{Name: aws.String("/new"), Value: aws.String("1"), Type: "SecureString", KeyId: aws.String("off-2222")}, "InvalidKeyId", "is disabled"},
	}
	e.keys.disable(fakeKeyARNs["off-2222"], true)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			_, err := e.client.PutParameter(e.ctx, &in)
			wantCode(t, err, tc.code, tc.msg)
		})
	}
	// Typed exceptions for the modelled errors.
	_, err := e.client.PutParameter(e.ctx, &sdk.PutParameterInput{Name: aws.String(deep), Value: aws.String("x"), Type: "String"})
	wantType[*types.HierarchyLevelLimitExceededException](t, err)
	_, err = e.client.PutParameter(e.ctx, &sdk.PutParameterInput{Name: aws.String("/k"), Value: aws.String("x"), Type: "SecureString", KeyId: aws.String("nope")})
	wantType[*types.InvalidKeyId](t, err)
	_, err = e.client.PutParameter(e.ctx, &sdk.PutParameterInput{Name: aws.String("/k"), Value: aws.String("x"), Type: "String", AllowedPattern: aws.String("y")})
	wantType[*types.ParameterPatternMismatchException](t, err)
	// Nothing above was created; 15 levels and good patterns are fine.
	if d, _ := e.client.DescribeParameters(e.ctx, &sdk.DescribeParametersInput{}); len(d.Parameters) != 1 {
		t.Fatalf("%d parameters after failed puts", len(d.Parameters))
	}
	e.put(&sdk.PutParameterInput{Name: aws.String(ok15), Value: aws.String("x"), Type: "String"})
	e.put(&sdk.PutParameterInput{Name: aws.String("/num"), Value: aws.String("123"), Type: "String", AllowedPattern: aws.String(`\d+`)})
	// An overwrite keeps the allowed pattern.
	_, err = e.client.PutParameter(e.ctx, &sdk.PutParameterInput{Name: aws.String("/num"), Value: aws.String("abc"), Overwrite: aws.Bool(true)})
	wantType[*types.ParameterPatternMismatchException](t, err)
	e.put(&sdk.PutParameterInput{Name: aws.String("/ami"), Value: aws.String("ami-0123456789abcdef0"), Type: "String", DataType: aws.String("aws:ec2:image")})
}

func TestTiers(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("x", 5000)
	tests := []struct {
		name, value string
		tier        types.ParameterTier
		want        types.ParameterTier
	}{
		{"/t/default", "small", "", types.ParameterTierStandard},
		{"/t/advanced", "small", types.ParameterTierAdvanced, types.ParameterTierAdvanced},
		{"/t/intelligent-small", "small", types.ParameterTierIntelligentTiering, types.ParameterTierStandard},
		{"/t/intelligent-big", big, types.ParameterTierIntelligentTiering, types.ParameterTierAdvanced},
		{"/t/advanced-big", big, types.ParameterTierAdvanced, types.ParameterTierAdvanced},
	}
	for _, tc := range tests {
		out, err := e.client.PutParameter(e.ctx, &sdk.PutParameterInput{Name: aws.String(tc.name), Value: aws.String(tc.value), Type: "String", Tier: tc.tier})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if out.Tier != tc.want {
			t.Errorf("%s: tier %s, want %s", tc.name, out.Tier, tc.want)
		}
	}
	if v := e.get("/t/advanced-big", false); v != big {
		t.Fatalf("8 KB value read back with %d bytes", len(v))
	}
	// No downgrade from Advanced; an overwrite without a tier stays Advanced.
	_, err := e.client.PutParameter(e.ctx, &sdk.PutParameterInput{Name: aws.String("/t/advanced"), Value: aws.String("v"), Overwrite: aws.Bool(true), Tier: types.ParameterTierStandard})
	wantCode(t, err, "ValidationException", "can't downgrade")
	out, err := e.client.PutParameter(e.ctx, &sdk.PutParameterInput{Name: aws.String("/t/advanced"), Value: aws.String("v"), Overwrite: aws.Bool(true)})
	if err != nil || out.Tier != types.ParameterTierAdvanced {
		t.Fatalf("overwrite advanced: %+v %v", out, err)
	}
}

func TestSecureString(t *testing.T) {
	e := newEnv(t)
	const secret = "hunter2-very-secret"
	e.put(&sdk.PutParameterInput{Name: aws.String("/app/db/password"), Value: aws.String(secret), Type: types.ParameterTypeSecureString})
	// Without decryption: the ciphertext in base64, as AWS returns it.
	raw := e.get("/app/db/password", false)
	if raw == secret || strings.Contains(raw, secret) {
		t.Fatalf("GetParameter without decryption returned the plaintext")
	}
	ct, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatalf("value without decryption is not base64: %q", raw)
	}
	// The ciphertext is bound to the parameter's ARN.
	if _, _, err := e.keys.DecryptFor(e.ctx, ct, map[string]string{"PARAMETER_ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/other"}); err == nil {
		t.Fatal("ciphertext decrypted under another parameter's ARN")
	}
	pt, keyARN, err := e.keys.DecryptFor(e.ctx, ct, map[string]string{"PARAMETER_ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/password"})
	if err != nil || string(pt) != secret || keyARN != fakeKeyARNs["alias/aws/ssm"] {
		t.Fatalf("decrypt with the right context: %q %s %v", pt, keyARN, err)
	}
	if v := e.get("/app/db/password", true); v != secret {
		t.Fatalf("with decryption: %q", v)
	}
	// The default key shows as alias/aws/ssm; a named key as given, kept on overwrite.
	e.put(&sdk.PutParameterInput{Name: aws.String("/app/db/token"), Value: aws.String("t1"), Type: "SecureString", KeyId: aws.String("alias/app")})
	e.put(&sdk.PutParameterInput{Name: aws.String("/app/db/token"), Value: aws.String("t2"), Overwrite: aws.Bool(true)})
	d, err := e.client.DescribeParameters(e.ctx, &sdk.DescribeParametersInput{})
	if err != nil || len(d.Parameters) != 2 || aws.ToString(d.Parameters[0].KeyId) != "alias/aws/ssm" || aws.ToString(d.Parameters[1].KeyId) != "alias/app" {
		t.Fatalf("describe: %+v %v", d, err)
	}
	if v := e.get("/app/db/token", true); v != "t2" {
		t.Fatalf("token %q", v)
	}
	// KMS failures on decrypt come back as SSM's errors.
	e.keys.disable(fakeKeyARNs["alias/app"], true)
	_, err = e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String("/app/db/token"), WithDecryption: aws.Bool(true)})
	wantType[*types.InvalidKeyId](t, err)
	if v := e.get("/app/db/token", false); v == "" || v == "t2" {
		t.Fatalf("without decryption a disabled key still returns the ciphertext, got %q", v)
	}
	e.keys.disable(fakeKeyARNs["alias/app"], false)
	e.keys.deny(true)
	_, err = e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String("/app/db/token"), WithDecryption: aws.Bool(true)})
	wantCode(t, err, "AccessDeniedException", "kms:Decrypt")
	e.keys.deny(false)
}

// TestNoPlaintextAtRest checks that the database file never holds a SecureString's
// plaintext, in any version, while String values are there as written.
func TestNoPlaintextAtRest(t *testing.T) {
	e := newEnv(t)
	secrets := []string{"PLAINTEXT-SECRET-ONE-4f1c", "PLAINTEXT-SECRET-TWO-9a2e"}
	e.put(&sdk.PutParameterInput{Name: aws.String("/s/one"), Value: aws.String(secrets[0]), Type: "SecureString"})
	e.put(&sdk.PutParameterInput{Name: aws.String("/s/one"), Value: aws.String(secrets[1]), Type: "SecureString", Overwrite: aws.Bool(true)})
	e.put(&sdk.PutParameterInput{Name: aws.String("/s/visible"), Value: aws.String("VISIBLE-STRING-VALUE-77"), Type: "String"})
	if _, err := e.client.GetParameterHistory(e.ctx, &sdk.GetParameterHistoryInput{Name: aws.String("/s/one"), WithDecryption: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "VISIBLE-STRING-VALUE-77") {
		t.Fatal("the String value is not in the file: the check below would prove nothing")
	}
	for _, s := range secrets {
		if strings.Contains(string(data), s) {
			t.Errorf("the database file contains the plaintext %q", s)
		}
	}
}

func TestSelectorsAndGetParameters(t *testing.T) {
	e := newEnv(t)
	for i, v := range []string{"v1", "v2", "v3"} {
		e.clock.Advance(time.Minute)
		e.put(&sdk.PutParameterInput{Name: aws.String("/sel"), Value: aws.String(v), Type: "String", Overwrite: aws.Bool(i > 0)})
	}
	if _, err := e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/sel"), ParameterVersion: aws.Int64(2), Labels: []string{"prod"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, value, selector string
		version               int64
	}{
		{"/sel", "v3", "", 3},
		{"/sel:1", "v1", ":1", 1},
		{"/sel:prod", "v2", ":prod", 2},
		{"arn:aws:ssm:us-east-1:000000000000:parameter/sel:1", "v1", ":1", 1},
	}
	for _, tc := range tests {
		out, err := e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String(tc.name)})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		p := out.Parameter
		if aws.ToString(p.Value) != tc.value || aws.ToString(p.Selector) != tc.selector || p.Version != tc.version || aws.ToString(p.Name) != "/sel" {
			t.Errorf("%s: %+v", tc.name, p)
		}
	}
	_, err := e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String("/sel:9")})
	wantType[*types.ParameterVersionNotFound](t, err)
	_, err = e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String("/sel:nolabel")})
	wantType[*types.ParameterNotFound](t, err)
	_, err = e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String("/missing")})
	wantType[*types.ParameterNotFound](t, err)
	_, err = e.client.GetParameter(e.ctx, &sdk.GetParameterInput{Name: aws.String("arn:aws:ssm:eu-west-1:000000000000:parameter/sel")})
	wantType[*types.ParameterNotFound](t, err)

	gp, err := e.client.GetParameters(e.ctx, &sdk.GetParametersInput{Names: []string{"/sel", "/missing", "/sel:prod", "/sel:7"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(gp.Parameters) != 2 || aws.ToString(gp.Parameters[1].Value) != "v2" || strings.Join(gp.InvalidParameters, ",") != "/missing,/sel:7" {
		t.Fatalf("GetParameters: %+v", gp)
	}
	_, err = e.client.GetParameters(e.ctx, &sdk.GetParametersInput{Names: strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")})
	wantCode(t, err, "ValidationException", "less than or equal to 10")
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	e.put(&sdk.PutParameterInput{Name: aws.String("/d/one"), Value: aws.String("1"), Type: "String"})
	e.put(&sdk.PutParameterInput{Name: aws.String("/d/one"), Value: aws.String("2"), Type: "String", Overwrite: aws.Bool(true)})
	e.put(&sdk.PutParameterInput{Name: aws.String("/d/two"), Value: aws.String("1"), Type: "String"})
	e.put(&sdk.PutParameterInput{Name: aws.String("/d/three"), Value: aws.String("1"), Type: "String"})
	if _, err := e.client.DeleteParameter(e.ctx, &sdk.DeleteParameterInput{Name: aws.String("/d/one")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.DeleteParameter(e.ctx, &sdk.DeleteParameterInput{Name: aws.String("/d/one")})
	wantType[*types.ParameterNotFound](t, err)
	// Re-created, it starts again at version 1 with no history.
	if v := e.put(&sdk.PutParameterInput{Name: aws.String("/d/one"), Value: aws.String("new"), Type: "String"}); v != 1 {
		t.Fatalf("re-created at version %d", v)
	}
	h, err := e.client.GetParameterHistory(e.ctx, &sdk.GetParameterHistoryInput{Name: aws.String("/d/one")})
	if err != nil || len(h.Parameters) != 1 {
		t.Fatalf("history after re-create: %+v %v", h, err)
	}
	out, err := e.client.DeleteParameters(e.ctx, &sdk.DeleteParametersInput{Names: []string{"/d/two", "/nope", "/d/three"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(out.DeletedParameters, ",") != "/d/two,/d/three" || strings.Join(out.InvalidParameters, ",") != "/nope" {
		t.Fatalf("DeleteParameters: %+v", out)
	}
	_, err = e.client.DeleteParameters(e.ctx, &sdk.DeleteParametersInput{Names: strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")})
	wantCode(t, err, "ValidationException", "10")
}

func TestResolveParameter(t *testing.T) {
	e := newEnv(t)
	e.put(&sdk.PutParameterInput{Name: aws.String("/app/secret"), Value: aws.String("s1"), Type: "SecureString"})
	e.put(&sdk.PutParameterInput{Name: aws.String("/app/secret"), Value: aws.String("s2"), Type: "SecureString", Overwrite: aws.Bool(true)})
	e.put(&sdk.PutParameterInput{Name: aws.String("flat"), Value: aws.String("plain"), Type: "String"})
	if _, err := e.client.LabelParameterVersion(e.ctx, &sdk.LabelParameterVersionInput{Name: aws.String("/app/secret"), ParameterVersion: aws.Int64(1), Labels: []string{"old"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ ref, want, code string }{
		{"/app/secret", "s2", ""},
		{"/app/secret:1", "s1", ""},
		{"/app/secret:old", "s1", ""},
		{"arn:aws:ssm:us-east-1:000000000000:parameter/app/secret", "s2", ""},
		{"arn:aws:ssm:us-east-1:000000000000:parameter/flat", "plain", ""},
		{"flat", "plain", ""},
		{"/app/none", "", "ParameterNotFound"},
		{"/app/secret:5", "", "ParameterVersionNotFound"},
	}
	for _, tc := range tests {
		got, err := e.s.ResolveParameter(e.ctx, tc.ref)
		if tc.code != "" {
			wantCode(t, err, tc.code, "")
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.ref, got, err, tc.want)
		}
	}
}

// TestConcurrentOverwrites checks that concurrent overwrites each get their own version.
func TestConcurrentOverwrites(t *testing.T) {
	e := newEnv(t)
	e.put(&sdk.PutParameterInput{Name: aws.String("/c"), Value: aws.String("0"), Type: "SecureString"})
	const n = 16
	versions := make(chan int64, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			out, err := e.client.PutParameter(e.ctx, &sdk.PutParameterInput{Name: aws.String("/c"), Value: aws.String(fmt.Sprint(i + 1)), Overwrite: aws.Bool(true)})
			if err != nil {
				errs <- err
				return
			}
			versions <- out.Version
		}()
	}
	seen := map[int64]bool{}
	for range n {
		select {
		case err := <-errs:
			t.Fatal(err)
		case v := <-versions:
			if seen[v] || v < 2 || v > n+1 {
				t.Fatalf("version %d handed out twice or out of range", v)
			}
			seen[v] = true
		}
	}
	if h := e.history("/c", true); len(h) != n+1 {
		t.Fatalf("history has %d versions, want %d", len(h), n+1)
	}
}

// FuzzReference checks that names and references never crash the parsers, and that a
// name PutParameter accepts resolves to itself.
func FuzzReference(f *testing.F) {
	for _, s := range []string{"/a/b", "a", "/a:1", "/a:lbl", "arn:aws:ssm:us-east-1:000000000000:parameter/a/b:3", "arn:aws:ssm:::", "a:", "/a::b", ":", "arn:"} {
		f.Add(s)
	}
	s := &Service{region: "us-east-1", account: "000000000000"}
	f.Fuzz(func(t *testing.T, in string) {
		ref, err := s.parseReference(in)
		if s.validName(in) == nil {
			if err != nil || ref.name != in || ref.selector != "" {
				t.Fatalf("valid name %q parsed as %+v, %v", in, ref, err)
			}
			back, err := s.parseReference(s.arn(in))
			if err != nil || (back.name != in && "/"+back.name != in) {
				t.Fatalf("ARN of %q parsed as %+v, %v", in, back, err)
			}
		}
	})
}
