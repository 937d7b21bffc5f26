package template

import (
	"encoding/json"
	"os"
	"testing"
)

func benchTemplate(b *testing.B) []byte {
	body, err := os.ReadFile("testdata/ecs-refarch.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkParseECS parses the ECS reference architecture template (43 resources).
func BenchmarkParseECS(b *testing.B) {
	body := benchTemplate(b)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseECSJSON parses the same template written as JSON.
func BenchmarkParseECSJSON(b *testing.B) {
	tm, err := Parse(benchTemplate(b))
	if err != nil {
		b.Fatal(err)
	}
	body := toJSON(b, tm)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateECS validates it (references, conditions, dependency cycles).
func BenchmarkValidateECS(b *testing.B) {
	tm, err := Parse(benchTemplate(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := tm.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvalECS resolves its parameters, evaluates its conditions and every
// resource's properties and every output, as one stack creation does.
func BenchmarkEvalECS(b *testing.B) {
	tm, err := Parse(benchTemplate(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		params, err := tm.ResolveParameters(nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		env := goldenEnv(params)
		conds, err := tm.Conditions(env)
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range tm.ResourceOrder {
			r := tm.Resources[id]
			if r.Condition != "" && !conds[r.Condition] {
				continue
			}
			if _, err := tm.Eval(r.Properties, env, conds); err != nil {
				b.Fatal(err)
			}
		}
		for _, id := range tm.OutputOrder {
			if _, err := tm.Eval(tm.Outputs[id].Value, env, conds); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// toJSON writes a parsed template back as a JSON template (intrinsics in long form).
func toJSON(b *testing.B, tm *Template) []byte {
	root, err := parseDocument(tm.Body)
	if err != nil {
		b.Fatal(err)
	}
	out, err := json.Marshal(root.raw())
	if err != nil {
		b.Fatal(err)
	}
	return out
}
