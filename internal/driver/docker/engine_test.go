package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/wharf-dev/wharf/internal/driver"
)

// The engine tests share one driver and one test image, built on first use from
// testdata/testapp (a static Go binary in a FROM scratch image) and removed by TestMain.
var (
	runID = randomID()

	engineOnce sync.Once
	engineDrv  *Driver
	engineErr  error // no engine answers
	imageErr   error // the test image could not be built
	testImage  = "wharf-test-docker-driver:" + runID
	imageBuilt bool
)

func randomID() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return fmt.Sprintf("%x", time.Now().UnixNano())
	}
	return hex.EncodeToString(b)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if imageBuilt {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := engineDrv.cli.ImageRemove(ctx, testImage, image.RemoveOptions{Force: true, PruneChildren: true})
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "remove test image %s: %v\n", testImage, err)
		}
	}
	if engineDrv != nil {
		engineDrv.Close()
	}
	os.Exit(code)
}

// engine returns the shared driver, skipping the test when no engine answers (failing
// it when WHARF_TEST_DOCKER=1) and failing it when the test image cannot be built.
func engine(t *testing.T) *Driver {
	t.Helper()
	engineOnce.Do(setupEngine)
	if engineErr != nil {
		if os.Getenv("WHARF_TEST_DOCKER") == "1" {
			t.Fatalf("WHARF_TEST_DOCKER=1 but no Docker engine answers: %v", engineErr)
		}
		t.Skipf("no Docker engine answers (set WHARF_TEST_DOCKER=1 to make this a failure): %v", engineErr)
	}
	if imageErr != nil {
		t.Fatalf("build test image: %v", imageErr)
	}
	return engineDrv
}

func setupEngine() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	engineDrv, engineErr = New(ctx, nil)
	if engineErr != nil {
		return
	}
	imageErr = buildTestImage(ctx, engineDrv.cli, testImage)
	imageBuilt = imageErr == nil
}

// buildTestImage compiles testdata/testapp statically and builds a FROM scratch image
// holding it as /app, from a build context made in memory.
func buildTestImage(ctx context.Context, cli *client.Client, tag string) error {
	dir, err := os.MkdirTemp("", "wharf-docker-test-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "app")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./testdata/testapp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build testapp: %w\n%s", err, out)
	}
	app, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"Dockerfile", 0o644, []byte("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n")},
		{"app", 0o755, app},
	}
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Now()}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	resp, err := cli.ImageBuild(ctx, &buf, build.ImageBuildOptions{
		Tags: []string{tag}, Remove: true, ForceRemove: true, Labels: map[string]string{"wharf.test": "true"},
	})
	if err != nil {
		return fmt.Errorf("image build: %w", err)
	}
	defer resp.Body.Close()
	if err := readJSONStream(resp.Body); err != nil {
		return fmt.Errorf("image build: %w", err)
	}
	return nil
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// containerName returns a container name unique to this run and test.
func containerName(t *testing.T, suffix string) string {
	n := "wharf-test-" + runID + "-" + unsafeName.ReplaceAllString(t.Name(), "_")
	if suffix != "" {
		n += "-" + suffix
	}
	return n
}

// start starts spec (with the test image when none is set) and removes the container
// when the test ends, even when Start failed half-way.
func start(t *testing.T, d *Driver, spec driver.Spec) (driver.Status, error) {
	t.Helper()
	if spec.Image == "" {
		spec.Image = testImage
	}
	t.Cleanup(func() { forceRemove(t, d, spec.Name) })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return d.Start(ctx, spec)
}

// mustStart is start for a container that must start.
func mustStart(t *testing.T, d *Driver, spec driver.Spec) driver.Status {
	t.Helper()
	st, err := start(t, d, spec)
	if err != nil {
		t.Fatalf("Start(%s): %v", spec.Name, err)
	}
	return st
}

func forceRemove(t *testing.T, d *Driver, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := d.cli.ContainerRemove(ctx, name, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !client.IsErrNotFound(err) {
		t.Errorf("cleanup: remove container %s: %v", name, err)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// appInfo is what the test app answers over HTTP.
type appInfo struct {
	Hostname string   `json:"hostname"`
	Env      []string `json:"env"`
}

func (a appInfo) getenv(key string) (string, bool) {
	for _, kv := range a.Env {
		if len(kv) > len(key) && kv[:len(key)+1] == key+"=" {
			return kv[len(key)+1:], true
		}
	}
	return "", false
}

// getApp polls http://127.0.0.1:port/ until the test app answers 200 (the program
// needs a moment to listen) and returns its answer.
func getApp(t *testing.T, port int) appInfo {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	c := http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		resp, err := c.Get(url)
		if err == nil {
			var info appInfo
			err = json.NewDecoder(resp.Body).Decode(&info)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK {
				return info
			}
			if err == nil {
				err = fmt.Errorf("status %s", resp.Status)
			}
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s never answered 200: %v", url, lastErr)
	return appInfo{}
}

// freePort returns a TCP port free on the host at the time of the call.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitHealth polls Inspect until the container's health is want.
func waitHealth(t *testing.T, d *Driver, id, want string) driver.Status {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var st driver.Status
	for time.Now().Before(deadline) {
		var err error
		st, err = d.Inspect(testCtx(t), id)
		if err != nil {
			t.Fatalf("Inspect: %v", err)
		}
		if st.Health == want {
			return st
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("health of %s is %q, never became %q", id, st.Health, want)
	return st
}
