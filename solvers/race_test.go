//go:build race

package solvers

// raceEnabled is true when the tests run under the race detector. Under
// it, sync.Pool.Put drops one value in four at random (Go 1.26
// sync/pool.go), so pooled scratch is allocated again now and then.
const raceEnabled = true
