package rump

import (
	"bytes"
	"math/rand"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/shmif"
	"gvisor.dev/gvisor/pkg/tcpip"
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

// The bus copies a kernel only the frames its receive filter could take
// and its stack keep: to its address, broadcasts, IP multicast to groups
// it is in and other multicast, or any while promiscuous, a bridge member
// or captured; a frame too short for a header goes up to be counted. The
// reader sleeps for its own address's frames only when it takes no others.
func TestShmifWantsBusFrame(t *testing.T) {
	mac := tcpip.LinkAddress("\xb2\xa0\x01\x02\x03\x04")
	other := "\xb2\xa0\x05\x06\x07\x08"
	eth := func(dst string) []byte { return append([]byte(dst), "\xb2\xa0\x09\x09\x09\x09\x08\x00"...) }
	ip6 := func(dst string) []byte {
		f := make([]byte, 14+40+8)
		a := netip.MustParseAddr(dst).As16()
		copy(f, "\x33\x33"+string(a[12:]))
		f[12], f[13], f[14] = 0x86, 0xdd, 0x60
		copy(f[14+8:], netip.MustParseAddr("fe80::1").AsSlice())
		copy(f[14+24:], a[:])
		return f
	}
	ip4 := func(dst string) []byte {
		f := make([]byte, 14+20+8)
		a := netip.MustParseAddr(dst).As4()
		copy(f, []byte{1, 0, 0x5e, a[1] & 0x7f, a[2], a[3]})
		f[12], f[13], f[14] = 0x08, 0x00, 0x45
		copy(f[14+16:], a[:])
		return f
	}
	joined := map[tcpip.Address]bool{}
	for _, g := range []string{"ff02::1:ff03:0304", "ff05::1234", "239.1.2.3"} {
		joined[tcpip.AddrFromSlice(netip.MustParseAddr(g).AsSlice())] = true
	}
	inGroup := func(a tcpip.Address) bool { return joined[a] }
	promisc := func(e *ethEndpoint) { e.promisc.Store(true) }
	for _, tc := range []struct {
		name  string
		set   func(e *ethEndpoint)
		frame []byte
		want  bool
		wake  bool // the reader sleeps for its own address
	}{
		{"to its address", nil, eth(string(mac)), true, true},
		{"broadcast", nil, eth("\xff\xff\xff\xff\xff\xff"), true, true},
		{"multicast, too short to tell", nil, eth("\x33\x33\x00\x00\x00\x01"), true, true},
		{"to another", nil, eth(other), false, true},
		{"short", nil, []byte{0xb2, 0xa0, 5}, true, true},
		{"all nodes", nil, ip6("ff02::1"), true, true},
		{"own solicited-node group", nil, ip6("ff02::1:ff03:0304"), true, true},
		{"another's solicited-node group", nil, ip6("ff02::1:ff07:0809"), false, true},
		{"MLDv2 report", nil, ip6("ff02::16"), false, true},
		{"joined inet6 group", nil, ip6("ff05::1234"), true, true},
		{"all hosts", nil, ip4("224.0.0.1"), true, true},
		{"IGMPv3 report", nil, ip4("224.0.0.22"), false, true},
		{"joined inet group", nil, ip4("239.1.2.3"), true, true},
		{"not IP", nil, append([]byte("\x01\x80\xc2\x00\x00\x00\xb2\xa0\x09\x09\x09\x09\x88\xcc"), make([]byte, 50)...), true, true},
		{"another's solicited-node group, proxy NDP", func(e *ethEndpoint) { e.proxy6.Store(&proxyNDPTable{}) }, ip6("ff02::1:ff07:0809"), true, true},
		{"to another, promiscuous", promisc, eth(other), true, false},
		{"MLDv2 report, promiscuous", promisc, ip6("ff02::16"), true, false},
		{"to another, bridge member", func(e *ethEndpoint) { e.bridge.Store(&bridgeHook{}) }, eth(other), true, false},
		{"MLDv2 report, bridge member", func(e *ethEndpoint) { e.bridge.Store(&bridgeHook{}) }, ip6("ff02::16"), true, false},
		{"to another, captured", func(e *ethEndpoint) { e.taps.list.Store(&[]*Capture{}) }, eth(other), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEthEndpoint(mac, 1500)
			if tc.set != nil {
				tc.set(e)
			}
			if got := e.wantsBusFrame(tc.frame, inGroup); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if got, ok := e.busWakeAddr(); ok != tc.wake || ok && string(got[:]) != string(mac) {
				t.Errorf("wake address: got %x, %v, want %x, %v", got, ok, mac, tc.wake)
			}
		})
	}
}

// heldOffload is a bus port's offloading view whose reads wait while
// hold is open.
type heldOffload struct {
	shmif.OffloadPort
	hold chan struct{}
}

func (h *heldOffload) Read(b []byte) (int, error) {
	<-h.hold
	return h.OffloadPort.Read(b)
}

func (h *heldOffload) Readv(b [][]byte) (int, error) {
	<-h.hold
	return h.OffloadPort.Readv(b)
}

// A kernel whose reader stalls while offloaded super-frames lap the ring
// counts the ones it missed as input drops, as with plain frames: what it
// received and what it dropped add up to what was sent.
func TestShmifLappedKernelCountsLostSuperFrames(t *testing.T) {
	held := &heldOffload{hold: make(chan struct{})}
	old := busDevice
	busDevice = func(p *shmif.Port) FrameDevice {
		o, ok := p.Offload()
		if !ok {
			t.Error("got a bus without offloads, want one with")
		}
		held.OffloadPort = o
		return held
	}
	defer func() { busDevice = old }()
	released := false
	defer func() {
		if !released {
			close(held.hold)
		}
	}()
	bus := filepath.Join(t.TempDir(), "bus")
	k := newKernel(t, Options{})
	if err := k.Create("shmif0"); err != nil {
		t.Fatal(err)
	}
	if err := k.SetLinkstr("shmif0", bus); err != nil {
		t.Fatal(err)
	}
	busDevice = old
	w, err := shmif.Attach(bus)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ow, _ := w.Offload()
	const sent = 60
	hdr := []byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0} // DATA_VALID: an offloaded frame
	frame := make([]byte, 60000)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5})
	for i := 0; i < sent; i++ {
		if _, err := ow.Writev([][]byte{hdr, frame}); err != nil {
			t.Fatal(err)
		}
	}
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
}

// An interface with a group test (virt's) takes in IP multicast only for
// the groups it is in, and everything while promiscuous; one without it
// (shmif's, whose bus reader filters) takes every group frame.
func TestDeliverFiltersGroups(t *testing.T) {
	mac := tcpip.LinkAddress("\xb2\xa0\x01\x02\x03\x04")
	report := make([]byte, 14+40+8) // an MLDv2 report to ff02::16
	copy(report, "\x33\x33\x00\x00\x00\x16\xb2\xa0\x09\x09\x09\x09\x86\xdd\x60")
	copy(report[14+24:], netip.MustParseAddr("ff02::16").AsSlice())
	joined := append([]byte(nil), report...)
	copy(joined, "\x33\x33\x00\x00\x12\x34")
	copy(joined[14+24:], netip.MustParseAddr("ff05::1234").AsSlice())
	inGroup := func(a tcpip.Address) bool {
		return a == tcpip.AddrFromSlice(netip.MustParseAddr("ff05::1234").AsSlice())
	}
	for _, tc := range []struct {
		name    string
		inGroup func(tcpip.Address) bool
		promisc bool
		frame   []byte
		want    uint64
	}{
		{"group not joined", inGroup, false, report, 0},
		{"group joined", inGroup, false, joined, 1},
		{"group not joined, promiscuous", inGroup, true, report, 1},
		{"no group test", nil, false, report, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEthEndpoint(mac, 1500)
			e.running.Store(true)
			e.promisc.Store(tc.promisc)
			e.inGroup = tc.inGroup
			e.deliver(tc.frame, nil, vnetHdr{})
			if got := e.stats.imcasts.Load(); got != tc.want {
				t.Errorf("multicast frames taken in: got %d, want %d", got, tc.want)
			}
		})
	}
}
