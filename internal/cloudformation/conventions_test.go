package cloudformation

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDomainImports checks that CloudFormation stays off the wire and away from the
// services it drives: it imports neither net/http, nor the gateway, nor any other
// service package (it reaches them through its Invoker only). Its tests may.
func TestDomainImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"net/http", "github.com/wharf-dev/wharf/internal/gateway", "github.com/aws/smithy-go/encoding"}
	for _, svc := range []string{"ecs", "elbv2", "ssm", "kms", "iam", "logs", "cloudwatch", "autoscaling", "sts", "cloudtrail", "app"} {
		forbidden = append(forbidden, "github.com/wharf-dev/wharf/internal/"+svc)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
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
	}
	if checked < 15 {
		t.Fatalf("checked only %d files", checked)
	}
}

// TestFilesStaySmall keeps every file under the project's size limit.
func TestFilesStaySmall(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(raw), "\n"); n > 1200 {
			t.Errorf("%s has %d lines", name, n)
		}
	}
}
