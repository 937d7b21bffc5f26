// Package conventions holds tests that enforce the project's conventions across every
// package: package docs, doc comments on exported names, and the import rules that keep
// protocol, domain and storage apart.
package conventions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// root is the repository root, two levels up from this package.
var root = filepath.Join("..", "..")

// packages parses every non-test Go package of the repository, by directory.
func packages(t *testing.T) map[string][]*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkgs[filepath.ToSlash(rel)] = append(pkgs[filepath.ToSlash(rel)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages under %s", len(pkgs), root)
	}
	return pkgs
}

func TestEveryPackageHasADocComment(t *testing.T) {
	for dir, files := range packages(t) {
		documented := false
		for _, f := range files {
			documented = documented || (f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "")
		}
		if !documented {
			t.Errorf("package %s has no package doc comment", dir)
		}
	}
}

func TestExportedNamesAreDocumented(t *testing.T) {
	for dir, files := range packages(t) {
		if !strings.HasPrefix(dir, "internal/") {
			continue
		}
		for _, f := range files {
			for _, decl := range f.Decls {
				for _, name := range undocumented(decl) {
					t.Errorf("%s: exported %s has no doc comment", dir, name)
				}
			}
		}
	}
}

// undocumented lists the exported names a declaration leaves without a doc comment.
func undocumented(decl ast.Decl) []string {
	var out []string
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if d.Name.IsExported() && d.Doc == nil && (d.Recv == nil || exportedRecv(d.Recv)) {
			out = append(out, d.Name.Name)
		}
	case *ast.GenDecl:
		if d.Tok == token.IMPORT {
			return nil
		}
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
					out = append(out, s.Name.Name)
				}
			case *ast.ValueSpec:
				for _, n := range s.Names {
					// A grouped const or var block may be documented as a whole.
					if n.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
						out = append(out, n.Name)
					}
				}
			}
		}
	}
	return out
}

func exportedRecv(fl *ast.FieldList) bool {
	if len(fl.List) == 0 {
		return false
	}
	typ := fl.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if idx, ok := typ.(*ast.IndexExpr); ok {
		typ = idx.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// TestDomainStaysOffTheWire checks that domain and storage packages import neither
// net/http nor the gateway and its codecs: protocol, domain and storage stay apart.
func TestDomainStaysOffTheWire(t *testing.T) {
	forbidden := []string{"net/http", "github.com/wharf-dev/wharf/internal/gateway", "github.com/aws/smithy-go/encoding"}
	domain := []string{"internal/awsapi", "internal/ecs", "internal/elbv2", "internal/store", "internal/scheduler", "internal/iam",
		"internal/agent", "internal/driver", "internal/kms", "internal/ssm", "internal/cloudtrail", "internal/cloudwatch", "internal/logs",
		"internal/autoscaling", "internal/platformmetrics", "internal/cloudformation", "internal/cloudformation/template"}
	pkgs := packages(t)
	for _, dir := range domain {
		files, ok := pkgs[dir]
		if !ok {
			t.Errorf("domain package %s not found", dir)
			continue
		}
		for _, f := range files {
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range forbidden {
					if path == bad || strings.HasPrefix(path, bad+"/") {
						t.Errorf("%s imports %s", dir, path)
					}
				}
			}
		}
	}
}

// TestOnlyCmdImportsApp keeps internal/app a wiring package that nothing else depends on.
func TestOnlyCmdImportsApp(t *testing.T) {
	for dir, files := range packages(t) {
		if strings.HasPrefix(dir, "cmd/") {
			continue
		}
		for _, f := range files {
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/wharf-dev/wharf/internal/app" {
					t.Errorf("%s imports internal/app; only cmd/ may", dir)
				}
			}
		}
	}
}

func TestNoFileTooLong(t *testing.T) {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if n := strings.Count(string(raw), "\n"); n > 1500 {
			t.Errorf("%s has %d lines; split it (the limit is about 1,500)", path, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
