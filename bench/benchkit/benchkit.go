// Package benchkit is what Wharf's benchmark programs share: starting `wharf up` on a
// free port with a fresh data dir, its root credentials, signing a request once so that
// a load generator can replay it, driving wrk, and reading a process's CPU time.
package benchkit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Wharf is a running `wharf up`.
type Wharf struct {
	Endpoint string          // http://127.0.0.1:<port>
	Root     aws.Credentials // the root credentials
	Pid      int
	DataDir  string
	cmd      *exec.Cmd
}

// Start runs bin (`wharf up`) on a free loopback port with a fresh data dir and the
// process driver, and waits until it is healthy.
func Start(bin string, extraArgs ...string) (*Wharf, error) {
	dir, err := os.MkdirTemp("", "wharfbench")
	if err != nil {
		return nil, err
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"up", "--listen", addr, "--data-dir", dir, "--driver", "process", "--log-level", "warn"}, extraArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	w := &Wharf{Endpoint: "http://" + addr, Pid: cmd.Process.Pid, DataDir: dir, cmd: cmd}
	if err := WaitHealthy(w.Endpoint); err != nil {
		w.Stop()
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "credentials.json"))
	if err != nil {
		w.Stop()
		return nil, err
	}
	var root struct{ AccessKeyID, SecretAccessKey string }
	if err := json.Unmarshal(raw, &root); err != nil {
		w.Stop()
		return nil, err
	}
	w.Root = aws.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}
	return w, nil
}

// Config is an SDK configuration signing as root against the Wharf.
func (w *Wharf) Config() aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(w.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(w.Root.AccessKeyID, w.Root.SecretAccessKey, "")}
}

// Stop stops the Wharf and removes its data dir.
func (w *Wharf) Stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	_ = w.cmd.Wait()
	os.RemoveAll(w.DataDir)
}

// WaitHealthy waits up to 20 s for endpoint's health check to answer 200.
func WaitHealthy(endpoint string) error {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(endpoint + "/_wharf/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
	}
	return fmt.Errorf("%s not healthy after 20 s", endpoint)
}

// FreeAddr returns a free loopback address.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// CPUOf returns the user+system CPU time a process has used (all its threads).
func CPUOf(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100
}

// Request is a signed HTTP request that can be replayed within SigV4's window.
type Request struct {
	URL    string
	Body   []byte
	Header http.Header
}

// Sign signs a POST of body to endpoint for a JSON or CBOR protocol service, with the
// given headers (Content-Type, X-Amz-Target...).
func Sign(creds aws.Credentials, endpoint, path, signingName string, header map[string]string, body []byte) (Request, error) {
	req, err := http.NewRequest("POST", endpoint+path, bytes.NewReader(body))
	if err != nil {
		return Request{}, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), signingName, "us-east-1", time.Now()); err != nil {
		return Request{}, err
	}
	return Request{URL: endpoint + path, Body: body, Header: req.Header.Clone()}, nil
}

// Do sends the request once and returns the response body; a status other than 200
// is an error.
func (r Request) Do() ([]byte, error) {
	req, err := http.NewRequest("POST", r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, out.Bytes())
	}
	return out.Bytes(), nil
}

// WrkResult is what one wrk run measured.
type WrkResult struct {
	Requests int
	PerSec   float64
	P50, P99 string
}

// Wrk replays r with `wrk -t2 -c<conns> -d<d> --latency`; any non-2xx answer fails it.
func Wrk(r Request, conns int, d time.Duration) (WrkResult, error) {
	script, err := os.CreateTemp("", "wrk-*.lua")
	if err != nil {
		return WrkResult{}, err
	}
	defer os.Remove(script.Name())
	// The body may be binary (CBOR): Lua's decimal escapes carry any byte.
	var body strings.Builder
	for _, b := range r.Body {
		fmt.Fprintf(&body, "\\%03d", b)
	}
	fmt.Fprintf(script, "wrk.method = \"POST\"\nwrk.body = \"%s\"\n", body.String())
	for k := range r.Header {
		fmt.Fprintf(script, "wrk.headers[%q] = %q\n", k, r.Header.Get(k))
	}
	if err := script.Close(); err != nil {
		return WrkResult{}, err
	}
	out, err := exec.Command("wrk", "-t2", "-c"+strconv.Itoa(conns), "-d"+d.String(), "--latency", "-s", script.Name(), r.URL).CombinedOutput()
	if err != nil {
		return WrkResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	if strings.Contains(string(out), "Non-2xx") || strings.Contains(string(out), "Socket errors") {
		return WrkResult{}, fmt.Errorf("wrk saw failed requests:\n%s", out)
	}
	var res WrkResult
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "50%":
			res.P50 = f[1]
		case len(f) >= 2 && f[0] == "99%":
			res.P99 = f[1]
		case len(f) >= 2 && f[0] == "Requests/sec:":
			res.PerSec, _ = strconv.ParseFloat(f[1], 64)
		case len(f) >= 2 && f[1] == "requests":
			res.Requests, _ = strconv.Atoi(f[0])
		}
	}
	if res.Requests == 0 {
		return res, fmt.Errorf("could not read wrk's output:\n%s", out)
	}
	return res, nil
}
