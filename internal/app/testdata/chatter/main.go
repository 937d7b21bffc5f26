// Command chatter is a test task for the observability tests. It prints, once each,
// lines of the three kinds CloudWatch Logs filter patterns read (plain text, JSON,
// space-delimited), then ROUNDS (default 1) times more ERROR lines, one every
// INTERVAL (default 0); with BURN=1 it then spins a CPU until it is stopped, and with
// STAY=1 it waits to be stopped. A task that stays exits by itself once the Wharf
// that started it (AWS_ENDPOINT_URL) has stopped answering for 3 seconds, so that a
// test's tasks do not outlive it.
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	fmt.Println("starting chatter")
	fmt.Println(`{"level":"error","latency":250,"msg":"slow upstream"}`)
	fmt.Println(`{"level":"info","latency":20,"msg":"ok"}`)
	fmt.Println(`127.0.0.1 alice GET /items 500 1234`)
	fmt.Println(`127.0.0.1 bob GET /items 200 99`)
	fmt.Fprintln(os.Stderr, "warning on stderr")
	rounds, _ := strconv.Atoi(os.Getenv("ROUNDS"))
	if rounds == 0 {
		rounds = 1
	}
	interval, _ := time.ParseDuration(os.Getenv("INTERVAL"))
	for i := 0; i < rounds; i++ {
		fmt.Printf("ERROR request %d failed\n", i)
		time.Sleep(interval)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go watchdog(stop)
	if os.Getenv("BURN") == "1" {
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			for i := 0; i < 1_000_000; i++ {
				n ^= i
			}
		}
	}
	if os.Getenv("STAY") == "1" {
		<-stop
	}
}

// watchdog sends on stop once Wharf's health endpoint has failed 3 times in a row.
func watchdog(stop chan<- os.Signal) {
	url := os.Getenv("AWS_ENDPOINT_URL") + "/_wharf/health"
	client := http.Client{Timeout: time.Second}
	for failures := 0; failures < 3; time.Sleep(time.Second) {
		resp, err := client.Get(url)
		if err != nil {
			failures++
			continue
		}
		resp.Body.Close()
		failures = 0
	}
	stop <- syscall.SIGTERM
}
