package rump

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/shmif"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// wireStats counts the frames a test's wire carried: tagged ones longer
// than a full-sized tagged frame (super-frames), and whether any of them
// had a header whose checksum did not start right after the tag and the
// IP header.
type wireStats struct {
	super, badStart atomic.Int64
}

const fullTagged = header.EthernetMinimumSize + vlanEncapLen + 1500

// see counts frame, with header hdr (nil for none).
func (w *wireStats) see(hdr, frame []byte) {
	if len(frame) <= fullTagged || !isTagged(frame) {
		return
	}
	w.super.Add(1)
	if hdr == nil {
		w.badStart.Add(1) // a super-frame without its header
		return
	}
	h := parseVnetHdr(hdr)
	ipLen := header.IPv6MinimumSize
	if binary.BigEndian.Uint16(frame[16:]) == uint16(header.IPv4ProtocolNumber) {
		ipLen = int(header.IPv4(frame[18:]).HeaderLength())
	}
	if h.flags&vnetFlagNeedsCsum == 0 || int(h.csumStart) != header.EthernetMinimumSize+vlanEncapLen+ipLen {
		w.badStart.Add(1)
	}
}

// seenEnd is a framepipe end that counts what it sends in w, with a
// virtio-net header in front of each frame if vnet.
type seenEnd struct {
	*framepipe.End
	w *wireStats
}

func (s seenEnd) Write(b []byte) (int, error) {
	s.w.see(nil, b)
	return s.End.Write(b)
}

type seenVnetEnd struct {
	vnetEnd
	w *wireStats
}

func (s seenVnetEnd) Writev(bufs [][]byte) (int, error) {
	var b []byte
	for _, d := range bufs {
		b = append(b, d...)
	}
	if len(b) >= vnetHdrLen {
		s.w.see(b[:vnetHdrLen], b[vnetHdrLen:])
	}
	return s.End.Write(b)
}

func (s seenVnetEnd) Write(b []byte) (int, error) { return s.Writev([][]byte{b}) }

// virtPair boots two kernels whose virt0 are the ends of one pipe, with
// a virtio-net header on it if vnet, counting the frames in w.
func virtPair(t *testing.T, vnet bool, w *wireStats) []*Kernel {
	a, b := framepipe.New()
	var ks []*Kernel
	for _, end := range []*framepipe.End{a, b} {
		var dev FrameDevice = seenEnd{end, w}
		if vnet {
			dev = seenVnetEnd{vnetEnd{end}, w}
		}
		k := newKernel(t, Options{OpenTap: func(string) (FrameDevice, error) { return dev, nil }})
		must(t, k.Create("virt0"), k.SetFlags("virt0", api.IFF_UP))
		ks = append(ks, k)
	}
	return ks
}

// busPair boots two kernels on a bus of size bytes (0: the default, which
// carries offloads), counting the frames on it in w until the test ends.
func busPair(t *testing.T, size int, w *wireStats) []*Kernel {
	ks, path := busKernelsSize(t, 2, size)
	bus, err := shmif.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := bus.Follow(false)
	if err != nil {
		t.Fatal(err)
	}
	stop, gone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(gone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if fi, data, ok, _, _ := fl.Next(10 * time.Millisecond); ok {
				w.see(fi.Offload, data)
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-gone; bus.Close() })
	return ks
}

// vlanTCP sends msg from one kernel to dst on another and returns what
// arrived.
func vlanTCP(t *testing.T, from, to *Kernel, dst tcpip.Address, port uint16, msg []byte) []byte {
	t.Helper()
	proto := ipv4.ProtocolNumber
	if dst.Len() == 16 {
		proto = ipv6.ProtocolNumber
	}
	l, err := gonet.ListenTCP(to.Stack(), tcpip.FullAddress{Port: port}, proto)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		done <- b
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := gonet.DialContextTCP(ctx, from.Stack(), tcpip.FullAddress{Addr: dst, Port: port}, proto)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(msg)
	c.Close()
	select {
	case b := <-done:
		return b
	case <-time.After(60 * time.Second):
		t.Fatal("the transfer did not end")
		return nil
	}
}

// TCP through vlan 10 between two kernels arrives whole in both families,
// on a parent that takes offloads (a bus that carries them, virt with a
// virtio-net header) as tagged super-frames whose checksum offset counts
// the tag, and on one that does not (a small bus, virt without the
// header) as tagged frames of at most the MTU.
func TestVlanTCPOffloads(t *testing.T) {
	for _, tc := range []struct {
		name      string
		parent    string
		boot      func(*testing.T, *wireStats) []*Kernel
		wantSuper bool
	}{
		{"bus with offloads", "shmif0", func(t *testing.T, w *wireStats) []*Kernel { return busPair(t, 0, w) }, true},
		{"small bus", "shmif0", func(t *testing.T, w *wireStats) []*Kernel { return busPair(t, shmif.MinSize, w) }, false},
		{"virt with a header", "virt0", func(t *testing.T, w *wireStats) []*Kernel { return virtPair(t, true, w) }, true},
		{"virt without a header", "virt0", func(t *testing.T, w *wireStats) []*Kernel { return virtPair(t, false, w) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w wireStats
			ks := tc.boot(t, &w)
			for i, k := range ks {
				must(t, k.Create("vlan0"), k.SetVlan("vlan0", 10, tc.parent),
					k.AddAddr("vlan0", api.IfAddr{Addr: fmt.Sprintf("10.0.10.%d/24", i+1)}),
					k.AddAddr("vlan0", api.IfAddr{Addr: fmt.Sprintf("fc10::%d/64", i+1)}))
			}
			for _, k := range ks {
				waitUsable(t, k, "vlan0")
			}
			msg := make([]byte, 2<<20)
			rand.New(rand.NewSource(1)).Read(msg)
			for i, dst := range []tcpip.Address{
				tcpip.AddrFrom4([4]byte{10, 0, 10, 2}),
				tcpip.AddrFrom16([16]byte{0: 0xfc, 1: 0x10, 15: 2}),
			} {
				if got := vlanTCP(t, ks[0], ks[1], dst, uint16(7+i), msg); !bytes.Equal(got, msg) {
					t.Errorf("to %s: got %d bytes (a prefix: %v), want the %d sent", dst, len(got), bytes.Equal(got, msg[:min(len(got), len(msg))]), len(msg))
				}
			}
			if got := w.super.Load() > 0; got != tc.wantSuper || w.badStart.Load() != 0 {
				t.Errorf("got %d tagged super-frames on the wire, %d without a right header; want super-frames %v, all with a right header",
					w.super.Load(), w.badStart.Load(), tc.wantSuper)
			}
		})
	}
}

// onBus gives k interface ifname on the bus at path, up, making the bus
// size bytes long if it is new (0: the kernel's bus size, whose default
// carries offloads).
func onBus(t *testing.T, k *Kernel, ifname, path string, size int) {
	t.Helper()
	if size != 0 {
		must(t, k.setBusSize(size))
	}
	must(t, k.Create(ifname), k.SetLinkstr(ifname, path), k.SetFlags(ifname, api.IFF_UP))
}

// vlanKernel boots a kernel whose vlan0, tag vid, on shmif0 on the bus at
// path has address 10.0.0.n/24.
func vlanKernel(t *testing.T, path string, size, vid, n int) *Kernel {
	t.Helper()
	k := newKernel(t, Options{})
	onBus(t, k, "shmif0", path, size)
	must(t, k.Create("vlan0"), k.SetVlan("vlan0", vid, "shmif0"),
		k.AddAddr("vlan0", api.IfAddr{Addr: fmt.Sprintf("10.0.0.%d/24", n)}))
	return k
}

// TCP through bridges arrives whole, the super-frames of a vlan's stack
// going their way: through a bridge of vlans (a member's header moved by
// each tag), through a bridge of the vlans' parents to another bus and to
// a vlan of the bridging kernel's member, and to a bus that takes no
// offloads, where the bridge cuts the tagged super-frames.
func TestVlanBridgedTCP(t *testing.T) {
	msg := make([]byte, 1<<20)
	rand.New(rand.NewSource(2)).Read(msg)
	for _, tc := range []struct {
		name  string
		bus2  int  // size of the second bus
		vlans bool // the bridge's members are vlans, not their parents
		local bool // the bridging kernel has vlan0 on a member, 10.0.0.3
	}{
		{"bridge of vlans", 0, true, false},
		{"bridge of parents", 0, false, true},
		{"bridge of parents to a small bus", shmif.MinSize, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bus1, bus2 := dir+"/bus1", dir+"/bus2"
			vid2 := 10
			if tc.vlans {
				vid2 = 20
			}
			a := vlanKernel(t, bus1, 0, 10, 1)
			c := vlanKernel(t, bus2, tc.bus2, vid2, 2)
			m := newKernel(t, Options{})
			onBus(t, m, "shmif0", bus1, 0)
			onBus(t, m, "shmif1", bus2, 0)
			members := []string{"shmif0", "shmif1"}
			if tc.vlans {
				must(t, m.Create("vlan0"), m.SetVlan("vlan0", 10, "shmif0"), m.SetFlags("vlan0", api.IFF_UP),
					m.Create("vlan1"), m.SetVlan("vlan1", 20, "shmif1"), m.SetFlags("vlan1", api.IFF_UP))
				members = []string{"vlan0", "vlan1"}
			}
			must(t, m.Create("bridge0"))
			if tc.vlans {
				must(t, m.SetMTU("bridge0", 1496)) // as t_vlan does: the vlans' MTU
			}
			for _, mem := range members {
				must(t, m.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: mem}))
			}
			must(t, m.SetFlags("bridge0", api.IFF_UP))
			dsts := []*Kernel{c}
			if tc.local {
				must(t, m.Create("vlan0"), m.SetVlan("vlan0", 10, "shmif0"),
					m.AddAddr("vlan0", api.IfAddr{Addr: "10.0.0.3/24"}))
				dsts = append(dsts, m)
			}
			for i, to := range dsts {
				dst := tcpip.AddrFrom4([4]byte{10, 0, 0, byte(i + 2)})
				if !pingSoon(t, a, dst.String()) {
					t.Fatalf("%s does not answer", dst)
				}
				if got := vlanTCP(t, a, to, dst, uint16(7+i), msg); !bytes.Equal(got, msg) {
					t.Errorf("to %s: got %d bytes (a prefix: %v), want the %d sent", dst, len(got), bytes.Equal(got, msg[:min(len(got), len(msg))]), len(msg))
				}
			}
			for _, mem := range members {
				if info, _ := m.Interface(mem); info.Stats.OErrors != 0 {
					t.Errorf("bridge member %s: got %d output errors, want 0", mem, info.Stats.OErrors)
				}
			}
		})
	}
}

// The tag moves a header's offsets by its length both ways, and leaves
// the segment size and type alone.
func TestVlanHeaderOffsets(t *testing.T) {
	const v4Start = header.EthernetMinimumSize + header.IPv4MinimumSize
	for _, tc := range []struct {
		name   string
		in     vnetHdr
		out    vnetHdr
		backOK bool
	}{
		{"none", vnetHdr{}, vnetHdr{}, true},
		{"data valid", vnetHdr{flags: vnetFlagDataValid}, vnetHdr{flags: vnetFlagDataValid}, true},
		{"partial", vnetHdr{flags: vnetFlagNeedsCsum, csumStart: v4Start, csumOffset: 16},
			vnetHdr{flags: vnetFlagNeedsCsum, csumStart: v4Start + 4, csumOffset: 16}, true},
		{"tcpv4 super", vnetHdr{flags: vnetFlagNeedsCsum, gsoType: vnetGSOTCPv4, hdrLen: v4Start + 32, gsoSize: 1448, csumStart: v4Start, csumOffset: 16},
			vnetHdr{flags: vnetFlagNeedsCsum, gsoType: vnetGSOTCPv4, hdrLen: v4Start + 36, gsoSize: 1448, csumStart: v4Start + 4, csumOffset: 16}, true},
	} {
		if got := tc.in.vlanOut(); got != tc.out {
			t.Errorf("%s out: got %+v, want %+v", tc.name, got, tc.out)
		}
		if got, ok := tc.out.vlanIn(); got != tc.in || ok != tc.backOK {
			t.Errorf("%s in: got %+v %v, want %+v %v", tc.name, got, ok, tc.in, tc.backOK)
		}
	}
	if _, ok := (vnetHdr{flags: vnetFlagNeedsCsum, csumStart: 16}).vlanIn(); ok {
		t.Errorf("a checksum starting inside the tagged Ethernet header: got ok, want refused")
	}
}

// vlanEncapv of a frame in pieces is vlanEncap of the whole, wherever the
// pieces end.
func TestVlanEncapv(t *testing.T) {
	frame := make([]byte, 60)
	for i := range frame {
		frame[i] = byte(i)
	}
	want := vlanEncap(nil, frame, 10)
	for _, cuts := range [][]int{nil, {12}, {14}, {5, 12, 13}, {1, 2, 3, 40}} {
		var parts [][]byte
		last := 0
		for _, c := range cuts {
			parts, last = append(parts, frame[last:c]), c
		}
		parts = append(parts, frame[last:])
		if got := vlanEncapv(nil, parts, 10); !bytes.Equal(got, want) {
			t.Errorf("cut at %v: got %x, want %x", cuts, got, want)
		}
	}
}

// A tagged super-frame is cut into tagged segments with complete
// checksums; one with a second tag inside is refused, not cut.
func TestVlanNormaliseTagged(t *testing.T) {
	inner := tcpFrame(false, make([]byte, 3000), header.TCPFlagAck)
	h, ok := superVnetHdr(inner, 1500)
	if !ok || !setPseudoChecksum(inner, h) {
		t.Fatal("no super-frame header")
	}
	for _, tc := range []struct {
		name  string
		frame []byte
		want  int // segments, -1 for refused
	}{
		{"tagged", vlanEncap(nil, inner, 10), 3},
		{"two tags", vlanEncap(nil, vlanEncap(nil, inner, 10), 20), -1},
	} {
		n := 0
		ok := normalise(h.vlanOut(), tc.frame, nil, func(seg []byte) {
			n++
			_, untagged, tagged := vlanDecap(nil, seg)
			if !tagged || len(seg) > fullTagged {
				t.Errorf("%s: segment %d: got %d bytes, tagged %v, want a tagged frame of the MTU", tc.name, n, len(seg), tagged)
				return
			}
			tcp := header.TCP(untagged[header.EthernetMinimumSize+header.IPv4MinimumSize:])
			ip := header.IPv4(untagged[header.EthernetMinimumSize:])
			if !tcp.IsChecksumValid(ip.SourceAddress(), ip.DestinationAddress(), checksum.Checksum(tcp.Payload(), 0), uint16(len(tcp.Payload()))) {
				t.Errorf("%s: segment %d: bad TCP checksum", tc.name, n)
			}
		})
		if got := map[bool]int{true: n, false: -1}[ok]; got != tc.want {
			t.Errorf("%s: got %d segments, want %d", tc.name, got, tc.want)
		}
	}
}

// recDev is a device with a virtio-net header that keeps what is written
// to it (header and frame) and has nothing to read.
type recDev struct {
	writes [][]byte
	closed chan struct{}
}

func (d *recDev) Read([]byte) (int, error) { <-d.closed; return 0, io.EOF }
func (d *recDev) Readv([][]byte) (int, error) {
	<-d.closed
	return 0, io.EOF
}
func (d *recDev) Write(b []byte) (int, error) { return d.Writev([][]byte{b}) }
func (d *recDev) Writev(bufs [][]byte) (int, error) {
	var b []byte
	for _, s := range bufs {
		b = append(b, s...)
	}
	d.writes = append(d.writes, b)
	return len(b), nil
}
func (d *recDev) Close() error    { close(d.closed); return nil }
func (d *recDev) VnetHdrLen() int { return vnetHdrLen }

// A vlan's super-frame goes to a parent with offloads whole, unless the
// tag makes it longer than the parent takes: then it is cut into tagged
// segments of the MTU.
func TestVlanTooLongSuperFrame(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload int
		whole   bool
	}{
		{"fits", 60000, true},
		{"one tag too long", 65535 - 40 - 3, false},
	} {
		d := &recDev{closed: make(chan struct{})}
		e := newEthEndpoint("\x02\x00\x00\x00\x00\x01", 1500)
		e.SetDevice(d)
		e.running.Store(true)
		f := tcpFrame(false, make([]byte, tc.payload), header.TCPFlagAck)
		h, _ := superVnetHdr(f, 1500)
		setPseudoChecksum(f, h)
		e.sendTagged(h, [][]byte{f[:20], f[20:]}, len(f), 10)
		e.SetDevice(nil)
		long := 0
		for _, w := range d.writes {
			if len(w)-vnetHdrLen > fullTagged {
				long++
			}
			if !isTagged(w[vnetHdrLen:]) {
				t.Errorf("%s: a frame without its tag", tc.name)
			}
		}
		if got := long == 1 && len(d.writes) == 1; got != tc.whole || len(d.writes) == 0 {
			t.Errorf("%s: got %d writes, %d longer than the MTU; want whole %v", tc.name, len(d.writes), long, tc.whole)
		}
	}
}
