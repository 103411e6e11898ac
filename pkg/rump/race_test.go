//go:build race

package rump

// raceEnabled says the tests run under the race detector.
const raceEnabled = true
