// Command ssmbench measures SSM GetParameter WithDecryption against `wharf up`, signed
// and authorized: an IAM user whose policy allows ssm:GetParameter on the parameter and
// kms:Decrypt reads a SecureString from concurrent clients. The request is signed once
// (SigV4 allows replay within its 15-minute window) so that the client's own signing
// does not take the machine's two cores from the server; the server still verifies the
// signature, evaluates the policies, decrypts and audits every request.
//
// The load comes from wrk (-load wrk, the default when it is installed), which costs
// the machine far less CPU per request than Go clients, or from Go clients (-load go).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func main() {
	bin := flag.String("bin", "bin/wharf", "the wharf binary")
	conc := flag.Int("c", 32, "concurrent clients")
	d := flag.Duration("d", 10*time.Second, "duration")
	load := flag.String("load", "", "load generator: wrk or go (default: wrk when installed)")
	flag.Parse()
	if *load == "" {
		*load = "go"
		if _, err := exec.LookPath("wrk"); err == nil {
			*load = "wrk"
		}
	}
	if err := run(*bin, *conc, *d, *load); err != nil {
		fmt.Fprintln(os.Stderr, "ssmbench:", err)
		os.Exit(1)
	}
}

func run(bin string, conc int, d time.Duration, load string) error {
	dir, err := os.MkdirTemp("", "ssmbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	addr := freeAddr()
	cmd := exec.Command(bin, "up", "--listen", addr, "--data-dir", dir, "--driver", "process", "--log-level", "warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	endpoint := "http://" + addr
	if err := waitHealthy(endpoint); err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "credentials.json"))
	if err != nil {
		return err
	}
	var root struct{ AccessKeyID, SecretAccessKey string }
	if err := json.Unmarshal(raw, &root); err != nil {
		return err
	}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(root.AccessKeyID, root.SecretAccessKey, "")}
	ctx := context.Background()
	const secret = "postgres://app:bench-secret@db/app"
	if _, err := awsssm.NewFromConfig(cfg).PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/bench/db"),
		Value: aws.String(secret), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		return fmt.Errorf("put parameter: %w", err)
	}
	ic := awsiam.NewFromConfig(cfg)
	if _, err := ic.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bench")}); err != nil {
		return err
	}
	if _, err := ic.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("bench"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:000000000000:parameter/bench/*"},
			{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`)}); err != nil {
		return err
	}
	key, err := ic.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("bench")})
	if err != nil {
		return err
	}
	creds := aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}

	body := []byte(`{"Name":"/bench/db","WithDecryption":true}`)
	req, _ := http.NewRequest("POST", endpoint+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ssm", "us-east-1", time.Now()); err != nil {
		return err
	}
	header := req.Header.Clone()
	if load == "wrk" {
		return runWrk(endpoint, cmd.Process.Pid, body, header, conc, d)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: conc, MaxIdleConns: conc}
	client := &http.Client{Transport: transport}
	call := func() (time.Duration, error) {
		r, _ := http.NewRequest("POST", endpoint+"/", bytes.NewReader(body))
		r.Header = header
		start := time.Now()
		resp, err := client.Do(r)
		if err != nil {
			return 0, err
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(out, []byte("bench-secret")) {
			return 0, fmt.Errorf("GetParameter: %d %s", resp.StatusCode, out)
		}
		return time.Since(start), nil
	}
	if _, err := call(); err != nil {
		return err
	}
	// Warm up, then measure.
	measure := func(dur time.Duration) ([]time.Duration, error) {
		var mu sync.Mutex
		var lat []time.Duration
		var firstErr error
		deadline := time.Now().Add(dur)
		var wg sync.WaitGroup
		for i := 0; i < conc; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []time.Duration
				for time.Now().Before(deadline) {
					l, err := call()
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						return
					}
					mine = append(mine, l)
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		return lat, firstErr
	}
	if _, err := measure(2 * time.Second); err != nil {
		return err
	}
	cpuBefore := cpuOf(cmd.Process.Pid)
	start := time.Now()
	lat, err := measure(d)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	cpu := cpuOf(cmd.Process.Pid) - cpuBefore
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	fmt.Printf("GetParameter WithDecryption, signed by an IAM user, authorized, audited; %d clients, %v\n", conc, d)
	fmt.Printf("requests: %d  req/s: %.0f  p50: %v  p99: %v  max: %v  wharf CPU per request: %.1f µs\n",
		len(lat), float64(len(lat))/elapsed.Seconds(), q(0.5).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond),
		lat[len(lat)-1].Round(10*time.Microsecond), float64(cpu.Microseconds())/float64(len(lat)))
	return nil
}

// runWrk replays the signed request with wrk: a warm-up, then the measured run.
func runWrk(endpoint string, pid int, body []byte, header http.Header, conc int, d time.Duration) error {
	script, err := os.CreateTemp("", "ssmbench-*.lua")
	if err != nil {
		return err
	}
	defer os.Remove(script.Name())
	fmt.Fprintf(script, "wrk.method = \"POST\"\nwrk.body = %q\n", body)
	for k := range header {
		fmt.Fprintf(script, "wrk.headers[%q] = %q\n", k, header.Get(k))
	}
	if err := script.Close(); err != nil {
		return err
	}
	wrk := func(dur time.Duration) (string, error) {
		out, err := exec.Command("wrk", "-t2", "-c"+strconv.Itoa(conc), "-d"+dur.String(), "--latency", "-s", script.Name(), endpoint+"/").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("wrk: %w\n%s", err, out)
		}
		if strings.Contains(string(out), "Non-2xx") {
			return "", fmt.Errorf("wrk saw failed requests:\n%s", out)
		}
		return string(out), nil
	}
	if _, err := wrk(2 * time.Second); err != nil {
		return err
	}
	cpuBefore := cpuOf(pid)
	out, err := wrk(d)
	if err != nil {
		return err
	}
	cpu := cpuOf(pid) - cpuBefore
	var requests int
	var p50, p99, rps string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "50%":
			p50 = f[1]
		case len(f) >= 2 && f[0] == "99%":
			p99 = f[1]
		case len(f) >= 2 && f[0] == "Requests/sec:":
			rps = f[1]
		case len(f) >= 2 && f[1] == "requests":
			requests, _ = strconv.Atoi(f[0])
		}
	}
	if requests == 0 {
		return fmt.Errorf("could not read wrk's output:\n%s", out)
	}
	fmt.Printf("GetParameter WithDecryption, signed by an IAM user, authorized, audited; wrk -t2 -c%d, %v\n", conc, d)
	fmt.Printf("requests: %d  req/s: %s  p50: %s  p99: %s  wharf CPU per request: %.1f µs\n",
		requests, rps, p50, p99, float64(cpu.Microseconds())/float64(requests))
	return nil
}

func waitHealthy(endpoint string) error {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(endpoint + "/_wharf/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
	}
	return fmt.Errorf("%s not healthy", endpoint)
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// cpuOf returns the user+system CPU time of a process.
func cpuOf(pid int) time.Duration {
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
