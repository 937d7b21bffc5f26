package lb

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// rawUpstream is a minimal keep-alive HTTP/1.1 server that answers every request
// with 13 bytes, allocating nothing per request, so that BenchmarkProxy's allocations
// are the proxy's.
func rawUpstream(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!")
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				var head []byte
				for {
					if head, err = readHead(br, head); err != nil {
						return
					}
					if _, err := conn.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkProxy measures a GET through a listener with 10 rules (the last one
// forwarding) to one target, over loopback, with keep-alive on both sides.
func BenchmarkProxy(b *testing.B) {
	up := rawUpstream(b)
	host, port, _ := net.SplitHostPort(up)
	pn, _ := strconv.Atoi(port)
	g := group(testTGA)
	g.Targets = []elbv2.TargetConfig{{ID: host, Port: pn, Address: up}}
	var rules []elbv2.RuleConfig
	for i := range 9 {
		rules = append(rules, elbv2.RuleConfig{ARN: fmt.Sprint(i), Priority: i + 1,
			Conditions: []elbv2.ConditionConfig{{Field: "path-pattern", Values: []string{fmt.Sprintf("/v%d/*", i)}}}, Actions: fixed(404, "")})
	}
	p := New(Options{})
	b.Cleanup(func() { p.Close() })
	if errs := p.Apply(snapshot(forwardTo(testTGA), rules, g)); len(errs) > 0 {
		b.Fatal(errs)
	}
	addr, _ := p.Addr(testL)
	req := []byte("GET /api/items?id=42 HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		var resp response
		for pb.Next() {
			if _, err := conn.Write(req); err != nil {
				b.Error(err)
				return
			}
			if resp.head, err = readHead(br, resp.head); err == nil {
				err = resp.parse(resp.head)
			}
			if err != nil || resp.status != http.StatusOK {
				b.Errorf("response: %v %d", err, resp.status)
				return
			}
			if _, err := br.Discard(int(resp.contentLength)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
