package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// goldenEnv is the fixed environment golden templates are evaluated in.
func goldenEnv(params map[string]any) *Env {
	return &Env{
		Parameters:       params,
		AccountID:        "123456789012",
		Region:           "us-east-1",
		StackName:        "golden",
		StackID:          "arn:aws:cloudformation:us-east-1:123456789012:stack/golden/6f2c7e60-0000-4000-8000-000000000000",
		NotificationARNs: []string{"arn:aws:sns:us-east-1:123456789012:notify"},
		Ref:              func(id string) (string, bool) { return "phys-" + id, true },
		GetAtt: func(id, attr string) (any, error) {
			switch attr {
			case "CidrBlock":
				return "10.0.0.0/16", nil
			case "Ipv6CidrBlocks":
				return []string{"2600:1f18:abcd:1200::/56"}, nil
			case "Unknown":
				return nil, fmt.Errorf("resource %s does not support attribute type %s in Fn::GetAtt", id, attr)
			}
			return id + "." + attr, nil
		},
		ImportValue: func(name string) (string, error) {
			if name == "missing-export" {
				return "", errors.New("No export named missing-export found")
			}
			return "imported:" + name, nil
		},
		Resolve: func(service, key string) (string, error) {
			if strings.HasPrefix(key, "missing") {
				return "", fmt.Errorf("parameter %s not found", key)
			}
			return "resolved(" + service + ":" + key + ")", nil
		},
	}
}

// goldenSSM stands in for Parameter Store in golden tests.
func goldenSSM(name string) (string, error) {
	switch {
	case strings.HasPrefix(name, "/missing"):
		return "", fmt.Errorf("ParameterNotFound: %s", name)
	case strings.Contains(name, "list"):
		return "ssm-a,ssm-b", nil
	}
	return "ssm:" + name, nil
}

// goldenResult is what a golden file records.
type goldenResult struct {
	Error        *goldenError              `json:"error,omitempty"`
	Parameters   map[string]any            `json:"parameters,omitempty"`
	Conditions   map[string]bool           `json:"conditions,omitempty"`
	Dependencies map[string][]string       `json:"dependencies,omitempty"`
	Order        []string                  `json:"order,omitempty"`
	Resources    map[string]map[string]any `json:"resources,omitempty"`
	Outputs      map[string]map[string]any `json:"outputs,omitempty"`
}

type goldenError struct {
	Stage   string `json:"stage"`
	Message string `json:"message"`
	Path    string `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Text    string `json:"text"`
}

// runGolden parses, validates and evaluates a template with the given parameter
// values, stopping at the first error.
func runGolden(body []byte, given map[string]string) goldenResult {
	fail := func(stage string, err error) goldenResult {
		var te *Error
		if !errors.As(err, &te) {
			return goldenResult{Error: &goldenError{Stage: stage, Message: "NOT A *template.Error: " + err.Error()}}
		}
		return goldenResult{Error: &goldenError{Stage: stage, Message: te.Message, Path: te.Path, Line: te.Line, Column: te.Column, Text: te.Error()}}
	}
	t, err := Parse(body)
	if err != nil {
		return fail("parse", err)
	}
	if err := t.Validate(); err != nil {
		return fail("validate", err)
	}
	var res goldenResult
	if res.Dependencies, err = t.Dependencies(); err != nil {
		return fail("dependencies", err)
	}
	if res.Order, err = t.Order(); err != nil {
		return fail("order", err)
	}
	if res.Parameters, err = t.ResolveParameters(given, goldenSSM); err != nil {
		return fail("parameters", err)
	}
	env := goldenEnv(res.Parameters)
	if res.Conditions, err = t.Conditions(env); err != nil {
		return fail("conditions", err)
	}
	res.Resources = map[string]map[string]any{}
	for _, id := range res.Order {
		r := t.Resources[id]
		if r.Condition != "" && !res.Conditions[r.Condition] {
			continue
		}
		out := map[string]any{"Type": r.Type}
		props, err := t.Eval(r.Properties, env, res.Conditions)
		if err != nil {
			return fail("eval "+id, err)
		}
		if props != nil {
			out["Properties"] = props
		}
		if !r.MetadataNode.IsZero() {
			if out["Metadata"], err = t.Eval(r.MetadataNode, env, res.Conditions); err != nil {
				return fail("eval "+id, err)
			}
		}
		res.Resources[id] = out
	}
	res.Outputs = map[string]map[string]any{}
	for _, id := range t.OutputOrder {
		o := t.Outputs[id]
		if o.Condition != "" && !res.Conditions[o.Condition] {
			continue
		}
		out := map[string]any{}
		if out["Value"], err = t.Eval(o.Value, env, res.Conditions); err != nil {
			return fail("eval output "+id, err)
		}
		if !o.ExportName.IsZero() {
			if out["Export"], err = t.Eval(o.ExportName, env, res.Conditions); err != nil {
				return fail("eval output "+id, err)
			}
		}
		res.Outputs[id] = out
	}
	return res
}

// TestGolden runs every template of testdata/ (name.yaml, name.json) with each of
// its parameter files (name.params.json, or name.<case>.params.json for several)
// and compares the outcome with name[.<case>].golden. go test -update rewrites them.
func TestGolden(t *testing.T) {
	templates, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, path := range templates {
		ext := filepath.Ext(path)
		if ext != ".yaml" && ext != ".json" || strings.HasSuffix(path, ".params.json") {
			continue
		}
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(path, ext)
		cases, _ := filepath.Glob(base + ".*params.json")
		var names []string
		for _, c := range cases {
			rest := strings.TrimPrefix(c, base)
			if rest == ".params.json" || strings.Count(rest, ".") == 3 {
				names = append(names, c)
			}
		}
		if len(names) == 0 {
			names = []string{""}
		}
		for _, pf := range names {
			golden := base + ".golden"
			given := map[string]string{}
			if pf != "" {
				raw, err := os.ReadFile(pf)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(raw, &given); err != nil {
					t.Fatalf("%s: %v", pf, err)
				}
				golden = strings.TrimSuffix(pf, ".params.json") + ".golden"
			}
			ran++
			t.Run(strings.TrimPrefix(golden, "testdata/"), func(t *testing.T) {
				got, err := json.MarshalIndent(runGolden(body, given), "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, '\n')
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the outcome:\n%s", golden, diffLines(string(want), string(got)))
				}
			})
		}
	}
	if ran < 30 {
		t.Fatalf("only %d golden cases ran", ran)
	}
}

// diffLines shows the first lines where two texts differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, wl, gl)
			if shown++; shown == 10 {
				break
			}
		}
	}
	return b.String()
}
