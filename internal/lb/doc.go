// Package lb is Wharf's Application Load Balancer data plane. A Proxy serves the
// listeners of an elbv2.Snapshot: it binds each listener's port, matches requests
// against the listener's rules with ALB's condition semantics, and answers with a
// fixed response, a redirect, or by forwarding to a target of a (weighted) target
// group, with ALB's stickiness cookies, load balancing algorithms, slow start, active
// health checks (failing open when no target is healthy), connection draining and
// CloudWatch counters.
//
// Requests go through a purpose-built HTTP/1.1 path: heads are parsed from pooled
// buffered readers into per-connection buffers, rule matching allocates nothing,
// connections to targets are kept alive and pooled per target, bodies stream in both
// directions (chunked encoding is re-framed as needed), and Upgrade requests
// (WebSocket) become a two-way tunnel.
//
// Ports: every listener binds Options.BindAddress (default 127.0.0.1) on its port.
// A user who cannot bind ports below 1024 sets Options.PortOffset, say 8000: a
// listener on port 80 then binds 8080 (Proxy.Addr tells), while X-Forwarded-Port and
// redirects still say 80. Ports from 1024 up are bound as configured.
//
// Differences from ALB: HTTP/1.1 only (no HTTP/2 or gRPC to clients or targets);
// RequestCountPerTarget is derived by the publisher (see Metric); the Host header is
// always forwarded as the client sent it.
package lb
