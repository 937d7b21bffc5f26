// Command wharf runs the Wharf platform: AWS's way of running 12-factor container apps
// (ECS and the services around it) in one self-hosted binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/cloudformation"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise it comes
// from the module's build info.
var version = ""

const usage = `wharf runs AWS's container platform (ECS and friends) on your machine, on one
endpoint that the aws CLI and the AWS SDKs talk to unchanged.

Usage:
  wharf up [flags]       run the platform in the foreground (Ctrl-C stops it; tasks keep running)
  wharf up -f stack.yaml [--parameter Key=Value]...
                         also deploy (or update) a CloudFormation stack, showing its
                         progress, then print its Outputs and keep running
  wharf env [flags]      print export lines that point the aws CLI and SDKs at wharf
  wharf version          print the version

Quick start:
  wharf up &
  eval "$(wharf env)"
  aws ecs create-cluster --cluster-name demo

Run 'wharf up -h' or 'wharf env -h' for the flags. Every flag can also be set in the
environment as WHARF_<FLAG> (WHARF_LISTEN, WHARF_DATA_DIR, ...).
`

func main() {
	// Wharf's live heap is small (megabytes) and its request paths allocate: collecting
	// at 5× the live heap instead of 2× costs a few megabytes and saves about a quarter
	// of the CPU of a signed, authorized, audited API call (bench/ssmbench). GOGC, when
	// set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "wharf:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given: try 'wharf up'")
	}
	switch args[0] {
	case "up":
		return up(args[1:], stderr)
	case "env":
		return env(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "wharf", buildVersion())
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// options are the flags shared by the commands.
type options struct {
	listen    string
	dataDir   string
	driver    string
	region    string
	logFormat string
	logLevel  string
	timeScale float64
	lbBind    string
	lbOffset  int
	// up -f: a CloudFormation template to deploy, its stack's name and parameters.
	stackFile  string
	stackName  string
	parameters keyValues
}

// keyValues is a repeatable Key=Value flag.
type keyValues map[string]string

func (kv *keyValues) String() string { return fmt.Sprint(map[string]string(*kv)) }

// Set adds one Key=Value.
func (kv *keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want Key=Value", s)
	}
	if *kv == nil {
		*kv = keyValues{}
	}
	(*kv)[k] = v
	return nil
}

func flags(name string, stderr io.Writer, o *options, withRuntime bool) *flag.FlagSet {
	fs := flag.NewFlagSet("wharf "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:4566", "`address` of the AWS API endpoint (every service on this one port)")
	fs.StringVar(&o.dataDir, "data-dir", defaultDataDir(), "`directory` that holds all state, the root credentials and task logs")
	fs.StringVar(&o.region, "region", "us-east-1", "AWS `region` Wharf answers as")
	if withRuntime {
		fs.StringVar(&o.driver, "driver", "auto", "task runtime: auto (Docker when an engine answers, else host processes only), docker, or process")
		fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
		fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
		fs.Float64Var(&o.timeScale, "time-scale", 1, "make periods, backoffs and bake times pass `N` times faster (1 = as AWS)")
		fs.StringVar(&o.lbBind, "lb-bind", "127.0.0.1", "`address` that load balancer listeners bind (0.0.0.0 to serve other machines)")
		fs.StringVar(&o.stackFile, "f", "", "CloudFormation template `file` (JSON or YAML) to deploy as a stack once Wharf is up; run again with a changed template to apply only the difference")
		fs.StringVar(&o.stackName, "stack-name", "", "`name` of the stack -f deploys (default: the template's file name without its extension)")
		fs.Var(&o.parameters, "parameter", "a stack parameter as `Key=Value` for -f (repeatable)")
		fs.IntVar(&o.lbOffset, "lb-port-offset", 0, "bind listeners on ports below 1024 at port+`N` instead (for users who cannot bind privileged ports; e.g. 8000 puts port 80 on 8080)")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: wharf %s [flags]\n\nFlags (each also settable as WHARF_<FLAG>, e.g. WHARF_DATA_DIR):\n", name)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, then fills every flag not given on the command line from
// WHARF_<FLAG> in the environment.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see 'wharf %s -h')", fs.Arg(0), strings.TrimPrefix(fs.Name(), "wharf "))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		key := "WHARF_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok && !set[f.Name] && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", key, v, e)
			}
		}
	})
	return err
}

func up(args []string, stderr io.Writer) error {
	var o options
	fs := flags("up", stderr, &o, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	if o.timeScale < 1 {
		return fmt.Errorf("--time-scale %v: must be at least 1", o.timeScale)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	a, err := app.Start(ctx, app.Config{
		Listen: o.listen, DataDir: o.dataDir, Driver: o.driver, Region: o.region,
		TimeScale: o.timeScale, Version: buildVersion(), Logger: logger,
		LBBindAddress: o.lbBind, LBPortOffset: o.lbOffset,
	})
	if err != nil {
		return err
	}
	select {
	case <-a.Ready():
		logger.Info("wharf is ready", "endpoint", a.Endpoint(), "data_dir", o.dataDir,
			"startup", time.Since(start).Round(time.Millisecond), "hint", "eval \"$(wharf env)\" to point the aws CLI here")
		if o.stackFile != "" {
			if err := deployStack(ctx, a, o, stderr); err != nil {
				logger.Error("stack deployment failed; Wharf keeps running (fix the template and run 'wharf up -f' again, or inspect it with aws cloudformation describe-stack-events)", "err", err)
			}
		}
	case <-ctx.Done():
	}
	<-ctx.Done()
	stop() // a second Ctrl-C kills at once
	logger.Info("shutting down; running tasks keep running and are adopted at the next start")
	return a.Wait()
}

// deployStack deploys -f's template as a stack, with a live view of its progress on
// w, then prints its Outputs.
func deployStack(ctx context.Context, a *app.App, o options, w io.Writer) error {
	name := o.stackName
	if name == "" {
		base := filepath.Base(o.stackFile)
		name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	p := newProgress(w)
	fmt.Fprintf(w, "deploying stack %s from %s\n", name, o.stackFile)
	outputs, err := a.DeployStack(ctx, name, o.stackFile, o.parameters, func(e cloudformation.StackEvent) {
		ev := stackEvent{LogicalID: deref(e.LogicalResourceId), Type: deref(e.ResourceType), Status: deref(e.ResourceStatus), Reason: deref(e.ResourceStatusReason)}
		if e.Timestamp != nil {
			ev.Time = *e.Timestamp
		}
		p.event(ev)
	})
	status := "complete"
	if err != nil {
		status = "failed"
	}
	p.summary(name, status, outputs)
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func env(args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flags("env", stderr, &o, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	creds, err := app.LoadCredentials(o.dataDir)
	if err != nil {
		return err
	}
	host := o.listen
	if strings.HasPrefix(host, ":") || strings.HasPrefix(host, "0.0.0.0:") {
		host = "127.0.0.1:" + host[strings.LastIndexByte(host, ':')+1:]
	}
	fmt.Fprintf(stdout, "export AWS_ENDPOINT_URL=%s\n", strconv.Quote("http://"+host))
	fmt.Fprintf(stdout, "export AWS_ACCESS_KEY_ID=%s\n", strconv.Quote(creds.AccessKeyID))
	fmt.Fprintf(stdout, "export AWS_SECRET_ACCESS_KEY=%s\n", strconv.Quote(creds.SecretAccessKey))
	fmt.Fprintf(stdout, "export AWS_REGION=%s\n", strconv.Quote(o.region))
	// The aws CLI v1 reads only AWS_DEFAULT_REGION.
	fmt.Fprintf(stdout, "export AWS_DEFAULT_REGION=%s\n", strconv.Quote(o.region))
	return nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: must be debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: must be text or json", format)
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "wharf")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "wharf")
	}
	return "wharf-data"
}

func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	if v == "" {
		v = "dev"
	}
	return v
}
