// Command productapi is a small 12-factor product catalogue JSON API.
//
// It is configured only through the environment:
//
//	PORT         required; the TCP port to listen on (all interfaces)
//	PRODUCTS     optional; path to a JSON file holding an array of products
//	APP_NAME     optional; the service name reported by GET / (default "productapi")
//	APP_VERSION  optional; the version reported by GET / (default "dev")
//
// Endpoints: GET /products, GET /products/{id}, GET /health and GET /.
// Every request is logged as one JSON line on stdout. SIGTERM or SIGINT
// shuts the server down gracefully (10 s deadline) and exits 0.
//
// Run as "productapi -healthcheck", it GETs http://127.0.0.1:$PORT/health
// with a 2 s timeout and exits 0 on a 200 answer, else 1, so that an image
// built FROM scratch (no shell, no curl) can serve an ECS health check.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const (
	serviceName     = "productapi"
	shutdownTimeout = 10 * time.Second
	healthTimeout   = 2 * time.Second
)

// Product is one catalogue entry.
type Product struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Price       float64 `json:"price"`
}

// defaultProducts is served when PRODUCTS is not set.
var defaultProducts = []Product{
	{ID: "1", Name: "Anchor", Description: "A sturdy cast-iron anchor.", Price: 129.00},
	{ID: "2", Name: "Bollard", Description: "A mooring bollard for small boats.", Price: 89.50},
	{ID: "3", Name: "Crane hook", Description: "A forged steel crane hook.", Price: 42.25},
	{ID: "4", Name: "Dock line", Description: "Ten metres of braided nylon rope.", Price: 24.99},
	{ID: "5", Name: "Fender", Description: "An inflatable boat fender.", Price: 19.75},
}

// config is the service configuration read from the environment.
type config struct {
	Port         int
	ProductsFile string
	AppName      string
	Version      string
}

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the whole program; it returns the process exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(serviceName, flag.ContinueOnError)
	fs.SetOutput(stderr)
	healthcheck := fs.Bool("healthcheck", false, "GET http://127.0.0.1:$PORT/health and exit 0 if it answers 200, else 1")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments: %v\n", serviceName, fs.Args())
		return 2
	}

	if *healthcheck {
		if err := checkHealth(getenv("PORT"), healthTimeout); err != nil {
			fmt.Fprintf(stderr, "%s: healthcheck: %v\n", serviceName, err)
			return 1
		}
		return 0
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", serviceName, err)
		return 1
	}
	products := defaultProducts
	if cfg.ProductsFile != "" {
		products, err = loadProducts(cfg.ProductsFile)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", serviceName, err)
			return 1
		}
	}

	logger := slog.New(slog.NewJSONHandler(stdout, nil)).With("service", cfg.AppName)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	addr := ":" + strconv.Itoa(cfg.Port)
	if err := serve(ctx, addr, newHandler(cfg, products, logger), logger); err != nil {
		logger.Error("server failed", "error", err.Error())
		return 1
	}
	logger.Info("stopped")
	return 0
}

// loadConfig reads the configuration from the environment through getenv.
func loadConfig(getenv func(string) string) (config, error) {
	port, err := parsePort(getenv("PORT"))
	if err != nil {
		return config{}, err
	}
	cfg := config{
		Port:         port,
		ProductsFile: getenv("PRODUCTS"),
		AppName:      getenv("APP_NAME"),
		Version:      getenv("APP_VERSION"),
	}
	if cfg.AppName == "" {
		cfg.AppName = serviceName
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	return cfg, nil
}

// parsePort validates the value of PORT.
func parsePort(s string) (int, error) {
	if s == "" {
		return 0, errors.New("PORT is not set: set PORT to the TCP port to listen on, e.g. PORT=8080")
	}
	port, err := strconv.Atoi(s)
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("PORT=%q is not a valid TCP port: want an integer from 1 to 65535", s)
	}
	return port, nil
}

// loadProducts reads a JSON array of products from path and validates it.
func loadProducts(path string) ([]Product, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read PRODUCTS file: %w", err)
	}
	var products []Product
	if err := json.Unmarshal(data, &products); err != nil {
		return nil, fmt.Errorf("parse PRODUCTS file %s: want a JSON array of products: %w", path, err)
	}
	seen := make(map[string]bool, len(products))
	for i, p := range products {
		if p.ID == "" {
			return nil, fmt.Errorf("PRODUCTS file %s: product %d has no id", path, i)
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("PRODUCTS file %s: duplicate product id %q", path, p.ID)
		}
		seen[p.ID] = true
	}
	return products, nil
}

// newHandler returns the service's routes wrapped in request logging.
func newHandler(cfg config, products []Product, logger *slog.Logger) http.Handler {
	hostname, err := os.Hostname()
	if err != nil {
		hostname = "unknown"
	}
	byID := make(map[string]Product, len(products))
	for _, p := range products {
		byID[p.ID] = p
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"service":  cfg.AppName,
			"hostname": hostname,
			"pid":      os.Getpid(),
			"version":  cfg.Version,
		})
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, products)
	})
	mux.HandleFunc("GET /products/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		p, ok := byID[id]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("product %q not found", id)})
			return
		}
		writeJSON(w, http.StatusOK, p)
	})
	return logRequests(logger, mux)
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records code and passes it on.
func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// logRequests logs one line per request: method, path, status and duration.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.Info("request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
		)
	})
}

// serve listens on addr and serves h until ctx is done, then shuts down
// gracefully, waiting at most shutdownTimeout for requests in flight.
func serve(ctx context.Context, addr string, h http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("graceful shutdown incomplete; closing connections", "error", err.Error())
		srv.Close()
	}
	return nil
}

// checkHealth GETs http://127.0.0.1:<port>/health and fails unless it answers 200.
func checkHealth(portValue string, timeout time.Duration) error {
	port, err := parsePort(portValue)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: timeout}
	target := "http://127.0.0.1:" + strconv.Itoa(port) + "/health"
	resp, err := client.Get(target)
	if err != nil {
		// err already names the method and URL.
		return fmt.Errorf("request failed: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d, want 200", target, resp.StatusCode)
	}
	return nil
}
