package shmif

import (
	"fmt"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"
)

// BenchmarkBus writes frames from one port while another reads them and
// reports frames per second written and the share the reader received.
func BenchmarkBus(b *testing.B) {
	for _, size := range []int{64, 1514} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bus")
			w, err := Attach(path)
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			r, err := Attach(path)
			if err != nil {
				b.Fatal(err)
			}
			got := make(chan int)
			go func() {
				buf := make([]byte, MaxFrame)
				n := 0
				for {
					if _, err := r.Read(buf); err != nil {
						got <- n
						return
					}
					n++
				}
			}()
			frame := make([]byte, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				w.Write(frame)
			}
			el := time.Since(start)
			time.Sleep(10 * time.Millisecond)
			r.Close()
			n := <-got
			b.ReportMetric(float64(b.N)/el.Seconds(), "frames/s")
			b.ReportMetric(100*float64(n)/float64(b.N), "%received")
		})
	}
}

// BenchmarkWrite writes 64-byte frames with no reader: the writer's own
// cost (lock, ring, header checks, fault guard), without the reader
// competing for the two cores.
func BenchmarkWrite(b *testing.B) {
	w, err := Attach(filepath.Join(b.TempDir(), "bus"))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	frame := make([]byte, 64)
	for i := 0; i < b.N; i++ {
		w.Write(frame)
	}
}

// BenchmarkFaultGuard is what the fault guard adds to every Read and
// Write: SetPanicOnFault twice and a deferred recover.
func BenchmarkFaultGuard(b *testing.B) {
	bus := &Bus{}
	for i := 0; i < b.N; i++ {
		guarded(bus)
	}
}

//go:noinline
func guarded(b *Bus) (err error) {
	defer b.catch(debug.SetPanicOnFault(true), &err)
	return nil
}
