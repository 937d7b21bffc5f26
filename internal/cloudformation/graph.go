package cloudformation

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// walkResult is what a walk did: the nodes whose function succeeded, those that
// failed (with their errors), and those never started.
type walkResult struct {
	done    []string
	failed  map[string]error
	skipped []string
}

// walk calls fn for every node once each of its prerequisites (those among nodes)
// has succeeded, at most limit at a time, starting ready nodes in the order of nodes.
// After a failure no more nodes start unless keepGoing is set, in which case only
// nodes that (transitively) wait on a failed one are skipped. stop, checked before
// each start, ends the walk early the same way. walk returns when no node runs.
func walk(nodes []string, prereq map[string][]string, limit int, keepGoing bool, stop func() bool, fn func(id string) error) walkResult {
	if limit <= 0 {
		limit = 1
	}
	in := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		in[n] = true
	}
	waiting := make(map[string]int, len(nodes)) // node → prerequisites not yet done
	dependents := make(map[string][]string)     // node → nodes waiting on it
	for _, n := range nodes {
		seen := map[string]bool{}
		for _, p := range prereq[n] {
			if !in[p] || seen[p] || p == n {
				continue
			}
			seen[p] = true
			waiting[n]++
			dependents[p] = append(dependents[p], n)
		}
	}
	res := walkResult{failed: map[string]error{}}
	state := make(map[string]int, len(nodes)) // 0 pending, 1 running, 2 done, 3 failed, 4 blocked
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	running := 0
	halted := false

	var block func(n string)
	block = func(n string) {
		for _, d := range dependents[n] {
			if state[d] == 0 {
				state[d] = 4
				block(d)
			}
		}
	}

	mu.Lock()
	for {
		if !halted && stop != nil && stop() {
			halted = true
		}
		started := false
		if !halted {
			for _, n := range nodes {
				if running >= limit {
					break
				}
				if state[n] != 0 || waiting[n] > 0 {
					continue
				}
				state[n] = 1
				running++
				started = true
				go func(n string) {
					err := fn(n)
					mu.Lock()
					defer mu.Unlock()
					running--
					if err != nil {
						state[n] = 3
						res.failed[n] = err
						if keepGoing {
							block(n)
						} else {
							halted = true
						}
					} else {
						state[n] = 2
						res.done = append(res.done, n)
						for _, d := range dependents[n] {
							waiting[d]--
						}
					}
					cond.Broadcast()
				}(n)
			}
		}
		if running == 0 && !started {
			break
		}
		if !started {
			cond.Wait()
		}
	}
	for _, n := range nodes {
		if state[n] == 0 || state[n] == 4 {
			res.skipped = append(res.skipped, n)
		}
	}
	mu.Unlock()
	return res
}

// reverse returns the dependents of each node: the prerequisites of a reverse walk,
// which deletes a resource only after everything that depends on it.
func reverse(deps map[string][]string) map[string][]string {
	out := map[string][]string{}
	for n, ps := range deps {
		for _, p := range ps {
			out[p] = append(out[p], n)
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// findCycle returns the nodes of a dependency cycle among nodes, or nil.
func findCycle(nodes []string, deps map[string][]string) []string {
	in := map[string]bool{}
	for _, n := range nodes {
		in[n] = true
	}
	color := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(n string) bool
	visit = func(n string) bool {
		color[n] = 1
		stack = append(stack, n)
		for _, d := range deps[n] {
			if !in[d] {
				continue
			}
			if color[d] == 1 {
				for i := len(stack) - 1; i >= 0; i-- {
					cycle = append(cycle, stack[i])
					if stack[i] == d {
						break
					}
				}
				return true
			}
			if color[d] == 0 && visit(d) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = 2
		return false
	}
	for _, n := range nodes {
		if color[n] == 0 && visit(n) {
			sort.Strings(cycle)
			return cycle
		}
	}
	return nil
}

// errCycle is the error for a circular dependency, as CloudFormation words it.
func errCycle(cycle []string) error {
	return errValidation("Circular dependency between resources: [%s]", strings.Join(cycle, ", "))
}

// listString formats names as CloudFormation lists them in reasons: "[A, B]".
func listString(names []string) string {
	return fmt.Sprintf("[%s]", strings.Join(names, ", "))
}
