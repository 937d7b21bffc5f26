package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// stackEvent is one event of a stack deployment, as the progress view shows it.
type stackEvent struct {
	Time      time.Time
	LogicalID string // the stack's own events carry the stack name
	Type      string // AWS::ECS::Service
	Status    string // CREATE_IN_PROGRESS...
	Reason    string
}

// progress renders a deployment: on a terminal, a table of the resources that is
// redrawn in place as their status changes; otherwise one plain line per event.
type progress struct {
	w        io.Writer
	live     bool
	start    time.Time
	order    []string
	last     map[string]stackEvent
	drawn    int // lines of the table on screen
	failures []stackEvent
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, live: isTerminal(w), start: time.Now(), last: map[string]stackEvent{}}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// event records and shows one event.
func (p *progress) event(e stackEvent) {
	if _, seen := p.last[e.LogicalID]; !seen {
		p.order = append(p.order, e.LogicalID)
	}
	p.last[e.LogicalID] = e
	if strings.HasSuffix(e.Status, "_FAILED") && e.Reason != "" {
		p.failures = append(p.failures, e)
	}
	if !p.live {
		line := fmt.Sprintf("%s  %-28s %-38s %s", e.Time.Format("15:04:05"), e.Status, e.LogicalID, e.Type)
		if e.Reason != "" {
			line += "  " + e.Reason
		}
		fmt.Fprintln(p.w, line)
		return
	}
	p.redraw()
}

// redraw draws the table again over the previous one.
func (p *progress) redraw() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.drawn) // back to the table's first line
	}
	for _, id := range p.order {
		e := p.last[id]
		fmt.Fprintf(p.w, "\x1b[2K%s %-38s %-32s %s\n", symbol(e.Status), id, e.Status, e.Type)
	}
	p.drawn = len(p.order)
}

// symbol marks a status: done, failed or in progress.
func symbol(status string) string {
	switch {
	case strings.HasSuffix(status, "_FAILED"):
		return "✗"
	case strings.HasSuffix(status, "_COMPLETE") || status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
		return "✓"
	}
	return "…"
}

// summary prints how the deployment ended, the failures' reasons and the outputs.
func (p *progress) summary(stack, status string, outputs map[string]string) {
	fmt.Fprintf(p.w, "\nstack %s: %s in %s, %d resources\n", stack, status, time.Since(p.start).Round(100*time.Millisecond), max(len(p.order)-1, 0))
	for _, f := range p.failures {
		fmt.Fprintf(p.w, "  %s %s: %s\n", f.LogicalID, f.Status, f.Reason)
	}
	if len(outputs) > 0 {
		fmt.Fprintln(p.w, "\nOutputs:")
		keys := make([]string, 0, len(outputs))
		for k := range outputs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(p.w, "  %s = %s\n", k, outputs[k])
		}
	}
}
