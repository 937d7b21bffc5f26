// Command upstream is the benchmark's backend: an HTTP/1.1 server on 127.0.0.1:$PORT
// that answers every request with the same 13-byte body, as the reference figures in
// docs/benchmarks.md assume.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		log.Fatal("upstream: PORT is not set")
	}
	body := []byte("Hello, wharf\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, h))
}
