package rumpserver

import (
	"os"
	"runtime/pprof"
)

// EnvCPUProfile names a file for a CPU profile of the whole life of the
// server (go tool pprof reads it); for finding where a data path spends
// its time. The profile is written when the server shuts down.
const EnvCPUProfile = "RUMPNET_CPUPROFILE"

func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
