package rumpserver

// Giving memory back once a busy kernel goes quiet. Go's collector does not
// run below a 4 MiB heap (at GOGC=100), so a kernel that never carried much
// traffic never collects and stays at what it touched, close to the Go
// floor: collecting it would cost more (the collector's own structures)
// than it frees. A kernel that did carry traffic has collected, and keeps
// up to its heap goal resident, free but not returned, for good: with a
// thousand kernels on a machine that is gigabytes. So after the collector
// has been quiet for trimQuiet (the kernel is idle again), if more than
// trimMin of the heap is free and still resident, the server returns it
// (debug.FreeOSMemory). Collections are what arm the check, so a kernel
// that never collects has no timer at all, and an idle one at most one
// check after each of the runtime's two-minute forced collections.
//
// For the same reason a detached server started without -c or GOMAXPROCS
// runs on one CPU (one P from the start: one set of per-P caches; 0.35 MiB
// less for an idle kernel) until its first collection, which only a kernel
// with traffic reaches, and then on as many as its parent had. The parent
// passes GOMAXPROCS=1 and that number (envCPUs) to the child it starts:
// lowering GOMAXPROCS in a running process does not give the memory back.

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"
)

const (
	// trimQuiet is how long after the last collection the check runs.
	trimQuiet = 5 * time.Second
	// trimMin is the free, resident heap worth a trim: below it the
	// collection a trim needs would not pay for itself.
	trimMin = 1 << 20
)

// trimmer arms a one-shot check after each collection; see above.
type trimmer struct {
	quiet time.Duration
	min   uint64
	free  func() uint64 // free heap still resident, in bytes
	trim  func()
	cpus  int // GOMAXPROCS to set at the first collection; 0 = leave it

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

// newTrimmer returns a trimmer of the process's own heap.
func newTrimmer() *trimmer {
	return &trimmer{quiet: trimQuiet, min: trimMin, free: residentFreeHeap, trim: debug.FreeOSMemory}
}

// start hooks the trimmer to the collector: every cycle calls gcDone.
func (t *trimmer) start() {
	var hook func()
	hook = func() {
		t.mu.Lock()
		stopped := t.stopped
		t.mu.Unlock()
		if stopped {
			return
		}
		t.gcDone()
		// A new sentinel for the next cycle: its cleanup runs once the
		// collector has found it unreachable.
		runtime.AddCleanup(new([32]byte), func(struct{}) { hook() }, struct{}{})
	}
	runtime.AddCleanup(new([32]byte), func(struct{}) { hook() }, struct{}{})
}

// stop disarms the trimmer for good.
func (t *trimmer) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.timer != nil {
		t.timer.Stop()
	}
}

// gcDone (re)arms the check for quiet from now, and gives the process its
// CPUs at the first collection.
func (t *trimmer) gcDone() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	if t.cpus > 0 {
		setProcs(t.cpus)
		t.cpus = 0
	}
	if t.timer == nil {
		t.timer = time.AfterFunc(t.quiet, t.check)
		return
	}
	t.timer.Reset(t.quiet)
}

// check trims if enough free heap is resident.
func (t *trimmer) check() {
	t.mu.Lock()
	stopped := t.stopped
	t.mu.Unlock()
	if !stopped && t.free() >= t.min {
		t.trim()
	}
}

// envCPUs carries the GOMAXPROCS a detached server gets at its first
// collection, from the parent that started it on one.
const envCPUs = "RUMPNET_SERVER_CPUS"

// startCPUsEnv is what the parent adds to the environment of the server it
// detaches: nothing if -c or GOMAXPROCS chose, or there is one CPU.
func startCPUsEnv(o Options) []string {
	n := runtime.GOMAXPROCS(0)
	if o.NCPU > 0 || os.Getenv("GOMAXPROCS") != "" || n < 2 {
		return nil
	}
	return []string{"GOMAXPROCS=1", envCPUs + "=" + strconv.Itoa(n)}
}

// laterCPUs reads and clears what startCPUsEnv passed: the GOMAXPROCS for
// the first collection, or 0.
func laterCPUs() int {
	v, ok := os.LookupEnv(envCPUs)
	if !ok {
		return 0
	}
	os.Unsetenv(envCPUs)
	os.Unsetenv("GOMAXPROCS")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 256 {
		return 0
	}
	return n
}

// setProcs is runtime.GOMAXPROCS; tests replace it.
var setProcs = func(n int) { runtime.GOMAXPROCS(n) }

// residentFreeHeap is the heap memory that is free but not yet returned to
// the system, from runtime/metrics (which does not stop the world).
func residentFreeHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
