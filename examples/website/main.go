// Command website is a small 12-factor web site that shows the product
// catalogue served by the productapi example, fetched over HTTP.
//
// It is configured only through the environment:
//
//	PORT             required; the TCP port to listen on (all interfaces)
//	PRODUCT_API_URL  required; base URL of the product API, e.g. http://127.0.0.1:8081
//	APP_NAME         optional; the name shown on the page (default "website")
//	APP_VERSION      optional; the version shown on the page (default "dev")
//
// Endpoints: GET / (an HTML list of products, or a 502 page when the API
// cannot be reached) and GET /health. Every request is logged as one JSON
// line on stdout. SIGTERM or SIGINT shuts the server down gracefully
// (10 s deadline) and exits 0.
//
// Run as "website -healthcheck", it GETs http://127.0.0.1:$PORT/health
// with a 2 s timeout and exits 0 on a 200 answer, else 1, so that an image
// built FROM scratch (no shell, no curl) can serve an ECS health check.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	serviceName     = "website"
	shutdownTimeout = 10 * time.Second
	healthTimeout   = 2 * time.Second
	apiTimeout      = 5 * time.Second
	maxAPIBody      = 1 << 20
)

// Product is one catalogue entry as the product API returns it.
type Product struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Price       float64 `json:"price"`
}

// config is the service configuration read from the environment.
type config struct {
	Port          int
	ProductAPIURL string
	AppName       string
	Version       string
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

	logger := slog.New(slog.NewJSONHandler(stdout, nil)).With("service", cfg.AppName)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	client := &http.Client{Timeout: apiTimeout}
	addr := ":" + strconv.Itoa(cfg.Port)
	if err := serve(ctx, addr, newHandler(cfg, client, logger), logger); err != nil {
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
	apiURL, err := parseAPIURL(getenv("PRODUCT_API_URL"))
	if err != nil {
		return config{}, err
	}
	cfg := config{
		Port:          port,
		ProductAPIURL: apiURL,
		AppName:       getenv("APP_NAME"),
		Version:       getenv("APP_VERSION"),
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

// parseAPIURL validates PRODUCT_API_URL and returns it without a trailing slash.
func parseAPIURL(s string) (string, error) {
	if s == "" {
		return "", errors.New("PRODUCT_API_URL is not set: set it to the product API's base URL, e.g. PRODUCT_API_URL=http://127.0.0.1:8081")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("PRODUCT_API_URL=%q is not a valid URL: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("PRODUCT_API_URL=%q must be an absolute http or https URL, e.g. http://127.0.0.1:8081", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// pageData is what the HTML templates render.
type pageData struct {
	AppName  string
	Hostname string
	Version  string
	APIURL   string
	Products []Product
	Error    string
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.AppName}}: products</title></head>
<body>
<h1>Products</h1>
{{- if .Error}}
<p class="error">The product API at {{.APIURL}} is unavailable: {{.Error}}</p>
{{- else if not .Products}}
<p>No products.</p>
{{- else}}
<ul class="products">
{{- range .Products}}
<li id="product-{{.ID}}"><strong>{{.Name}}</strong>: {{.Description}} ({{printf "%.2f" .Price}})</li>
{{- end}}
</ul>
{{- end}}
<footer>{{.AppName}} {{.Version}} on {{.Hostname}}</footer>
</body>
</html>
`))

// newHandler returns the service's routes wrapped in request logging.
func newHandler(cfg config, client *http.Client, logger *slog.Logger) http.Handler {
	hostname, err := os.Hostname()
	if err != nil {
		hostname = "unknown"
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		data := pageData{AppName: cfg.AppName, Hostname: hostname, Version: cfg.Version, APIURL: cfg.ProductAPIURL}
		status := http.StatusOK
		products, err := fetchProducts(r.Context(), client, cfg.ProductAPIURL)
		if err != nil {
			logger.Warn("product API unavailable", "error", err.Error())
			data.Error = err.Error()
			status = http.StatusBadGateway
		}
		data.Products = products
		writeHTML(w, status, data)
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	return logRequests(logger, mux)
}

// fetchProducts GETs <apiURL>/products and decodes the JSON list.
func fetchProducts(ctx context.Context, client *http.Client, apiURL string) ([]Product, error) {
	endpoint := apiURL + "/products"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", endpoint, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// err already names the method and URL.
		return nil, fmt.Errorf("request product list: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d, want 200", endpoint, resp.StatusCode)
	}
	var products []Product
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAPIBody)).Decode(&products); err != nil {
		return nil, fmt.Errorf("GET %s: decode product list: %w", endpoint, err)
	}
	return products, nil
}

// writeHTML renders the page into a buffer first, so a template error
// becomes a clean 500 instead of a half-written page.
func writeHTML(w http.ResponseWriter, status int, data pageData) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		http.Error(w, "internal error: render page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
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
