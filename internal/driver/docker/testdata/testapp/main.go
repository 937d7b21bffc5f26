// Command testapp is the program inside the Docker driver's test image.
//
//	testapp serve        serve HTTP on $PORT (default 8080); SIGTERM exits 0
//	testapp exit N       print a line to stdout and one to stderr, then exit N
//	testapp health       GET http://127.0.0.1:$PORT/ and exit 0 on 200, else 1
//	testapp ignore-term  ignore SIGTERM and serve HTTP
//	testapp lines N      print "out I" to stdout and "err I" to stderr for I in 1..N,
//	                     then a line of 40000 "x", then "tail" without a newline
//	testapp burn         print "burning" and use a CPU until killed
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	mode := "serve"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "serve":
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM)
		go func() {
			<-stop
			fmt.Println("SIGTERM: exiting")
			os.Exit(0)
		}()
		serve()
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		serve()
	case "exit":
		code := 0
		if len(os.Args) > 2 {
			n, err := strconv.Atoi(os.Args[2])
			if err != nil {
				fmt.Fprintln(os.Stderr, "bad exit code:", err)
				os.Exit(2)
			}
			code = n
		}
		fmt.Printf("stdout: exiting with %d\n", code)
		fmt.Fprintf(os.Stderr, "stderr: exiting with %d\n", code)
		os.Exit(code)
	case "lines":
		n := 0
		if len(os.Args) > 2 {
			n, _ = strconv.Atoi(os.Args[2])
		}
		out, errw := bufio.NewWriter(os.Stdout), bufio.NewWriter(os.Stderr)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(out, "out %d\n", i)
			fmt.Fprintf(errw, "err %d\n", i)
		}
		out.WriteString(strings.Repeat("x", 40000) + "\n")
		out.WriteString("tail")
		out.Flush()
		errw.Flush()
	case "burn":
		fmt.Println("burning")
		x := 0
		for {
			x++
		}
	case "health":
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get("http://127.0.0.1:" + port() + "/")
		if err != nil || resp.StatusCode != http.StatusOK {
			os.Exit(1)
		}
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		os.Exit(2)
	}
}

func port() string {
	if p := os.Getenv("PORT"); p != "" {
		return p
	}
	return "8080"
}

// serve answers every request with the hostname and the environment as JSON.
func serve() {
	addr := ":" + port()
	fmt.Println("listening on", addr)
	err := http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _ := os.Hostname()
		env := os.Environ()
		sort.Strings(env)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"hostname": host, "env": env})
	}))
	fmt.Fprintln(os.Stderr, "serve:", err)
	os.Exit(1)
}
