package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

// helperArg, as os.Args[1], turns the test binary into the helper program that the
// tests run as a container: "<test binary> wharf-helper <mode> [args]".
const helperArg = "wharf-helper"

// helperPath is the absolute path of the test binary, the image of every test container.
var helperPath string

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == helperArg {
		os.Exit(helperMain(os.Args[2:]))
	}
	// A container that runs this binary without helperArg would run the tests
	// again, and start containers of its own: refuse unless go test started it.
	if !slices.ContainsFunc(os.Args[1:], func(a string) bool { return strings.HasPrefix(a, "-test.") }) {
		fmt.Fprintf(os.Stderr, "%s: run by go test (or with a -test.* flag), or as %s %s <mode>\n", os.Args[0], os.Args[0], helperArg)
		os.Exit(2)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot find the test binary:", err)
		os.Exit(2)
	}
	helperPath = exe
	os.Exit(m.Run())
}

// helperReport is what the helper's HTTP server answers with.
type helperReport struct {
	Args []string `json:"args"`
	Env  []string `json:"env"`
	Dir  string   `json:"dir"`
	UID  int      `json:"uid"`
}

// helperMain is the helper program. Modes:
//
//	serve          print a line to stdout and one to stderr, serve HTTP on $PORT
//	exit CODE      exit with CODE
//	kill-self      die of SIGKILL
//	sleep          print "ready", then sleep until killed
//	ignore-term    ignore SIGTERM, print "ready", sleep
//	spawn          start "ignore-term" as a child in the same process group, print
//	               "child PID", then sleep
//	check FILE     exit 0 when FILE exists, else 1
//	id             print "uid=UID" and exit
//	lines N        print "out I" to stdout and "err I" to stderr for I in 1..N, then a
//	               line of 40000 "x", then "tail" without a newline, and exit
//	burn           use a CPU until killed
//	burn-child     start "burn" as a child, print "child PID", then sleep
func helperMain(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "helper: no mode")
		return 2
	}
	switch args[0] {
	case "serve":
		fmt.Println("hello stdout")
		fmt.Fprintln(os.Stderr, "hello stderr")
		wd, _ := os.Getwd()
		report := helperReport{Args: os.Args, Env: os.Environ(), Dir: wd, UID: os.Getuid()}
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(report)
		})
		err := http.ListenAndServe(":"+os.Getenv("PORT"), nil)
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	case "exit":
		if len(args) < 2 {
			return 2
		}
		code, err := strconv.Atoi(args[1])
		if err != nil {
			return 2
		}
		fmt.Println("exiting", code)
		return code
	case "kill-self":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Hour)
		return 0
	case "sleep", "ignore-term":
		if args[0] == "ignore-term" {
			signal.Ignore(syscall.SIGTERM)
		}
		fmt.Println("ready")
		for {
			time.Sleep(time.Hour)
		}
	case "spawn":
		cmd := exec.Command(os.Args[0], helperArg, "ignore-term")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 1
		}
		fmt.Printf("child %d\n", cmd.Process.Pid)
		for {
			time.Sleep(time.Hour)
		}
	case "check":
		if len(args) < 2 {
			return 2
		}
		if _, err := os.Stat(args[1]); err != nil {
			fmt.Println("check failed:", err)
			return 1
		}
		return 0
	case "id":
		fmt.Printf("uid=%d\n", os.Getuid())
		return 0
	case "lines":
		n := 0
		if len(args) > 1 {
			n, _ = strconv.Atoi(args[1])
		}
		for i := 1; i <= n; i++ {
			fmt.Fprintf(os.Stdout, "out %d\n", i)
			fmt.Fprintf(os.Stderr, "err %d\n", i)
		}
		fmt.Println(strings.Repeat("x", 40000))
		fmt.Print("tail")
		return 0
	case "burn":
		for x := 0; ; x++ {
		}
	case "burn-child":
		cmd := exec.Command(os.Args[0], helperArg, "burn")
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 1
		}
		fmt.Printf("child %d\n", cmd.Process.Pid)
		for {
			time.Sleep(time.Hour)
		}
	}
	fmt.Fprintln(os.Stderr, "helper: unknown mode", args[0])
	return 2
}

// helperImage is the image of a container running the helper.
func helperImage() string { return ImagePrefix + helperPath }

// helperSpec returns a spec running the helper in mode with args.
func helperSpec(name string, mode ...string) driver.Spec {
	return driver.Spec{
		Name:    name,
		Image:   helperImage(),
		Command: append([]string{helperArg}, mode...),
		// The race detector makes a program that exits with 0 sleep 1 s by default.
		Env:    map[string]string{"GORACE": "atexit_sleep_ms=0"},
		Labels: map[string]string{driver.LabelTaskARN: "arn:aws:ecs:us-east-1:000000000000:task/c/" + name},
	}
}

// newDriver returns a driver on dir (a new temporary directory when empty) that is
// closed, with its containers stopped, when the test ends.
func newDriver(t *testing.T, dir string) *Driver {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	d, err := New(dir, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		stopAll(t, d)
		d.Close()
	})
	return d
}

// stopAll stops every running container of d.
func stopAll(t *testing.T, d *Driver) {
	t.Helper()
	list, _ := d.List(context.Background())
	for _, s := range list {
		if s.Running {
			if err := d.Stop(context.Background(), s.ID, time.Second); err != nil && !errors.Is(err, ErrClosed) {
				t.Errorf("cleanup: stop %s: %v", s.ID, err)
			}
		}
	}
}

// start starts spec on d or fails the test.
func start(t *testing.T, d *Driver, spec driver.Spec) driver.Status {
	t.Helper()
	st, err := d.Start(context.Background(), spec)
	if err != nil {
		t.Fatalf("Start(%s): %v", spec.Name, err)
	}
	return st
}

// waitFor polls cond until it holds, failing the test after 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logText returns the log of container id.
func logText(t *testing.T, d *Driver, id string) string {
	t.Helper()
	path, err := d.LogPath(id)
	if err != nil {
		t.Fatalf("LogPath(%s): %v", id, err)
	}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read log: %v", err)
	}
	return string(b)
}

// waitLog waits until the log of container id holds line.
func waitLog(t *testing.T, d *Driver, id, line string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%q in the log of %s", line, id), func() bool {
		return strings.Contains(logText(t, d, id), line)
	})
}

// waitHealth waits until container id's health is want.
func waitHealth(t *testing.T, d *Driver, id, want string) {
	t.Helper()
	var last string
	waitFor(t, "health "+want, func() bool {
		st, err := d.Inspect(context.Background(), id)
		if err != nil {
			t.Fatalf("Inspect: %v", err)
		}
		last = st.Health
		return last == want
	})
}

// getReport fetches the helper's report from host port, waiting for it to listen.
func getReport(t *testing.T, port int) helperReport {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	var rep helperReport
	waitFor(t, fmt.Sprintf("HTTP on port %d", port), func() bool {
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET: status %d, err %v", resp.StatusCode, err)
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatalf("decode report %q: %v", b, err)
		}
		return true
	})
	return rep
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// gone reports whether pid has exited (absent or a zombie).
func gone(pid int) bool {
	st, err := readProcStat(pid)
	return err != nil || st.State == 'Z'
}

// writeFile writes a file under dir with mode and returns its path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return path
}
