package rumpserver

import (
	"os"
	"reflect"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// After a collection and a quiet spell the trimmer returns free heap if
// there is enough of it, and leaves a small one alone.
func TestTrimmer(t *testing.T) {
	tests := []struct {
		free  uint64
		trims bool
	}{
		{free: 4 << 20, trims: true},
		{free: trimMin, trims: true},
		{free: trimMin - 1, trims: false},
		{free: 0, trims: false},
	}
	for _, tt := range tests {
		var trims, checks atomic.Int32
		tr := &trimmer{quiet: time.Millisecond, min: trimMin,
			free: func() uint64 { checks.Add(1); return tt.free },
			trim: func() { trims.Add(1) }}
		tr.gcDone()
		deadline := time.Now().Add(10 * time.Second)
		for checks.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		tr.stop()
		if got := trims.Load() > 0; got != tt.trims {
			t.Errorf("free %d: got trimmed %v, want %v", tt.free, got, tt.trims)
		}
	}
}

// The trimmer is armed by the collector itself, and not after stop.
func TestTrimmerFollowsCollector(t *testing.T) {
	var checks atomic.Int32
	tr := &trimmer{quiet: time.Millisecond, min: 1,
		free: func() uint64 { checks.Add(1); return 0 },
		trim: func() {}}
	tr.start()
	deadline := time.Now().Add(10 * time.Second)
	for checks.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no check within 10 s of collections")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	tr.stop()
	n := checks.Load()
	runtime.GC()
	runtime.GC()
	tr.mu.Lock()
	armed := tr.timer != nil && tr.timer.Stop()
	tr.mu.Unlock()
	if armed {
		t.Errorf("after stop: got the check armed again, want it disarmed (%d checks before)", n)
	}
}

// A real trim after a burst leaves less free heap resident than it found.
func TestResidentFreeHeapFalls(t *testing.T) {
	burst = make([][]byte, 1024)
	for i := range burst {
		burst[i] = make([]byte, 4096)
	}
	burst = nil
	runtime.GC()
	before := residentFreeHeap()
	if before < trimMin {
		t.Skipf("only %d bytes of free heap resident after a 4 MiB burst", before)
	}
	newTrimmer().trim()
	if after := residentFreeHeap(); after >= before {
		t.Errorf("free resident heap: got %d after a trim, want below %d", after, before)
	}
}

// burst holds the test's garbage, so the compiler keeps the allocations.
var burst [][]byte

// A server the parent started on one CPU gets its CPUs back at its first
// collection, once.
func TestTrimmerRestoresCPUs(t *testing.T) {
	var got []int
	old := setProcs
	setProcs = func(n int) { got = append(got, n) }
	defer func() { setProcs = old }()
	tr := &trimmer{quiet: time.Hour, min: trimMin, free: func() uint64 { return 0 }, trim: func() {}, cpus: 3}
	tr.gcDone()
	tr.gcDone()
	tr.stop()
	if len(got) != 1 || got[0] != 3 {
		t.Errorf("GOMAXPROCS set: got %v, want [3]", got)
	}
}

// The parent starts the server on one CPU only when nobody chose.
func TestStartCPUsEnv(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one CPU: the server starts on it anyway")
	}
	n := strconv.Itoa(runtime.GOMAXPROCS(0))
	tests := []struct {
		o    Options
		env  string
		want []string
	}{
		{Options{}, "", []string{"GOMAXPROCS=1", envCPUs + "=" + n}},
		{Options{NCPU: 2}, "", nil},
		{Options{}, "4", nil},
	}
	for _, tt := range tests {
		if tt.env != "" {
			t.Setenv("GOMAXPROCS", tt.env)
		}
		if got := startCPUsEnv(tt.o); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("-c %d, GOMAXPROCS %q: got %q, want %q", tt.o.NCPU, tt.env, got, tt.want)
		}
	}
}

func TestLaterCPUs(t *testing.T) {
	tests := []struct {
		env  string
		want int
	}{
		{"2", 2}, {"x", 0}, {"0", 0}, {"", 0},
	}
	for _, tt := range tests {
		if tt.env != "" {
			t.Setenv(envCPUs, tt.env)
		}
		if got := laterCPUs(); got != tt.want {
			t.Errorf("%s=%q: got %d, want %d", envCPUs, tt.env, got, tt.want)
		}
		if _, ok := os.LookupEnv(envCPUs); ok {
			t.Errorf("%s=%q: still set after reading", envCPUs, tt.env)
		}
	}
}
