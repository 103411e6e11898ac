package rump

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/shmif"
)

// heldPort is a bus port whose reads wait while hold is open.
type heldPort struct {
	*shmif.Port
	hold chan struct{} // reads wait until it is closed
}

func (h *heldPort) Read(b []byte) (int, error) {
	<-h.hold
	return h.Port.Read(b)
}

// A kernel whose bus reader stalls while a writer laps the ring counts
// the frames it missed as input drops: what it received and what it
// dropped add up to what was sent. The bus gets the size the first
// kernel's net.shmif.bussize asks for; a later kernel's does not change
// it.
func TestShmifLappedKernelCountsInputDrops(t *testing.T) {
	held := &heldPort{hold: make(chan struct{})}
	old := busDevice
	busDevice = func(p *shmif.Port) FrameDevice { held.Port = p; return held }
	defer func() { busDevice = old }()
	released := false
	defer func() {
		if !released {
			close(held.hold)
		}
	}()

	bus := filepath.Join(t.TempDir(), "bus")
	k := newKernel(t, Options{})
	for _, step := range []error{
		tunable(t, "net.shmif.bussize").Set(k, 65536),
		k.Create("shmif0"),
		k.SetLinkstr("shmif0", bus),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	busDevice = old
	k2 := newKernel(t, Options{}) // asks for the default size: ignored
	if err := k2.Create("shmif0"); err != nil {
		t.Fatal(err)
	}
	if err := k2.SetLinkstr("shmif0", bus); err != nil {
		t.Fatal(err)
	}
	ro, err := shmif.OpenReadOnly(bus)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := ro.Header()
	ro.Close()
	if h.DataSize != 65536 {
		t.Errorf("bus size: got %d, want 65536 (the first kernel's)", h.DataSize)
	}

	w, err := shmif.Attach(bus)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const sent = 500
	frame := make([]byte, 1000)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5})
	for i := 0; i < sent; i++ {
		if _, err := w.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	// Up only now, so that the kernel's own frames (which its reader
	// skips, and would count as lost if overwritten) come after these.
	if err := k.SetFlags("shmif0", api.IFF_UP); err != nil {
		t.Fatal(err)
	}
	close(held.hold)
	released = true

	var st api.Stats
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := k.Interface("shmif0")
		if err != nil {
			t.Fatal(err)
		}
		st = info.Stats
		if st.IPackets+st.IQDrops >= sent || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st.IPackets+st.IQDrops != sent || st.IQDrops == 0 {
		t.Errorf("got %d received + %d dropped, want %d in all with some dropped", st.IPackets, st.IQDrops, sent)
	}
	if err := k.ZeroStats("shmif0"); err != nil {
		t.Fatal(err)
	}
	if info, _ := k.Interface("shmif0"); info.Stats.IQDrops != 0 {
		t.Errorf("after zeroing: got %d drops, want 0", info.Stats.IQDrops)
	}
}
