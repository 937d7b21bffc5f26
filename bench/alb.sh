#!/usr/bin/env bash
# Benchmarks Wharf's application load balancer against nginx, HAProxy and Caddy (all
# from Debian) in front of the same upstream, with wrk on loopback. Installs what is
# missing, builds wharf and the upstream, and prints a table per rule count; results
# are also written to bench/results/. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for cmd in nginx haproxy caddy wrk; do command -v "$cmd" >/dev/null || need+=("$cmd"); done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Debian starts the packaged services; the benchmark runs its own.
for svc in nginx haproxy caddy; do systemctl stop "$svc" 2>/dev/null || service "$svc" stop 2>/dev/null || true; done
mkdir -p bin bench/results
go build -o bin/wharf ./cmd/wharf
go build -o bin/upstream ./bench/upstream
go build -o bin/albbench ./bench/albbench
out="bench/results/alb-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "# $(date -u) $(nproc) cores; nginx $(nginx -v 2>&1 | cut -d/ -f2), $(haproxy -v | head -1 | cut -d' ' -f3), caddy $(caddy version | cut -d' ' -f1)"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  bin/albbench -wharf bin/wharf -upstream bin/upstream "$@"
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
