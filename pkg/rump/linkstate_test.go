package rump

import (
	"bytes"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// flakyDevice is a FrameDevice that can be made to fail every read and
// write (as a bus whose file is damaged, or a deleted tap) and to work
// again. With report set it also reports its link state itself, as a tap.
type flakyDevice struct {
	mu      sync.Mutex
	broken  bool
	closed  bool
	changed chan struct{} // closed and replaced when broken or closed changes
	in      chan []byte   // frames for Read
	report  bool
	notify  func()
	writes  atomic.Int64
}

func newFlakyDevice(report bool) *flakyDevice {
	return &flakyDevice{changed: make(chan struct{}), in: make(chan []byte, 4), report: report}
}

func (d *flakyDevice) Read(b []byte) (int, error) {
	for {
		d.mu.Lock()
		closed, broken, ch := d.closed, d.broken, d.changed
		d.mu.Unlock()
		switch {
		case closed:
			return 0, os.ErrClosed
		case broken:
			return 0, syscall.EIO
		}
		select {
		case f := <-d.in:
			return copy(b, f), nil
		case <-ch:
		}
	}
}

func (d *flakyDevice) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.broken || d.closed {
		return 0, syscall.EIO
	}
	d.writes.Add(1)
	return len(b), nil
}

func (d *flakyDevice) Close() error { d.set(func() { d.closed = true }); return nil }

func (d *flakyDevice) setBroken(b bool) { d.set(func() { d.broken = b }) }

func (d *flakyDevice) set(change func()) {
	d.mu.Lock()
	change()
	close(d.changed)
	d.changed = make(chan struct{})
	fn := d.notify
	d.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// reportingDevice is a flakyDevice that reports its link state.
type reportingDevice struct{ *flakyDevice }

func (d reportingDevice) LinkUp() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.broken && !d.closed
}

func (d reportingDevice) NotifyLink(fn func()) {
	d.mu.Lock()
	d.notify = fn
	d.mu.Unlock()
}

// waitIface polls virt0 until cond holds, failing after a generous
// deadline with what it last saw.
func waitIface(t *testing.T, k *Kernel, what string, cond func(api.Interface) bool) api.Interface {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err := k.Interface("virt0")
		if err != nil {
			t.Fatal(err)
		}
		if cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got link state %s, oerrors %d; want it within 20s", what, v.LinkState, v.Stats.OErrors)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLinkStateFollowsDevice breaks virt0's device under a running
// interface: the status goes to no carrier and frames the kernel sends
// are counted as output errors; once the device works again the status is
// active again. A device that does not report its link state is judged by
// its reads and writes; one that does, by its reports.
func TestLinkStateFollowsDevice(t *testing.T) {
	broadcast := append(bytes.Repeat([]byte{0xff}, 6), 2, 0, 0, 0, 0, 1, 0x88, 0xb5)
	broadcast = append(broadcast, make([]byte, 46)...)
	tests := []struct {
		name    string
		report  bool
		recover func(k *Kernel, d *flakyDevice)
	}{
		{"a frame received", false, func(k *Kernel, d *flakyDevice) { d.in <- broadcast }},
		{"a frame sent", false, func(k *Kernel, d *flakyDevice) { sendOne(t, k) }},
		{"the device's report", true, func(k *Kernel, d *flakyDevice) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := newFlakyDevice(tt.report)
			var fd FrameDevice = dev
			if tt.report {
				fd = reportingDevice{dev}
			}
			k := newKernel(t, Options{OpenTap: func(string) (FrameDevice, error) { return fd, nil }})
			if err := k.Create("virt0"); err != nil {
				t.Fatal(err)
			}
			if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
				t.Fatal(err)
			}
			if err := k.SetFlags("virt0", api.IFF_UP); err != nil {
				t.Fatal(err)
			}
			if v, _ := k.Interface("virt0"); v.LinkState != api.LinkStateUp {
				t.Fatalf("link state of a working device: got %s, want %s", v.LinkState, api.LinkStateUp)
			}

			dev.setBroken(true)
			sendOne(t, k)
			v := waitIface(t, k, "no carrier and output errors while broken", func(v api.Interface) bool {
				return v.LinkState == api.LinkStateDown && v.Stats.OErrors > 0
			})
			if v.Flags&api.IFF_UP == 0 {
				t.Errorf("flags while broken: got %#x, want UP kept", v.Flags)
			}

			dev.setBroken(false)
			tt.recover(k, dev)
			waitIface(t, k, "active after "+tt.name, func(v api.Interface) bool {
				return v.LinkState == api.LinkStateUp
			})
		})
	}
}

// sendOne makes virt0 send a frame: a ping to a neighbour not yet
// resolved, whose ARP request goes out at once.
func sendOne(t *testing.T, k *Kernel) {
	t.Helper()
	pingAll(t, k, api.PingRequest{Dst: "10.0.0.1", Count: 1, Wait: 0.05})
}
