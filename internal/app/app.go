// Package app wires Wharf together: it builds every service from the configuration,
// serves them on one listener and runs the reconcilers and the local node's agent.
// Only cmd/wharf imports it.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/agent"
	"github.com/wharf-dev/wharf/internal/autoscaling"
	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/cloudformation"
	"github.com/wharf-dev/wharf/internal/cloudtrail"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/driver/docker"
	"github.com/wharf-dev/wharf/internal/driver/process"
	"github.com/wharf-dev/wharf/internal/ecs"
	"github.com/wharf-dev/wharf/internal/elbv2"
	"github.com/wharf-dev/wharf/internal/gateway"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/iam/policy"
	"github.com/wharf-dev/wharf/internal/kms"
	"github.com/wharf-dev/wharf/internal/lb"
	"github.com/wharf-dev/wharf/internal/logs"
	"github.com/wharf-dev/wharf/internal/platformmetrics"
	"github.com/wharf-dev/wharf/internal/ssm"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/sts"
	"github.com/wharf-dev/wharf/internal/taskmeta"
)

// AccountID is the one account Wharf serves.
const AccountID = "000000000000"

// Config is what `wharf up` is told.
type Config struct {
	Listen    string  // host:port of the API endpoint
	DataDir   string  // where all state lives
	Driver    string  // auto, docker or process
	Region    string  // the region Wharf answers as
	TimeScale float64 // >1 makes periods and backoffs pass faster
	// LBBindAddress is the address load balancer listeners bind (default 127.0.0.1);
	// LBPortOffset moves listeners on ports below 1024 up by that much, for users who
	// cannot bind privileged ports.
	LBBindAddress string
	LBPortOffset  int
	Version       string
	Logger        *slog.Logger
}

// App is a running Wharf.
type App struct {
	cfg       Config
	log       *slog.Logger
	listener  net.Listener
	server    *http.Server
	db        *store.DB
	creds     Credentials
	agent     *agent.Agent
	closers   []func() error
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	errc      chan error
	dockerUp  string
	// docker is the Docker driver when an engine is in use; bridgeListener serves the
	// API on the host's Docker bridge address for bridge-mode containers.
	services       []*awsapi.Service
	docker         *docker.Driver
	bridgeListener net.Listener
	// taskServer serves the task endpoints to Docker containers on ECS's link-local
	// address, when it could be set up.
	taskServer *http.Server
	// stacks is CloudFormation, for DeployStack.
	stacks *cloudformation.Service
}

// Start opens the state, binds the endpoint and starts every component. The app runs
// until ctx ends or Close is called; Wait returns when it has stopped.
func Start(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.TimeScale < 1 {
		cfg.TimeScale = 1
	}
	switch cfg.Driver {
	case "", "auto", "docker", "process":
	default:
		return nil, fmt.Errorf("--driver %q: must be auto, docker or process", cfg.Driver)
	}
	a := &App{cfg: cfg, log: cfg.Logger, errc: make(chan error, 4)}
	ok := false
	defer func() {
		if !ok {
			a.closeAll()
		}
	}()

	var err error
	if a.creds, err = LoadCredentials(cfg.DataDir); err != nil {
		return nil, err
	}
	if a.db, err = store.Open(filepath.Join(cfg.DataDir, "wharf.db")); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.db.Close)
	keys := iam.NewKeys(a.db)
	if err := keys.EnsureRoot(AccountID, a.creds.AccessKeyID, a.creds.SecretAccessKey); err != nil {
		return nil, fmt.Errorf("record root credentials: %w", err)
	}
	node, err := nodeID(cfg.DataDir)
	if err != nil {
		return nil, err
	}

	if a.listener, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another wharf running? choose another address with --listen)", cfg.Listen, err)
	}
	a.closers = append(a.closers, func() error { return ignoreClosed(a.listener.Close()) })

	drivers, err := a.drivers(ctx, filepath.Join(cfg.DataDir, "process"))
	if err != nil {
		return nil, err
	}

	proxy := lb.New(lb.Options{
		BindAddress: cfg.LBBindAddress, PortOffset: cfg.LBPortOffset,
		Logger: cfg.Logger.With("component", "lb"),
	})
	a.closers = append(a.closers, proxy.Close)
	elbSvc, err := elbv2.New(a.db, elbv2.Config{
		Region: cfg.Region, AccountID: AccountID, DataPlane: proxy,
		Logger: cfg.Logger.With("component", "elbv2"),
	})
	if err != nil {
		return nil, err
	}
	ecsAlarms := &deploymentAlarms{}
	ecsSvc, err := ecs.New(a.db, ecs.Config{
		Region: cfg.Region, AccountID: AccountID, TimeScale: cfg.TimeScale, LoadBalancers: elbSvc, Alarms: ecsAlarms,
		Logger: cfg.Logger.With("component", "ecs"),
	})
	if err != nil {
		return nil, err
	}
	iamSvc, err := iam.NewService(a.db, keys, iam.Config{
		Region: cfg.Region, AccountID: AccountID, ValidatePolicy: validatePolicy,
		Logger: cfg.Logger.With("component", "iam"),
	})
	if err != nil {
		return nil, err
	}
	authz := &authorizer{policies: iamSvc, now: time.Now}
	stsSvc, err := sts.New(sts.Config{
		Region: cfg.Region, AccountID: AccountID, Keys: keys, Roles: iamSvc, Authorize: authz.trust,
		ValidatePolicy: func(doc []byte) error { return validatePolicy(doc, false) },
		Logger:         cfg.Logger.With("component", "sts"),
	})
	if err != nil {
		return nil, err
	}
	masterKey, err := kms.LoadMasterKey(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	kmsSvc, err := kms.New(a.db, kms.Config{
		Region: cfg.Region, AccountID: AccountID, MasterKey: masterKey,
		Logger: cfg.Logger.With("component", "kms"),
	})
	if err != nil {
		return nil, err
	}
	authz.keys = kmsSvc
	authz.grants = kmsSvc
	ssmSvc, err := ssm.New(a.db, ssm.Config{
		Region: cfg.Region, AccountID: AccountID, Keys: authorizedKeys{kms: kmsSvc, authz: authz, region: cfg.Region},
		Logger: cfg.Logger.With("component", "ssm"),
	})
	if err != nil {
		return nil, err
	}
	trail, err := cloudtrail.New(a.db, cloudtrail.Config{
		Region: cfg.Region, AccountID: AccountID, Dir: filepath.Join(cfg.DataDir, "cloudtrail"),
		Logger: cfg.Logger.With("component", "cloudtrail"),
	})
	if err != nil {
		return nil, err
	}
	dispatcher := &lateDispatcher{}
	cw, err := cloudwatch.New(a.db, cloudwatch.Config{
		Region: cfg.Region, AccountID: AccountID, Dir: filepath.Join(cfg.DataDir, "cloudwatch"), TimeScale: cfg.TimeScale,
		Dispatcher: dispatcher, Logger: cfg.Logger.With("component", "cloudwatch"),
	})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, cw.Close)
	ecsAlarms.set(cw)
	scaling, err := autoscaling.New(a.db, autoscaling.Config{
		Region: cfg.Region, AccountID: AccountID, Alarms: cw, Scaler: ecsScaler{ecs: ecsSvc}, TimeScale: cfg.TimeScale,
		Logger: cfg.Logger.With("component", "autoscaling"),
	})
	if err != nil {
		return nil, err
	}
	dispatcher.set(scaling)
	var gwRef *gateway.Gateway
	stacks, err := cloudformation.New(a.db, cloudformation.Config{
		Region: cfg.Region, AccountID: AccountID, Invoker: stackInvoker{gw: &gwRef},
		SSM:       func(name string) (string, error) { return ssmSvc.ResolveParameter(context.Background(), name) },
		SSMSecure: func(name string) (string, error) { return ssmSvc.ResolveParameter(context.Background(), name) },
		Logger:    cfg.Logger.With("component", "cloudformation"),
	})
	if err != nil {
		return nil, err
	}
	a.stacks = stacks
	a.closers = append(a.closers, func() error { stacks.Close(); return nil })
	logsSvc, err := logs.New(a.db, logs.Config{
		Region: cfg.Region, AccountID: AccountID, Dir: filepath.Join(cfg.DataDir, "logs"), Metrics: metricSink{cw: cw},
		Logger: cfg.Logger.With("component", "logs"),
	})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, logsSvc.Close)
	a.services = []*awsapi.Service{ecsSvc.API(), elbSvc.API(), iamSvc.API(), stsSvc.API(), kmsSvc.API(), ssmSvc.API(), trail.API(), cw.API(), logsSvc.API(), scaling.API(), stacks.API()}
	calls := newAPICalls()
	gw, err := gateway.New(gateway.Config{
		Services: a.services,
		Auth:     newAuthenticator(keys),
		Authz:    authz,
		Audit:    func(c awsapi.Call) { calls.observe(c); trail.Record(c) },
		Region:   cfg.Region,
		Logger:   cfg.Logger.With("component", "gateway"),
	})
	if err != nil {
		return nil, err
	}
	gwRef = gw
	tm := taskmeta.New(a.db, taskmeta.Config{
		Credentials: roleCredentials(stsSvc), Tasks: taskInfo(ecsSvc),
		Logger: cfg.Logger.With("component", "taskmeta"),
	})
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	containerTasks := a.serveContainerTaskEndpoint(ctx, tm.Handler())
	a.agent = agent.New(agent.Config{
		NodeID: node, Control: ecsSvc, Drivers: drivers, Endpoint: a.Endpoint(),
		Secrets:  secretResolver{ssm: ssmSvc, authz: authz, region: cfg.Region, account: AccountID},
		Identity: tm, MetadataEndpoint: a.Endpoint(),
		DockerEndpoint: a.dockerEndpoint(ctx), ContainerTaskEndpoint: containerTasks,
		Logs:     logSink{logs: logsSvc, log: cfg.Logger.With("component", "awslogs")},
		StateDir: filepath.Join(cfg.DataDir, "agent"),
		Region:   cfg.Region, Version: cfg.Version, Logger: cfg.Logger,
	})
	publisher := platformmetrics.New(platformmetrics.Config{
		Sink: cw, LoadBalancers: proxy, Tasks: a.agent, Services: ecsSvc, Logger: cfg.Logger.With("component", "metrics"),
	})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /_wharf/health", a.health)
	mux.Handle("GET /metrics", a.metricsHandler(cw, calls, cfg.Logger))
	mux.Handle(taskmeta.PathPrefix, tm.Handler()) // authenticated by the task's token
	mux.Handle("/", gw)
	a.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)}

	a.goRun("ecs", func() error { return ecsSvc.Run(runCtx) })
	a.goRun("elbv2", func() error { return elbSvc.Run(runCtx) })
	a.goRun("kms", func() error { return kmsSvc.Run(runCtx) })
	a.goRun("cloudtrail", func() error { return trail.Run(runCtx) })
	a.goRun("cloudwatch", func() error { return cw.Run(runCtx) })
	a.goRun("logs", func() error { return logsSvc.Run(runCtx) })
	a.goRun("autoscaling", func() error { return scaling.Run(runCtx) })
	a.goRun("cloudformation", func() error { return stacks.Run(runCtx) })
	a.goRun("metrics", func() error { return publisher.Run(runCtx) })
	a.goRun("agent", func() error { return a.agent.Run(runCtx) })
	a.goRun("taskmeta", func() error { return tm.Run(runCtx, 5*time.Minute) })
	for _, l := range []net.Listener{a.listener, a.bridgeListener} {
		if l == nil {
			continue
		}
		a.goRun("http", func() error {
			if err := a.server.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-runCtx.Done():
		}
		sctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = a.server.Shutdown(sctx)
		if a.taskServer != nil {
			_ = a.taskServer.Shutdown(sctx)
		}
		cancel()
	}()
	ok = true
	return a, nil
}

// drivers opens the runtimes the configuration asks for.
func (a *App) drivers(ctx context.Context, stateDir string) (agent.Drivers, error) {
	proc, err := process.New(stateDir, a.log.With("component", "driver", "driver", "process"))
	if err != nil {
		return agent.Drivers{}, fmt.Errorf("process driver: %w", err)
	}
	a.closers = append(a.closers, proc.Close)
	d := agent.Drivers{Process: proc}
	if a.cfg.Driver == "process" {
		d.DockerMissing = errors.New("wharf runs with --driver process")
		a.dockerUp = "disabled (--driver process)"
		return d, nil
	}
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	dock, err := docker.New(pingCtx, a.log.With("component", "driver", "driver", "docker"))
	if err != nil {
		if a.cfg.Driver == "docker" {
			return agent.Drivers{}, fmt.Errorf("--driver docker: no Docker engine answers: %w; start dockerd or use --driver process", err)
		}
		d.DockerMissing = fmt.Errorf("no Docker engine answers (%v)", err)
		a.dockerUp = "unavailable: " + err.Error()
		a.log.Info("no Docker engine: tasks run only as host processes (image process:/path)", "err", err)
		return d, nil
	}
	a.closers = append(a.closers, dock.Close)
	d.Docker = dock
	a.docker = dock
	a.dockerUp = "ready"
	return d, nil
}

// dockerEndpoint makes the API reachable from bridge-mode containers and returns the
// URL they use. A container's 127.0.0.1 is its own, so when Wharf listens on loopback it
// also listens on the host's address on Docker's bridge (reachable from containers
// only); containers name it host.docker.internal. It returns "" (containers then get
// the main endpoint) when that is not possible.
func (a *App) dockerEndpoint(ctx context.Context) string {
	if a.docker == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(a.listener.Addr().String())
	if err != nil {
		return ""
	}
	url := "http://" + net.JoinHostPort(docker.HostAlias, port)
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return ""
	case ip.IsUnspecified():
		return url // already listening on every address, the bridge's included
	case !ip.IsLoopback():
		return "" // a specific address of the host: containers reach it as it is
	}
	gw, err := a.docker.HostGateway(ctx)
	if err != nil {
		a.log.Warn("Docker tasks cannot reach the API endpoint", "err", err)
		return ""
	}
	l, err := net.Listen("tcp", net.JoinHostPort(gw, port))
	if err != nil {
		a.log.Warn("Docker tasks cannot reach the API endpoint: listen on the Docker bridge", "addr", net.JoinHostPort(gw, port), "err", err)
		return ""
	}
	a.bridgeListener = l
	a.closers = append(a.closers, func() error { return ignoreClosed(l.Close()) })
	return url
}

func (a *App) goRun(name string, fn func() error) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := fn(); err != nil {
			a.log.Error("component failed", "component", name, "err", err)
			select {
			case a.errc <- fmt.Errorf("%s: %w", name, err):
			default:
			}
			a.cancel()
		}
	}()
}

// Endpoint is the URL clients use.
func (a *App) Endpoint() string { return "http://" + a.listener.Addr().String() }

// Services lists the AWS services the app serves, with their operations.
func (a *App) Services() []*awsapi.Service { return a.services }

// Credentials returns the root credentials.
func (a *App) Credentials() Credentials { return a.creds }

// Ready is closed once every component can serve.
func (a *App) Ready() <-chan struct{} { return a.agent.Ready() }

func (a *App) health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	status, code := "ready", http.StatusOK
	select {
	case <-a.Ready():
	default:
		status, code = "starting", http.StatusServiceUnavailable
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status":   status,
		"version":  a.cfg.Version,
		"region":   a.cfg.Region,
		"services": a.serviceNames(),
		"drivers":  map[string]string{"process": "ready", "docker": a.dockerUp},
	})
}

// Wait blocks until the app has stopped, closes the state and returns the first
// component failure.
func (a *App) Wait() error {
	a.wg.Wait()
	a.closeOnce.Do(a.closeAll)
	select {
	case err := <-a.errc:
		return err
	default:
		return nil
	}
}

// Close stops serving, lets in-flight requests finish (up to ctx), stops the
// reconcilers and the agent, and closes the state. Tasks keep running.
func (a *App) Close(ctx context.Context) error {
	err := a.server.Shutdown(ctx)
	if a.taskServer != nil {
		err = errors.Join(err, a.taskServer.Shutdown(ctx))
	}
	a.cancel()
	if werr := a.Wait(); werr != nil {
		return werr
	}
	return err
}

func (a *App) closeAll() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.log.Warn("closing", "err", err)
		}
	}
	a.closers = nil
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// validatePolicy checks a policy document with the IAM policy language's rules.
func validatePolicy(doc []byte, trust bool) error {
	kind := policy.Identity
	if trust {
		kind = policy.Trust
	}
	_, err := policy.Parse(doc, kind)
	return err
}

func (a *App) serviceNames() []string {
	names := make([]string, len(a.services))
	for i, s := range a.services {
		names[i] = s.SigningName
	}
	return names
}
