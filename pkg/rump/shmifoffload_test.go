package rump

import (
	"bytes"
	"math/rand"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/shmif"
)

// TCP between two kernels on a bus arrives whole whether the bus carries
// offloaded frames (TCP super-frames with partial checksums, on a bus
// that holds them) or only plain frames of at most the MTU (a small
// ring); the frames on the bus are of the kind the bus allows.
func TestShmifTCPOffloads(t *testing.T) {
	for _, tc := range []struct {
		name      string
		size      int
		wantSuper bool
	}{
		{"default bus offloads", 0, true},
		{"small bus, plain frames", shmif.MinSize, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks, path := busKernelsSize(t, 2, tc.size)
			bus, err := shmif.OpenReadOnly(path)
			if err != nil {
				t.Fatal(err)
			}
			defer bus.Close()
			fl, err := bus.Follow(false)
			if err != nil {
				t.Fatal(err)
			}
			stop, seen := make(chan struct{}), make(chan [2]int, 1)
			go func() {
				super, oversize := 0, 0 // super-frames with a header; larger frames without one
				for {
					select {
					case <-stop:
						seen <- [2]int{super, oversize}
						return
					default:
					}
					fi, _, ok, _, _ := fl.Next(10 * time.Millisecond)
					switch {
					case !ok:
					case fi.Offload != nil && fi.Length > 1514:
						super++
					case fi.Length > 1514:
						oversize++
					}
				}
			}()
			msg := make([]byte, 4<<20)
			rand.New(rand.NewSource(1)).Read(msg)
			got, want := tcpTransfer(t, ks, 7, msg)
			close(stop)
			counts := <-seen
			if !bytes.Equal(got, want) {
				t.Errorf("got %d bytes (equal: %v), want the %d sent", len(got), bytes.Equal(got, want[:min(len(got), len(want))]), len(want))
			}
			if (counts[0] > 0) != tc.wantSuper || counts[1] > 0 {
				t.Errorf("got %d super-frames and %d other frames over 1514 bytes on the bus, want super-frames %v and no others", counts[0], counts[1], tc.wantSuper)
			}
		})
	}
}
