package cloudformation

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/store"
)

// FuzzPrepare feeds arbitrary template bodies and parameters through what CreateStack,
// UpdateStack and CreateChangeSet do before anything runs: parse, validate, resolve
// parameters and plan. Bad input must come back as an error, never a panic.
func FuzzPrepare(f *testing.F) {
	for _, seed := range []string{diamond, chain, app, cliTemplate, "Resources: {}", "{\"Resources\": {\"A\": {\"Type\": \"Test::Thing\"}}}",
		"Resources:\n  A: {Type: Test::Thing, Properties: {Value: !Sub '${B}'}}\n  B: {Type: Test::Thing, Properties: {Value: !Ref A}}\n",
		"Resources:\n  S: {Type: AWS::CloudFormation::Stack, Properties: {TemplateURL: ../../etc/passwd}}\n"} {
		f.Add(seed, "V", "x")
	}
	db, err := store.Open(filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	s, err := New(db, Config{Registry: testRegistry(newFakeProvider()), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	f.Fuzz(func(t *testing.T, body, key, value string) {
		prep, err := s.prepare(context.Background(), body, "", []Parameter{{ParameterKey: &key, ParameterValue: &value}}, nil, []string{"CAPABILITY_NAMED_IAM"}, nil)
		if err != nil {
			if _, ok := asAPI(err); !ok {
				t.Fatalf("a non-API error: %v", err)
			}
			return
		}
		_, _, _ = s.plan(context.Background(), nil, prep)
	})
}

// FuzzTemplateURL checks that any TemplateURL either names a file or is refused.
func FuzzTemplateURL(f *testing.F) {
	for _, seed := range []string{"file:///tmp/t.yaml", "file://t.yaml", "file://localhost/x", "https://s3.amazonaws.com/b/k", "child.yaml", "", "file://", "file:///%zz"} {
		f.Add(seed, "/base/parent.yaml")
	}
	f.Fuzz(func(t *testing.T, raw, base string) {
		path, err := filePath(raw, base)
		if err == nil && path == "" {
			t.Fatalf("filePath(%q, %q) accepted an empty path", raw, base)
		}
		if err == nil && !strings.HasPrefix(raw, "file://") && strings.Contains(raw, "://") {
			t.Fatalf("filePath(%q) accepted a non-file URL", raw)
		}
	})
}

// FuzzNextToken checks the pagination tokens clients send back.
func FuzzNextToken(f *testing.F) {
	for _, seed := range []string{"", "0", "100", "-1", "99999999999999999999", "abc"} {
		f.Add(seed)
	}
	items := make([]int, 250)
	f.Fuzz(func(t *testing.T, token string) {
		page, next, err := paginate(items, token, 100)
		if err != nil {
			return
		}
		if len(page) > 100 || next != nil && *next == token {
			t.Fatalf("token %q: page %d, next %v", token, len(page), next)
		}
	})
}
