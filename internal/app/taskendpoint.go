package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"time"
)

// ecsLinkLocal is the address ECS serves task credentials and metadata on. The AWS
// SDKs accept it (with loopback and EKS's addresses) as the host of a plain-http
// AWS_CONTAINER_CREDENTIALS_FULL_URI.
const ecsLinkLocal = "169.254.170.2"

// serveContainerTaskEndpoint gives Docker containers in bridge mode a route to the task
// credentials and metadata endpoints that the AWS SDKs accept. A container's loopback
// is its own, and the SDKs refuse http credentials endpoints on other hosts, except
// ECS's link-local address: so, as the ECS agent does, Wharf makes 169.254.170.2 an
// address of the host (on lo; containers reach it through their default route, the
// bridge) and serves the task endpoints, and only them, there on a port of its own. It
// returns the base URL, or "" (containers then get no task role credentials, and a
// warning says why) when the address cannot be added or bound.
func (a *App) serveContainerTaskEndpoint(ctx context.Context, h http.Handler) string {
	if a.docker == nil {
		return ""
	}
	if err := ensureLocalAddress(ctx, ecsLinkLocal); err != nil {
		a.log.Warn("Docker tasks get no task role credentials: cannot serve the ECS credentials address", "addr", ecsLinkLocal, "err", err)
		return ""
	}
	l, err := net.Listen("tcp", net.JoinHostPort(ecsLinkLocal, "0"))
	if err != nil {
		a.log.Warn("Docker tasks get no task role credentials: cannot listen on the ECS credentials address", "addr", ecsLinkLocal, "err", err)
		return ""
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	a.taskServer = srv
	a.goRun("task-endpoint", func() error {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	a.log.Info("task credentials and metadata for Docker containers", "url", "http://"+l.Addr().String())
	return "http://" + l.Addr().String()
}

// ensureLocalAddress makes ip an address of this host, adding it to the loopback
// interface when it is not one yet (which needs CAP_NET_ADMIN).
func ensureLocalAddress(ctx context.Context, ip string) error {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return fmt.Errorf("list the host's addresses: %w", err)
	}
	for _, addr := range addrs {
		if n, ok := addr.(*net.IPNet); ok && n.IP.String() == ip {
			return nil
		}
	}
	out, err := exec.CommandContext(ctx, "ip", "addr", "add", ip+"/32", "dev", "lo").CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip addr add %s/32 dev lo: %w: %s (run Wharf as root, or add the address yourself)", ip, err, out)
	}
	return nil
}
