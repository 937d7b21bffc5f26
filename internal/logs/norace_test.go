//go:build !race

package logs

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
