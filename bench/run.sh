#!/usr/bin/env bash
# Builds wharf and the example API, then measures startup, idle memory and the time to
# bring up a service of 50 tasks. Figures go to stdout and bench/results/; see
# docs/benchmarks.md for how to read them.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin bench/results
go build -o bin/wharf ./cmd/wharf
CGO_ENABLED=0 go build -o examples/bin/productapi ./examples/productapi
go build -o bin/wharfbench ./bench/wharfbench
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "# $(date -u) $(nproc) cores, $(go version)"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  bin/wharfbench -bin bin/wharf -app examples/bin/productapi "$@"
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
