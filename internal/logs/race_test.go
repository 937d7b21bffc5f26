//go:build race

package logs

// raceEnabled: the race detector's instrumentation allocates, so allocation counts
// are not checked.
const raceEnabled = true
