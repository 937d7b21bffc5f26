package template

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exercise runs everything a stack operation runs on a template; nothing may panic,
// and every error must be an *Error.
func exercise(t *testing.T, tm *Template) {
	check := func(err error) {
		var te *Error
		if err != nil && !errors.As(err, &te) {
			t.Fatalf("error %v (%T) is not an *Error", err, err)
		}
		if err != nil {
			_ = err.Error()
		}
	}
	check(tm.Validate())
	_, err := tm.Dependencies()
	check(err)
	_, err = tm.Order()
	check(err)
	given := map[string]string{}
	for _, name := range tm.ParameterOrder {
		if !tm.Parameters[name].HasDefault {
			given[name] = "1"
		}
	}
	params, err := tm.ResolveParameters(given, goldenSSM)
	check(err)
	env := goldenEnv(params)
	conds, err := tm.Conditions(env)
	check(err)
	for _, id := range tm.ResourceOrder {
		r := tm.Resources[id]
		_, err := tm.Eval(r.Properties, env, conds)
		check(err)
		_, err = tm.Eval(r.MetadataNode, env, nil)
		check(err)
		_ = r.Properties.References()
		_ = r.Properties.Raw()
	}
	for _, id := range tm.OutputOrder {
		_, err := tm.Eval(tm.Outputs[id].Value, env, conds)
		check(err)
		_, err = tm.Eval(tm.Outputs[id].ExportName, env, conds)
		check(err)
	}
}

func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*")
	for _, p := range paths {
		if strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, ".params.json") {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("{}"))
	f.Add([]byte("Resources: {R: {Type: A::B::C, Properties: {X: !Sub '${R.A.B}'}}}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		tm, err := Parse(body)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Parse error %v (%T) is not an *Error", err, err)
			}
			_ = te.Error()
			return
		}
		exercise(t, tm)
	})
}

// evalTemplate wraps a fuzzed value in a template with a bit of everything to
// refer to.
const evalTemplate = `Parameters:
  Env: {Type: String, Default: prod}
  List: {Type: CommaDelimitedList, Default: "a,b,c"}
  Count: {Type: Number, Default: 2}
Mappings:
  M: {us-east-1: {K: v, L: [x, y]}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Not: !Not [!Condition IsProd]
Resources:
  A:
    Type: X::Y::Z
  Maybe:
    Type: X::Y::Z
    Condition: Not
  R:
    Type: X::Y::Z
    Properties:
      V: `

func FuzzEval(f *testing.F) {
	seeds := []string{
		`!Ref Env`, `!Sub "${Env}-${A.Arn}-${AWS::Region}"`, `!Join [",", !Ref List]`,
		`!Select [1, !Split [",", "a,b,c"]]`, `!If [IsProd, !Ref AWS::NoValue, [1, 2]]`,
		`!FindInMap [M, !Ref "AWS::Region", L]`, `!FindInMap [M, x, y, {DefaultValue: d}]`,
		`!Cidr [10.0.0.0/16, !Ref Count, 8]`, `!Base64 {Fn::Sub: "x${Env}"}`, `!GetAZs ""`,
		`{"Fn::GetAtt": ["A", "B.C"]}`, `!ImportValue {Fn::Sub: "${Env}-x"}`, `!Ref Maybe`,
		`{"Fn::Length": [1, 2]}`, `{"Fn::ToJsonString": {"a": [1, {"Ref": "Env"}]}}`,
		`!And [!Condition IsProd, !Equals [1, 1], !Or [!Condition Not, !Equals [a, a]]]`,
		`"{{resolve:ssm:/x:1}} and {{resolve:ssm-secure:missing}}"`, `[!Select [9, []], x]`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if strings.ContainsAny(expr, "\n\r") {
			return
		}
		tm, err := Parse([]byte(evalTemplate + expr + "\n"))
		if err != nil {
			return
		}
		exercise(t, tm)
	})
}
