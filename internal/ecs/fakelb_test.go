package ecs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// The target groups of the tests.
const (
	tgA = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef"
	tgB = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/admin/fedcba9876543210"
	// tgLoose exists but no load balancer forwards to it.
	tgLoose = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/loose/1111111111111111"
	// tgAlt is the alternate target group of the blue/green tests: no rule forwards to
	// it until ECS puts it in one.
	tgAlt = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-green/2222222222222222"
	// ruleProd and ruleTest are the production and test listener rules of the
	// blue/green tests; listenerProd is a listener (its default action).
	ruleProd     = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
	ruleTest     = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/50dc6c495c0c9188/f2f7dc8efc522ab2/1111b2d02a6cabee"
	listenerProd = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/lb/50dc6c495c0c9188/f2f7dc8efc522ab2"
)

// fakeLB plays Elastic Load Balancing: target groups with targets whose health the test
// scripts. It records every call, can fail calls, and checks that no call is made while
// a store transaction is open.
type fakeLB struct {
	t  *testing.T
	mu sync.Mutex
	// groups maps a target group ARN to whether a load balancer forwards to it.
	groups  map[string]bool
	targets map[string]map[string]*fakeTarget // target group → "id:port" → target
	calls   []string
	// fail makes the next n calls of a method fail without effect.
	fail map[string]int
	// lose makes the next n calls of a method take effect but report a failure, as when
	// wharf crashes between a call and its record.
	lose map[string]int
	// healthyAfter turns a new target healthy on its nth poll (never when 0).
	healthyAfter int
	// drainAfter ends a draining target (unused) on its nth poll (never when 0).
	drainAfter int
	// onDeregister is called, with the lock held, before a target starts draining.
	onDeregister func(tg, key string)
	// now tells the time of rule changes.
	now func() time.Time
	// db returns the store to probe (nil: no probe).
	db func() *store.DB
	// added counts, per "tg id:port", the registrations that added a target.
	added map[string]int
	// rules maps a listener rule (or listener) ARN to the weights it forwards with.
	rules map[string]map[string]int32
	// sets records every change SetRuleForward made, in order.
	sets []ruleSet
	// onSetRule is called, with the lock held, before a rule's weights change.
	onSetRule func(rule string, weights map[string]int32)
}

// ruleSet is a change of a rule's weights, at the fake clock's time.
type ruleSet struct {
	rule    string
	weights map[string]int32
	at      time.Time
}

// now is the clock of the recorded rule changes.
func (f *fakeLB) clock() time.Time {
	if f.now == nil {
		return time.Time{}
	}
	return f.now()
}

type fakeTarget struct {
	state, reason string
	polls         int
}

// useLB gives the env's Service a fake load balancer with target groups tgA and tgB
// attached and tgLoose not; every call probes the store.
func (e *env) useLB() *fakeLB {
	e.t.Helper()
	f := &fakeLB{
		t:       e.t,
		groups:  map[string]bool{tgA: true, tgB: true, tgLoose: false},
		targets: map[string]map[string]*fakeTarget{},
		fail:    map[string]int{},
		lose:    map[string]int{},
		added:   map[string]int{},
		db:      func() *store.DB { return e.db },
		rules: map[string]map[string]int32{
			ruleProd: {tgA: 1}, ruleTest: {tgA: 1}, listenerProd: {tgB: 1},
		},
		now: e.clock.Now,
	}
	f.groups[tgAlt] = false
	e.lb = f
	e.newService()
	return f
}

func targetKey(id string, port int32) string { return fmt.Sprintf("%s:%d", id, port) }

// enter records a call, checks that no store transaction is open (a writer would wait
// for it forever: bbolt has one writer), and applies scripted failures.
func (f *fakeLB) enter(method, args string) (failNow, loseNow bool) {
	f.probe(method)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method+" "+args)
	if f.fail[method] > 0 {
		f.fail[method]--
		return true, false
	}
	if f.lose[method] > 0 {
		f.lose[method]--
		return false, true
	}
	return false, false
}

// probe tries a write transaction from another goroutine: it blocks while the caller
// holds one open, which is the deadlock the real load balancers would hit.
func (f *fakeLB) probe(method string) {
	if f.db == nil {
		return
	}
	db := f.db()
	done := make(chan error, 1)
	go func() { done <- db.Update(func(*store.Tx) error { return nil }) }()
	select {
	case err := <-done:
		if err != nil {
			f.t.Errorf("probing the store during %s: %v", method, err)
		}
	case <-time.After(5 * time.Second):
		f.t.Errorf("%s was called while a store transaction was open", method)
	}
}

var errFake = errors.New("fake load balancer failure")

func (f *fakeLB) TargetGroup(ctx context.Context, arn string) (bool, bool, error) {
	if failNow, _ := f.enter("TargetGroup", arn); failNow {
		return false, false, errFake
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	attached, ok := f.groups[arn]
	return ok, attached, nil
}

func (f *fakeLB) RegisterTarget(ctx context.Context, tg, id string, port int32) error {
	failNow, loseNow := f.enter("RegisterTarget", tg+" "+targetKey(id, port))
	if failNow {
		return errFake
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.groups[tg]; !ok {
		return fmt.Errorf("TargetGroupNotFound: %s", tg)
	}
	if f.targets[tg] == nil {
		f.targets[tg] = map[string]*fakeTarget{}
	}
	key := targetKey(id, port)
	if t := f.targets[tg][key]; t == nil || t.state == targetDraining {
		f.targets[tg][key] = &fakeTarget{state: targetInitial, reason: "Elb.InitialHealthChecking"}
		f.added[tg+" "+key]++
	}
	if loseNow {
		return errFake
	}
	return nil
}

func (f *fakeLB) DeregisterTarget(ctx context.Context, tg, id string, port int32) error {
	failNow, loseNow := f.enter("DeregisterTarget", tg+" "+targetKey(id, port))
	if failNow {
		return errFake
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := targetKey(id, port)
	if t := f.targets[tg][key]; t != nil && t.state != targetDraining {
		if f.onDeregister != nil {
			f.onDeregister(tg, key)
		}
		t.state, t.reason, t.polls = targetDraining, "Target.DeregistrationInProgress", 0
	}
	if loseNow {
		return errFake
	}
	return nil
}

func (f *fakeLB) TargetState(ctx context.Context, tg, id string, port int32) (string, string, error) {
	if failNow, _ := f.enter("TargetState", tg+" "+targetKey(id, port)); failNow {
		return "", "", errFake
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := targetKey(id, port)
	t := f.targets[tg][key]
	if t == nil {
		return targetUnused, reasonNotRegistered, nil
	}
	if !f.groups[tg] && t.state != targetDraining {
		// As in Elastic Load Balancing, no health checks run for a target group no
		// rule forwards to.
		return targetUnused, "Target.NotInUse", nil
	}
	t.polls++
	switch {
	case t.state == targetInitial && f.healthyAfter > 0 && t.polls >= f.healthyAfter:
		t.state, t.reason = targetHealthy, ""
	case t.state == targetDraining && f.drainAfter > 0 && t.polls >= f.drainAfter:
		delete(f.targets[tg], key)
		return targetUnused, reasonNotRegistered, nil
	}
	return t.state, t.reason, nil
}

// set scripts a target's state (a target that is not there is added).
func (f *fakeLB) set(tg, key, state, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.targets[tg] == nil {
		f.targets[tg] = map[string]*fakeTarget{}
	}
	if state == targetUnused {
		delete(f.targets[tg], key)
		return
	}
	if t := f.targets[tg][key]; t != nil {
		t.state, t.reason = state, reason
		return
	}
	f.targets[tg][key] = &fakeTarget{state: state, reason: reason}
}

// setAll scripts the state of every target of a group that is in state from.
func (f *fakeLB) setAll(tg, from, to string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for key, t := range f.targets[tg] {
		if t.state == from {
			if to == targetUnused {
				delete(f.targets[tg], key)
			} else {
				t.state, t.reason = to, ""
			}
		}
	}
}

// states returns the targets of a group and their states.
func (f *fakeLB) states(tg string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for key, t := range f.targets[tg] {
		out[key] = t.state
	}
	return out
}

// count counts the calls of a method (with arguments starting with prefix).
func (f *fakeLB) count(method, prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if len(c) >= len(method)+1+len(prefix) && c[:len(method)+1+len(prefix)] == method+" "+prefix {
			n++
		}
	}
	return n
}

// healthyKeys lists the healthy targets of a group.
func (f *fakeLB) healthyKeys(tg string) []string {
	var out []string
	for key, st := range f.states(tg) {
		if st == targetHealthy {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// registered lists the targets of a group that are not draining.
func (f *fakeLB) registered(tg string) []string {
	var out []string
	for key, st := range f.states(tg) {
		if st != targetDraining {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// keysOf returns the sorted keys of a state map.
func keysOf(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

func (f *fakeLB) RuleForward(ctx context.Context, rule string) (map[string]int32, bool, error) {
	if failNow, _ := f.enter("RuleForward", rule); failNow {
		return nil, false, errFake
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w, ok := f.rules[rule]
	return maps.Clone(w), ok, nil
}

func (f *fakeLB) SetRuleForward(ctx context.Context, rule string, weights map[string]int32) error {
	failNow, loseNow := f.enter("SetRuleForward", rule)
	if failNow {
		return errFake
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.rules[rule]; !ok {
		return fmt.Errorf("RuleNotFound: %s", rule)
	}
	if !maps.Equal(f.rules[rule], weights) {
		if f.onSetRule != nil {
			f.onSetRule(rule, weights)
		}
		f.sets = append(f.sets, ruleSet{rule: rule, weights: maps.Clone(weights), at: f.clock()})
	}
	f.rules[rule] = maps.Clone(weights)
	for tg := range weights {
		if _, ok := f.groups[tg]; ok {
			f.groups[tg] = true
		}
	}
	if loseNow {
		return errFake
	}
	return nil
}

// weights returns a rule's weights.
func (f *fakeLB) weights(rule string) map[string]int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.rules[rule])
}

// history returns the weights a rule was given, in order (changes only).
func (f *fakeLB) history(rule string) []ruleSet {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ruleSet
	for _, s := range f.sets {
		if s.rule == rule {
			out = append(out, s)
		}
	}
	return out
}

// fakeAlarms plays CloudWatch: alarm states the test scripts.
type fakeAlarms struct {
	mu     sync.Mutex
	states map[string]string
	calls  int
}

func (a *fakeAlarms) AlarmStates(ctx context.Context, names []string) (map[string]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	out := map[string]string{}
	for _, n := range names {
		if st, ok := a.states[n]; ok {
			out[n] = st
		}
	}
	return out, nil
}

func (a *fakeAlarms) set(name, state string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.states[name] = state
}
