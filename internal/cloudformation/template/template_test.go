package template

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// mustParse parses a template or fails the test.
func mustParse(t testing.TB, body string) *Template {
	t.Helper()
	tm, err := Parse([]byte(body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tm
}

// evalProp evaluates one property of resource R of a template.
func evalProp(t *testing.T, body, prop string, env *Env) (any, error) {
	t.Helper()
	tm := mustParse(t, body)
	if env == nil {
		env = goldenEnv(nil)
	}
	props, err := tm.Eval(tm.Resources["R"].Properties, env, nil)
	if err != nil {
		return nil, err
	}
	return props.(map[string]any)[prop], nil
}

func TestCidr(t *testing.T) {
	tests := []struct {
		block      string
		count, bit int
		want       []any
		err        string
	}{
		{"192.168.0.0/24", 6, 5, []any{"192.168.0.0/27", "192.168.0.32/27", "192.168.0.64/27", "192.168.0.96/27", "192.168.0.128/27", "192.168.0.160/27"}, ""},
		{"10.0.0.0/16", 3, 8, []any{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"}, ""},
		// The block's host bits are ignored: subnets start at its network address.
		{"10.0.5.77/16", 2, 12, []any{"10.0.0.0/20", "10.0.16.0/20"}, ""},
		{"10.0.0.0/24", 1, 8, []any{"10.0.0.0/24"}, ""},
		{"10.0.0.0/30", 4, 0, []any{"10.0.0.0/32", "10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"}, ""},
		{"2600:1f18:abcd:1200::/56", 3, 64, []any{"2600:1f18:abcd:1200::/64", "2600:1f18:abcd:1201::/64", "2600:1f18:abcd:1202::/64"}, ""},
		{"fd00::/8", 2, 120, nil, "cannot make 2 subnets"},
		{"fd00::/8", 1, 121, nil, "too large"},
		{"fd00::/8", 2, 119, []any{"fd00::/9", "fd80::/9"}, ""},
		{"10.0.0.0/24", 3, 7, nil, "cannot make 3 subnets"},
		{"10.0.0.0/24", 257, 2, nil, "between 1 and 256"},
		{"10.0.0.0/24", 0, 2, nil, "between 1 and 256"},
		{"10.0.0.0/24", 1, 33, nil, "between 0 and 32"},
		{"10.0.0.0/24", 1, 9, nil, "too large"},
		{"not-a-cidr", 1, 8, nil, "not a valid CIDR block"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d/%d", tc.block, tc.count, tc.bit), func(t *testing.T) {
			body := fmt.Sprintf("Resources:\n  R:\n    Type: X::Y::Z\n    Properties:\n      C: !Cidr [%q, %d, %d]\n", tc.block, tc.count, tc.bit)
			got, err := evalProp(t, body, "C", nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSub(t *testing.T) {
	tests := []struct{ expr, want, err string }{
		{`!Sub "${AWS::Region}-${Name}"`, "us-east-1-web", ""},
		{`!Sub "${!Literal}"`, "${Literal}", ""},
		{`!Sub "a${!b}c${!}d"`, "a${b}c${}d", ""},
		{`!Sub "${Q.Arn}"`, "Q.Arn", ""},
		{`!Sub "${Q.Endpoint.Port}"`, "Q.Endpoint.Port", ""},
		{`!Sub ["${X}${Name}", {X: !Ref Q}]`, "phys-Qweb", ""},
		{`!Sub ["${Q}", {Q: shadowed}]`, "shadowed", ""},
		{`!Sub "no vars"`, "no vars", ""},
		{`!Sub "open ${ but never closed"`, "open ${ but never closed", ""},
		{`!Sub "${Bad Name}"`, "", "variable names in Fn::Sub syntax"},
		{`!Sub "${}"`, "", "variable names in Fn::Sub syntax"},
		{`!Sub [one, two, three]`, "", "One or more Fn::Sub intrinsic functions"},
		{`!Sub ["${List}", {}]`, "", "does not resolve to a string"},
		{`!Sub "${Nope}"`, "", "Unresolved resource dependencies [Nope]"},
		{`!Sub "${Nope.Arn}"`, "", "Unresolved resource dependencies [Nope]"},
		{`!Sub "${AWS::Nope}"`, "", "Unresolved resource dependencies [AWS::Nope]"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			body := "Parameters:\n  Name: {Type: String, Default: web}\n  List: {Type: CommaDelimitedList, Default: 'a,b'}\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n  R:\n    Type: X::Y::Z\n    Properties:\n      V: " + tc.expr + "\n"
			tm := mustParse(t, body)
			params, err := tm.ResolveParameters(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			props, err := tm.Eval(tm.Resources["R"].Properties, goldenEnv(params), nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q", err, tc.err)
				}
				// Validate finds the static errors too.
				if verr := tm.Validate(); verr == nil && !strings.Contains(tc.err, "resolve to a string") {
					t.Errorf("Validate passed a template that fails to evaluate")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := props.(map[string]any)["V"]; got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrorsCarryYAMLPositions(t *testing.T) {
	body := "Resources:\n  Web:\n    Type: AWS::ECS::Service\n    Properties:\n      Cluster: !GetAtt Missing.Arn\n"
	tm := mustParse(t, body)
	err := tm.Validate()
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("Validate = %v, want *Error", err)
	}
	want := Error{Path: "Resources/Web/Properties/Cluster", Line: 5, Column: 16, Message: "Template error: instance of Fn::GetAtt references undefined resource Missing"}
	if te.Path != want.Path || te.Line != want.Line || te.Column != want.Column || te.Message != want.Message {
		t.Fatalf("got %+v, want %+v", *te, want)
	}
	if got := te.Error(); got != want.Message+" (at Resources/Web/Properties/Cluster, line 5, column 16)" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestJSONPositions(t *testing.T) {
	body := "{\n  \"Resources\": {\n    \"B\": {\n      \"Type\": \"AWS::S3::Bucket\",\n      \"Properties\": {\"N\": {\"Fn::GetAtt\": [\"X\", \"Arn\"]}}\n    }\n  }\n}\n"
	err := mustParse(t, body).Validate()
	var te *Error
	if !errors.As(err, &te) || te.Line != 5 || te.Column != 27 || te.Path != "Resources/B/Properties/N" {
		t.Fatalf("got %#v", err)
	}
}

func TestReferences(t *testing.T) {
	tm := mustParse(t, `
Parameters:
  P: {Type: String}
Conditions:
  C: !Equals [a, b]
Resources:
  A: {Type: X::Y::Z}
  B: {Type: X::Y::Z}
  R:
    Type: X::Y::Z
    Properties:
      One: !Ref A
      Two: !GetAtt B.Arn
      Three: !Sub "${P}-${AWS::Region}-${A.Name}-${Local}-${!Esc}"
      Four: !Sub ["${Local}", {Local: !Ref P}]
      Five: !If [C, !Ref AWS::NoValue, !GetAtt [B, !Ref P]]
`)
	got := tm.Resources["R"].Properties.References()
	want := []string{"A", "B", "Local", "P"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("References = %v, want %v", got, want)
	}
	if refs := (Node{}).References(); len(refs) != 0 {
		t.Fatalf("zero Node refers to %v", refs)
	}
}

func TestDependenciesAndOrder(t *testing.T) {
	tm := mustParse(t, `
Resources:
  Service: {Type: X::Y::Z, Properties: {Cluster: !Ref Cluster, Task: !Ref Task}}
  Task: {Type: X::Y::Z, Properties: {Role: !GetAtt Role.Arn, Log: !Sub "${Logs}"}}
  Cluster: {Type: X::Y::Z}
  Role: {Type: X::Y::Z, DependsOn: Cluster}
  Logs: {Type: X::Y::Z, Metadata: {Owner: !Ref Cluster}}
`)
	deps, err := tm.Dependencies()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"Service": {"Cluster", "Task"},
		"Task":    {"Logs", "Role"},
		"Cluster": {},
		"Role":    {"Cluster"},
		"Logs":    {"Cluster"},
	}
	if !reflect.DeepEqual(deps, want) {
		t.Fatalf("Dependencies = %v, want %v", deps, want)
	}
	order, err := tm.Order()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Cluster", "Role", "Logs", "Task", "Service"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("Order = %v, want %v", order, want)
	}
}

func TestResolveParametersSSM(t *testing.T) {
	tm := mustParse(t, "Parameters:\n  Ami: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /ami}\nResources:\n  R: {Type: X::Y::Z}\n")
	if _, err := tm.ResolveParameters(nil, nil); err == nil || !strings.Contains(err.Error(), "Unable to fetch parameters [/ami]") {
		t.Fatalf("nil ssm: %v", err)
	}
	boom := errors.New("boom")
	_, err := tm.ResolveParameters(nil, func(string) (string, error) { return "", boom })
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the lookup's error", err)
	}
	got, err := tm.ResolveParameters(map[string]string{"Ami": "/other"}, func(n string) (string, error) { return "value of " + n, nil })
	if err != nil || got["Ami"] != "value of /other" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestParameterTypes(t *testing.T) {
	known := []string{"String", "Number", "List<Number>", "CommaDelimitedList", "AWS::EC2::VPC::Id",
		"List<AWS::EC2::Subnet::Id>", "AWS::EC2::KeyPair::KeyName", "AWS::Route53::HostedZone::Id",
		"AWS::SSM::Parameter::Name", "AWS::SSM::Parameter::Value<String>", "AWS::SSM::Parameter::Value<List<String>>",
		"AWS::SSM::Parameter::Value<CommaDelimitedList>", "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
		"AWS::SSM::Parameter::Value<List<AWS::EC2::Image::Id>>", "AWS::EC2::PlacementGroup::Name"}
	for _, typ := range known {
		if !knownParameterType(typ) {
			t.Errorf("%s is not accepted", typ)
		}
	}
	unknown := []string{"string", "Integer", "List<String>", "List<Foo>", "AWS::SSM::Parameter::Value<Number>",
		"AWS::SSM::Parameter::Value<String", "AWS::S3::Bucket::Name", ""}
	for _, typ := range unknown {
		if knownParameterType(typ) {
			t.Errorf("%s is accepted", typ)
		}
	}
}

func TestEvalDoesNotChangeCallbackValues(t *testing.T) {
	tm := mustParse(t, "Resources:\n  A: {Type: X::Y::Z}\n  R:\n    Type: X::Y::Z\n    Properties:\n      L: !GetAtt A.List\n")
	shared := []any{"{{resolve:ssm:x}}", "b"}
	env := goldenEnv(nil)
	env.GetAtt = func(string, string) (any, error) { return shared, nil }
	v, err := tm.Eval(tm.Resources["R"].Properties, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(map[string]any)["L"].([]any)[0]; got != "resolved(ssm:x)" {
		t.Fatalf("dynamic reference not resolved: %v", got)
	}
	if shared[0] != "{{resolve:ssm:x}}" {
		t.Fatalf("Eval changed the callback's value: %v", shared)
	}
}

func TestEvalWithoutCallbacks(t *testing.T) {
	tm := mustParse(t, "Resources:\n  A: {Type: X::Y::Z}\n  R:\n    Type: X::Y::Z\n    Properties:\n      P: !Ref A\n      Q: !ImportValue x\n      S: '{{resolve:ssm:p}}'\n")
	for _, prop := range []string{"P", "Q", "S"} {
		n := tm.Resources["R"].Properties.n.get(prop)
		if _, err := tm.Eval(Node{n}, &Env{}, nil); err == nil {
			t.Errorf("%s evaluated without its callback", prop)
		}
	}
	// A zero Node and a nil Env are fine.
	if v, err := tm.Eval(Node{}, nil, nil); v != nil || err != nil {
		t.Fatalf("zero node: %v, %v", v, err)
	}
}

func TestConditionsNeedParameters(t *testing.T) {
	tm := mustParse(t, "Parameters:\n  Env: {Type: String}\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n  R: {Type: X::Y::Z}\n")
	if _, err := tm.Conditions(&Env{}); err == nil || !strings.Contains(err.Error(), "Parameters: [Env] must have values") {
		t.Fatalf("got %v", err)
	}
	conds, err := tm.Conditions(&Env{Parameters: map[string]any{"Env": "prod"}})
	if err != nil || !conds["IsProd"] {
		t.Fatalf("got %v, %v", conds, err)
	}
}

func TestNodeRaw(t *testing.T) {
	tm := mustParse(t, "Resources:\n  R:\n    Type: X::Y::Z\n    Properties:\n      A: [1, 2.5, true, null, x]\n      B: !Join ['', [a, !Ref AWS::Region]]\n      C: !GetAtt R2.Arn\n  R2: {Type: X::Y::Z}\n")
	got := tm.Resources["R"].Properties.Raw()
	want := map[string]any{
		"A": []any{1, 2.5, true, nil, "x"},
		"B": map[string]any{"Fn::Join": []any{"", []any{"a", map[string]any{"Ref": "AWS::Region"}}}},
		"C": map[string]any{"Fn::GetAtt": []any{"R2", "Arn"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Raw = %#v", got)
	}
	n := tm.Resources["R"].Properties
	if n.Line() != 5 || n.Column() != 7 || n.Path() != "Resources/R/Properties" {
		t.Fatalf("position %d:%d %s", n.Line(), n.Column(), n.Path())
	}
}

func TestParseKeepsBodyAndOrders(t *testing.T) {
	body := []byte("Parameters:\n  B: {Type: String}\n  A: {Type: String}\nConditions:\n  Z: !Equals [a, a]\n  Y: !Equals [a, b]\nResources:\n  Second: {Type: X::Y::Z}\n  First: {Type: X::Y::Z}\nOutputs:\n  O2: {Value: x}\n  O1: {Value: y}\n")
	tm, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	body[0] = 'X'
	if tm.Body[0] != 'P' {
		t.Fatal("Body shares the caller's slice")
	}
	if !reflect.DeepEqual(tm.ParameterOrder, []string{"B", "A"}) || !reflect.DeepEqual(tm.ConditionOrder, []string{"Z", "Y"}) ||
		!reflect.DeepEqual(tm.ResourceOrder, []string{"Second", "First"}) || !reflect.DeepEqual(tm.OutputOrder, []string{"O2", "O1"}) {
		t.Fatalf("orders: %v %v %v %v", tm.ParameterOrder, tm.ConditionOrder, tm.ResourceOrder, tm.OutputOrder)
	}
	if tm.Resources["First"].Line != 9 {
		t.Fatalf("Line = %d", tm.Resources["First"].Line)
	}
}

func TestAliasBombIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("Resources: {R: {Type: X::Y::Z, Properties: {V: *a11}}}\n")
	_, err := Parse([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "too many values") {
		t.Fatalf("got %v", err)
	}
	// A self-referencing alias is cut off by the depth limit.
	if _, err := Parse([]byte("Resources: &r {R: {Type: X::Y::Z, Properties: {V: [*r]}}}\n")); err == nil {
		t.Fatal("recursive alias parsed")
	}
}

func TestConcurrentEval(t *testing.T) {
	body, err := os.ReadFile("testdata/ecs-refarch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tm := mustParse(t, string(body))
	params, err := tm.ResolveParameters(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := goldenEnv(params)
			for _, id := range tm.ResourceOrder {
				if _, err := tm.Eval(tm.Resources[id].Properties, env, nil); err != nil && !strings.Contains(err.Error(), "Unresolved resource dependencies") {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestActive(t *testing.T) {
	tm := mustParse(t, `
Conditions:
  IsOn: !Equals [a, a]
  IsOff: !Equals [a, b]
Resources:
  C: {Type: X::Y::Z, DependsOn: A}
  A: {Type: X::Y::Z, Condition: IsOn}
  B: {Type: X::Y::Z, Condition: IsOff}
  D: {Type: X::Y::Z, Properties: {P: !If [IsOff, !Ref B, none]}}
`)
	conds, err := tm.Conditions(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tm.Active(conds)
	if err != nil || !reflect.DeepEqual(got, []string{"A", "C", "D"}) {
		t.Fatalf("Active = %v, %v", got, err)
	}
	_, err = tm.Active(map[string]bool{"IsOn": false, "IsOff": false})
	if err == nil || !strings.Contains(err.Error(), "Unresolved resource dependencies [A]") {
		t.Fatalf("DependsOn on a resource not created: %v", err)
	}
}

func TestParameterKinds(t *testing.T) {
	tests := []struct {
		typ       string
		ssm, list bool
	}{
		{"String", false, false},
		{"CommaDelimitedList", false, true},
		{"List<AWS::EC2::Subnet::Id>", false, true},
		{"AWS::SSM::Parameter::Value<String>", true, false},
		{"AWS::SSM::Parameter::Value<List<String>>", true, true},
		{"AWS::SSM::Parameter::Name", false, false},
	}
	for _, tc := range tests {
		p := &Parameter{Type: tc.typ}
		if p.SSM() != tc.ssm || p.List() != tc.list {
			t.Errorf("%s: SSM %v List %v, want %v %v", tc.typ, p.SSM(), p.List(), tc.ssm, tc.list)
		}
	}
}

func TestYAML11Booleans(t *testing.T) {
	got, err := evalProp(t, "Resources:\n  R:\n    Type: X::Y::Z\n    Properties:\n      V: [yes, 'yes', Off, !!str on, !Sub yes]\n", "V", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{true, "yes", false, "on", "yes"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}
