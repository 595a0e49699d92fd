//go:build !race

package solvers

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = false
