package lb

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// tgState is a target group's runtime state, kept across Apply by ARN: its targets
// (with their health and connections), its round-robin position and its counters.
type tgState struct {
	arn string
	dim string // the CloudWatch TargetGroup dimension, targetgroup/<name>/<id>
	cfg atomic.Pointer[tgConfig]
	rr  atomic.Uint64
	m   counters

	mu      sync.Mutex // guards targets and the targets' registration times
	targets map[string]*target
}

// tgConfig is the compiled, immutable configuration of a target group for one Apply.
type tgConfig struct {
	c       elbv2.TargetGroupConfig
	used    bool      // referenced by a listener of the snapshot
	active  []*target // registered and not draining, in snapshot order
	all     []*target // every target in the snapshot, draining ones included
	matcher []codeRange
	lor     bool
	tls     *tls.Config // for HTTPS target groups
}

// codeRange is an inclusive range of HTTP codes of a health check matcher.
type codeRange struct{ lo, hi int }

// parseMatcher parses "200", "200,202" or "200-299".
func parseMatcher(s string) ([]codeRange, error) {
	if strings.TrimSpace(s) == "" {
		s = "200"
	}
	var out []codeRange
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("invalid health check matcher %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("invalid health check matcher %q", s)
			}
		}
		out = append(out, codeRange{a, b})
	}
	return out, nil
}

func (g *tgConfig) matches(code int) bool {
	for _, r := range g.matcher {
		if r.lo <= code && code <= r.hi {
			return true
		}
	}
	return false
}

// token is an opaque, stable stickiness cookie value for a key.
func token(key string) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	return strconv.FormatUint(h.Sum64(), 36)
}

// routable reports whether a target takes traffic while some target is healthy.
func routable(s int32) bool { return s == stHealthy || s == stUnavailable }

// pick chooses a target for a request, or nil when the group has no registered
// target. Health is honoured unless no target is routable, in which case every
// registered target is a candidate (ALB fails open).
func (g *tgConfig) pick(st *tgState, r *request, now int64) *target {
	n := len(g.active)
	if n == 0 {
		return nil
	}
	if g.c.StickinessEnabled {
		if v := cookieValue(r, "AWSALB"); v != nil {
			for _, t := range g.active {
				if string(v) == t.cookie && routable(t.state.Load()) {
					return t
				}
			}
		}
	}
	start := int(st.rr.Add(1) % uint64(n))
	if g.lor {
		var best *target
		var bestN int64
		for i := range n {
			t := g.active[(start+i)%n]
			if !routable(t.state.Load()) {
				continue
			}
			if f := t.inFlight.Load(); best == nil || f < bestN {
				best, bestN = t, f
			}
		}
		if best != nil {
			return best
		}
		return g.active[start]
	}
	var first *target
	for i := range n {
		t := g.active[(start+i)%n]
		if !routable(t.state.Load()) {
			continue
		}
		if first == nil {
			first = t
		}
		if g.c.SlowStart > 0 && !t.warm(now, g.c.SlowStart) {
			continue
		}
		return t
	}
	if first != nil {
		return first
	}
	return g.active[start]
}

// warm reports whether a target in slow start takes this request: its share grows
// linearly from 0 to full over the slow start duration after it became healthy.
func (t *target) warm(now int64, slow time.Duration) bool {
	since := t.healthySince.Load()
	elapsed := now - since
	if since == 0 || elapsed >= int64(slow) {
		return true
	}
	if elapsed <= 0 {
		return false
	}
	return rand.Int64N(int64(slow)) < elapsed
}

// cookieValue returns the value of the named cookie in the request's Cookie headers,
// or nil. It does not allocate.
func cookieValue(r *request, name string) []byte {
	for i := range r.headers {
		h := &r.headers[i]
		if h.kind != hCookie {
			continue
		}
		v := h.value
		for len(v) > 0 {
			var part []byte
			if j := bytes.IndexByte(v, ';'); j >= 0 {
				part, v = v[:j], v[j+1:]
			} else {
				part, v = v, nil
			}
			part = trimOWS(part)
			if len(part) > len(name) && part[len(name)] == '=' && string(part[:len(name)]) == name {
				val := part[len(name)+1:]
				if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
					val = val[1 : len(val)-1]
				}
				return val
			}
		}
	}
	return nil
}

// weightedGroup is one target group of a forward action.
type weightedGroup struct {
	st     *tgState
	weight int
	cookie string // AWSALBTG token
}

// forwardAction is a compiled forward action.
type forwardAction struct {
	groups   []weightedGroup
	cum      []int // cumulative weights
	total    int
	step     int // coprime with total: spreads the sequence over the weights
	seq      atomic.Uint64
	sticky   bool
	duration time.Duration
}

func newForwardAction(fc *elbv2.ForwardConfig, groups map[string]*tgState) (*forwardAction, error) {
	if fc == nil || len(fc.TargetGroups) == 0 {
		return nil, fmt.Errorf("forward action without target groups")
	}
	fa := &forwardAction{sticky: fc.StickinessEnabled, duration: fc.StickinessDuration}
	for _, wg := range fc.TargetGroups {
		st, ok := groups[wg.ARN]
		if !ok {
			return nil, fmt.Errorf("forward action: unknown target group %s", wg.ARN)
		}
		w := wg.Weight
		if len(fc.TargetGroups) == 1 && w == 0 {
			w = 1
		}
		if w < 0 {
			return nil, fmt.Errorf("forward action: negative weight for %s", wg.ARN)
		}
		fa.total += w
		fa.groups = append(fa.groups, weightedGroup{st: st, weight: w, cookie: token("tg|" + wg.ARN)})
		fa.cum = append(fa.cum, fa.total)
	}
	fa.step = 1
	for _, p := range []int{7919, 104729, 1299709, 15485863} {
		if fa.total > 0 && fa.total%p != 0 {
			fa.step = p
			break
		}
	}
	return fa, nil
}

// pick chooses the target group for a request: the sticky one named by AWSALBTG if
// any, else by weight. It returns nil when every weight is 0.
func (fa *forwardAction) pick(r *request) *weightedGroup {
	if len(fa.groups) == 1 {
		return &fa.groups[0]
	}
	if fa.sticky {
		if v := cookieValue(r, "AWSALBTG"); v != nil {
			for i := range fa.groups {
				if g := &fa.groups[i]; g.weight > 0 && string(v) == g.cookie {
					return g
				}
			}
		}
	}
	if fa.total == 0 {
		return nil
	}
	k := int((fa.seq.Add(1) * uint64(fa.step)) % uint64(fa.total))
	for i, c := range fa.cum {
		if k < c {
			return &fa.groups[i]
		}
	}
	return nil
}
