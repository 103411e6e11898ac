package shmif

import (
	"fmt"
	"path/filepath"
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
