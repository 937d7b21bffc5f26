package lb

import (
	"net/http"
	"testing"
	"time"
)

// TestKeepAliveFollowsNewConfig: a request that arrives on a keep-alive connection
// idle since before a configuration change is served with the new configuration. (It
// used to be served with the one loaded when the connection began to wait, which sent
// it to a target group that had since been emptied: a 503 right after a blue/green
// deployment completed.)
func TestKeepAliveFollowsNewConfig(t *testing.T) {
	blue := newUpstream(t, "blue", nil)
	green := newUpstream(t, "green", nil)
	p := newTestProxy(t, Options{})
	const tgBlue, tgGreen = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/blue/1", "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/green/2"
	s := snapshot(forwardTo(tgBlue), nil, group(tgBlue, blue), group(tgGreen, green))
	addr := apply(t, p, s)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
	if _, body := get(t, c, url(addr, "/")); body != "blue" {
		t.Fatalf("before the change: %q", body)
	}
	time.Sleep(50 * time.Millisecond) // the connection now waits for its next request
	// The traffic moves to green and blue is emptied, as at the end of a deployment.
	s = snapshot(forwardTo(tgGreen), nil, group(tgBlue), group(tgGreen, green))
	if again := apply(t, p, s); again != addr {
		t.Fatalf("the listener moved from %s to %s", addr, again)
	}
	resp, body := get(t, c, url(addr, "/"))
	if resp.StatusCode != 200 || body != "green" {
		t.Fatalf("after the change, on the same connection: %d %q, want green", resp.StatusCode, body)
	}
}
