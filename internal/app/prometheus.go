package app

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// apiCalls counts the API calls the gateway served, by service, operation and outcome,
// for GET /metrics.
type apiCalls struct {
	mu      sync.Mutex
	counts  map[callKey]uint64
	seconds map[callKey]float64
}

type callKey struct{ service, operation, code string }

func newAPICalls() *apiCalls {
	return &apiCalls{counts: map[callKey]uint64{}, seconds: map[callKey]float64{}}
}

// observe counts a call; it is the gateway's audit hook, beside CloudTrail.
func (c *apiCalls) observe(call awsapi.Call) {
	code := "OK"
	if call.Err != nil {
		code = call.Err.Code
	}
	k := callKey{call.Service, call.Operation, code}
	c.mu.Lock()
	c.counts[k]++
	c.seconds[k] += float64(call.DurationNanos) / 1e9
	c.mu.Unlock()
}

// metricsHandler serves GET /metrics: Wharf's own metrics (API calls, Go runtime),
// then every CloudWatch metric, in the Prometheus text exposition format 0.0.4.
// Like Prometheus exporters, it needs no signature.
func (a *App) metricsHandler(cw interface{ WritePrometheus(w io.Writer) error }, calls *apiCalls, log *slog.Logger) http.Handler {
	start := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		b := bufio.NewWriter(w)
		calls.mu.Lock()
		keys := slices.SortedFunc(maps.Keys(calls.counts), func(x, y callKey) int {
			return cmp.Or(cmp.Compare(x.service, y.service), cmp.Compare(x.operation, y.operation), cmp.Compare(x.code, y.code))
		})
		fmt.Fprintln(b, "# HELP wharf_api_requests_total API calls served, by service, operation and error code (OK on success).")
		fmt.Fprintln(b, "# TYPE wharf_api_requests_total counter")
		for _, k := range keys {
			fmt.Fprintf(b, "wharf_api_requests_total{service=%q,operation=%q,code=%q} %d\n", k.service, k.operation, k.code, calls.counts[k])
		}
		fmt.Fprintln(b, "# HELP wharf_api_request_seconds_total Time spent serving API calls.")
		fmt.Fprintln(b, "# TYPE wharf_api_request_seconds_total counter")
		for _, k := range keys {
			fmt.Fprintf(b, "wharf_api_request_seconds_total{service=%q,operation=%q,code=%q} %s\n", k.service, k.operation, k.code,
				strconv.FormatFloat(calls.seconds[k], 'g', -1, 64))
		}
		calls.mu.Unlock()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(b, "# HELP wharf_build_info Wharf's version.\n# TYPE wharf_build_info gauge\nwharf_build_info{version=%q} 1\n", a.cfg.Version)
		fmt.Fprintf(b, "# HELP wharf_uptime_seconds Time since Wharf started.\n# TYPE wharf_uptime_seconds gauge\nwharf_uptime_seconds %s\n",
			strconv.FormatFloat(time.Since(start).Seconds(), 'f', 3, 64))
		fmt.Fprintf(b, "# HELP go_goroutines Goroutines that exist.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
		fmt.Fprintf(b, "# HELP go_memstats_heap_alloc_bytes Heap bytes allocated and in use.\n# TYPE go_memstats_heap_alloc_bytes gauge\ngo_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
		if err := cw.WritePrometheus(b); err != nil {
			log.Error("writing CloudWatch metrics for /metrics", "err", err)
		}
		if err := b.Flush(); err != nil {
			log.Debug("writing /metrics", "err", err)
		}
	})
}
