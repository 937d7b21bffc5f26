package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// printDeploys prints one row per strategy, then what failed.
func printDeploys(rs []deployResult, rate float64, workers int, timeScale float64) {
	fmt.Printf("Deployments of a 2-task productapi service (process driver) under a paced open-loop load of %g req/s (GET / through the ALB listener, %d workers), wharf up --time-scale %g\n", rate, workers, timeScale)
	fmt.Println("bake times: blue/green 2 min; canary 10% for 2 min, then bake 2 min; linear 25% steps of 1 min, then bake 1 min; rolling min 100% max 200% (a minute passes in 1/time-scale of that)")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\tscheduled\tsent\tfailed\tmissed(gen)\tachieved req/s\tp50\tp99\tmax\tgen max lag\tgen CPU\twharf CPU\tdeploy\tv1/v2 answers\t")
	for _, r := range rs {
		l := r.load
		dep := secs(r.deploy)
		if !r.complete {
			dep = "INCOMPLETE " + dep
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t%.0f%%\t%.0f%%\t%s\t%d/%d\t\n", r.name, l.Scheduled, l.Sent, l.Failed, l.Missed,
			l.Achieved, ms(l.P50), ms(l.P99), ms(l.Max), ms(l.MaxLag), 100*r.genCPU, 100*r.wharfCPU, dep, l.Versions["v1"], l.Versions["v2"])
	}
	tw.Flush()
	fmt.Println("missed(gen): requests the generator could not start (every worker busy, a second's backlog queued); gen max lag: the latest a request started after its scheduled time; CPU in % of one core (the machine has 2)")
	fmt.Printf("\nweight steps on the production rule (blue/green, DescribeRules every %v, time since UpdateService):\n", watchEvery)
	for _, r := range rs {
		var steps []string
		for _, w := range r.weights {
			if len(steps) == 0 || w.blue != r.weights[len(steps)-1].blue || w.green != r.weights[len(steps)-1].green {
				steps = append(steps, fmt.Sprintf("%d/%d@%s", w.blue, w.green, secs(w.at)))
			} else {
				steps = append(steps, "")
			}
		}
		fmt.Printf("  %-10s %s\n", r.name, strings.Join(slices.DeleteFunc(steps, func(s string) bool { return s == "" }), " -> "))
	}
	for _, r := range rs {
		if r.load.Failed == 0 {
			continue
		}
		fmt.Printf("\n%s: %d of %d requests failed; by error:\n", r.name, r.load.Failed, r.load.Sent)
		type kv struct {
			k string
			n int
		}
		var errs []kv
		for k, n := range r.load.Errors {
			errs = append(errs, kv{k, n})
		}
		slices.SortFunc(errs, func(a, b kv) int { return b.n - a.n })
		for i, e := range errs {
			if i == 8 {
				fmt.Printf("  ... %d more distinct errors\n", len(errs)-i)
				break
			}
			fmt.Printf("  %6d  %s\n", e.n, e.k)
		}
		fmt.Println("  first (times since UpdateService):")
		for _, e := range r.load.FirstErrors {
			fmt.Printf("    %s\n", e)
		}
		fmt.Printf("  rule weights and target states (blue|green: h healthy, i initial, d draining, u unhealthy) since UpdateService; completed at %s:\n", secs(r.deploy))
		for _, w := range r.weights {
			fmt.Printf("    %8s  %3d/%-3d  %s\n", secs(w.at), w.blue, w.green, w.health)
		}
	}
	fmt.Println()
}
