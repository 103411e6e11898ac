package dumpbus

// shmif_dumpbus -f: list (and capture) frames as they are written, until
// SIGINT or SIGTERM.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/shmif"
)

// followWait bounds each wait for a frame, and so how long a signal takes
// to end the program.
const followWait = 100 * time.Millisecond

// stopFollowing is closed by tests to end a follow as a signal would.
var stopFollowing = make(chan struct{})

// followBus prints the frames on the bus from the oldest on, then every
// frame as it is written, and writes them to pw if it is not nil. Frames
// the writers overwrite before they are read are reported on standard
// error. It returns the exit status.
func followBus(t *cli.Tool, bus *shmif.Bus, path string, text io.Writer, pw *pcapWriter) int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	var stop atomic.Bool
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sig:
		case <-stopFollowing:
		case <-done:
		}
		stop.Store(true)
	}()

	f, err := bus.Follow(true)
	if err != nil {
		t.Warn(err, "%s", path)
		return 1
	}
	for i := 0; !stop.Load(); {
		fi, data, ok, lost, err := f.Next(followWait)
		if err != nil {
			t.Warn(err, "%s", path)
			return 1
		}
		if lost > 0 {
			t.Warnx("lost %d frames: the writers overtook the reader", lost)
		}
		if !ok {
			continue
		}
		fmt.Fprintf(text, "packet %d, offset 0x%04x, length 0x%04x, ts %d/%06d\n",
			i, fi.Offset, fi.Length, fi.Sec, fi.Usec)
		i++
		if pw != nil {
			if err := pw.packet(fi, data); err != nil {
				if errors.Is(err, syscall.EPIPE) {
					return 0 // the reader of the capture went away
				}
				t.Warn(err, "pcap write")
				return 1
			}
		}
	}
	return 0
}
