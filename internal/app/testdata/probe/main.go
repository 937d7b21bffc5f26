// Command probe is a test task: it asks the Wharf endpoint named by AWS_ENDPOINT_URL
// for its health and exits 0 when it answers 200, 1 otherwise.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	url := os.Getenv("AWS_ENDPOINT_URL") + "/_wharf/health"
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Println("probe:", err)
		os.Exit(1)
	}
	resp.Body.Close()
	fmt.Println("probe:", url, resp.Status)
	if resp.StatusCode != http.StatusOK {
		os.Exit(1)
	}
}
