package logs

import (
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDomainImports checks that CloudWatch Logs stays off the wire: it imports neither
// net/http nor the gateway (its tests may).
func TestDomainImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"net/http", "github.com/wharf-dev/wharf/internal/gateway", "github.com/aws/smithy-go"}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := goparser.ParseFile(token.NewFileSet(), name, src, goparser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
		if n := strings.Count(string(src), "\n"); n > 1200 {
			t.Errorf("%s has %d lines; keep files under 1,200", name, n)
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d files", checked)
	}
}
