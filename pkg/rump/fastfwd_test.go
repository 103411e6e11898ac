package rump

import (
	"bytes"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// A router kernel: virt0 on wire A (10.1.0.1/24, fc01::1/64), virt1 on
// wire B (10.2.0.1/24, fc02::1/64), both with virtio-net headers, IPv4 and
// IPv6 forwarding on, and static neighbours on each wire.
var (
	hostA4, hostB4 = tcpip.AddrFrom4([4]byte{10, 1, 0, 2}), tcpip.AddrFrom4([4]byte{10, 2, 0, 2})
	hostA6         = tcpip.AddrFrom16([16]byte{0xfc, 0x01, 15: 2})
	hostB6         = tcpip.AddrFrom16([16]byte{0xfc, 0x02, 15: 2})
	macA, macB     = "\x02\x00\x00\x00\x00\x0a", "\x02\x00\x00\x00\x00\x0b"
)

// wire is the far end of one of the router's taps: what the router sends
// arrives on frames, header first.
type wire struct {
	end    *framepipe.End
	frames chan []byte
}

func (w wire) send(h vnetHdr, frame []byte) {
	b := make([]byte, vnetHdrLen, vnetHdrLen+len(frame))
	h.put(b)
	w.end.Write(append(b, frame...))
}

// next returns the next frame the router sends that match takes, with its
// header, or fails the test.
func (w wire) next(t *testing.T, match func([]byte) bool) (vnetHdr, []byte) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case b := <-w.frames:
			if match(b[vnetHdrLen:]) {
				return parseVnetHdr(b), b[vnetHdrLen:]
			}
		case <-deadline:
			t.Fatal("no such frame from the router")
		}
	}
}

func routerKernel(t *testing.T) (*Kernel, wire, wire) {
	t.Helper()
	ends := map[string]*framepipe.End{}
	wires := map[string]wire{}
	for _, tap := range []string{"tap0", "tap1"} {
		a, b := framepipe.New()
		ends[tap] = a
		w := wire{end: b, frames: make(chan []byte, 256)}
		wires[tap] = w
		t.Cleanup(func() { b.Close() })
		go func() {
			for {
				buf := make([]byte, maxVnetFrame)
				n, err := b.Read(buf)
				if err != nil {
					return
				}
				select {
				case w.frames <- buf[:n]:
				default: // nobody is looking: dropped
				}
			}
		}()
	}
	k := newKernel(t, Options{OpenTap: func(name string) (FrameDevice, error) { return vnetEnd{ends[name]}, nil }})
	setup(t, k.Create("virt0"), k.Create("virt1"),
		k.AddAddr("virt0", api.IfAddr{Addr: "10.1.0.1/24"}), k.AddAddr("virt0", api.IfAddr{Addr: "fc01::1/64"}),
		k.AddAddr("virt1", api.IfAddr{Addr: "10.2.0.1/24"}), k.AddAddr("virt1", api.IfAddr{Addr: "fc02::1/64"}),
		tunable(t, "net.inet6.ip6.forwarding").Set(k, 1),
		k.AddNeighbor(4, api.Neighbor{Addr: "10.1.0.2", LinkAddr: "02:00:00:00:00:0a", Interface: "virt0"}),
		k.AddNeighbor(4, api.Neighbor{Addr: "10.2.0.2", LinkAddr: "02:00:00:00:00:0b", Interface: "virt1"}),
		k.AddNeighbor(6, api.Neighbor{Addr: "fc01::2", LinkAddr: "02:00:00:00:00:0a", Interface: "virt0"}),
		k.AddNeighbor(6, api.Neighbor{Addr: "fc02::2", LinkAddr: "02:00:00:00:00:0b", Interface: "virt1"}))
	a, b := wires["tap0"], wires["tap1"]
	waitUsable(t, k, "virt0")
	waitUsable(t, k, "virt1")
	// Until the router's addresses are usable, send a datagram through it
	// again and again.
	v0, _ := k.Interface("virt0")
	warm := fwdFrame(false, macBytes(v0.Address), 64, header.UDPProtocolNumber, []byte("warm"))
	ok := eventually(func() bool {
		a.send(vnetHdr{}, warm)
		select {
		case <-b.frames:
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})
	if !ok {
		t.Fatal("the router never forwarded a datagram from A to B")
	}
	// Frames through the router keep their order: once a marker is
	// through, so is every datagram sent before it, and the counters
	// have stopped moving.
	a.send(vnetHdr{}, fwdFrame(false, macBytes(v0.Address), 64, header.UDPProtocolNumber, []byte("marker")))
	b.next(t, func(g []byte) bool { return bytes.HasSuffix(g, []byte("marker")) })
	return k, a, b
}

// fwdFrame builds a frame from host A to host B through the router (to
// MAC dst): TCP (or UDP) with payload, TTL (hop limit) ttl, DF set, and
// every checksum right.
func fwdFrame(v6 bool, dst string, ttl uint8, proto tcpip.TransportProtocolNumber, payload []byte) []byte {
	const eth = header.EthernetMinimumSize
	ipLen, l3, src, to := header.IPv4MinimumSize, header.IPv4ProtocolNumber, hostA4, hostB4
	if v6 {
		ipLen, l3, src, to = header.IPv6MinimumSize, header.IPv6ProtocolNumber, hostA6, hostB6
	}
	l4 := header.UDPMinimumSize
	if proto == header.TCPProtocolNumber {
		l4 = header.TCPMinimumSize
	}
	f := make([]byte, eth+ipLen+l4+len(payload))
	header.Ethernet(f).Encode(&header.EthernetFields{Type: l3, SrcAddr: tcpip.LinkAddress(macA), DstAddr: tcpip.LinkAddress(dst)})
	if v6 {
		header.IPv6(f[eth:]).Encode(&header.IPv6Fields{PayloadLength: uint16(l4 + len(payload)),
			TransportProtocol: proto, HopLimit: ttl, SrcAddr: src, DstAddr: to})
	} else {
		ip := header.IPv4(f[eth:])
		ip.Encode(&header.IPv4Fields{TotalLength: uint16(ipLen + l4 + len(payload)), ID: 7, TTL: ttl,
			Flags: header.IPv4FlagDontFragment, Protocol: uint8(proto), SrcAddr: src, DstAddr: to})
		ip.SetChecksum(^ip.CalculateChecksum())
	}
	tp := f[eth+ipLen:]
	copy(tp[l4:], payload)
	sum := header.PseudoHeaderChecksum(proto, src, to, uint16(l4+len(payload)))
	if proto == header.TCPProtocolNumber {
		t := header.TCP(tp)
		t.Encode(&header.TCPFields{SrcPort: 5000, DstPort: 5001, SeqNum: 1000, DataOffset: header.TCPMinimumSize,
			Flags: header.TCPFlagAck, WindowSize: 100})
		t.SetChecksum(^checksum.Checksum(tp, sum))
	} else {
		u := header.UDP(tp)
		u.Encode(&header.UDPFields{SrcPort: 5000, DstPort: 5001, Length: uint16(l4 + len(payload))})
		u.SetChecksum(^checksum.Checksum(tp, sum))
	}
	return f
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// ipPayload is the IP payload of frame (TCP or UDP header and data).
func ipPayload(frame []byte) []byte {
	f := frame[header.EthernetMinimumSize:]
	if header.Ethernet(frame).Type() == header.IPv6ProtocolNumber {
		return f[header.IPv6MinimumSize:]
	}
	return f[header.IPv4(f).HeaderLength():header.IPv4(f).TotalLength()]
}

func ttlOf(frame []byte) uint8 {
	if header.Ethernet(frame).Type() == header.IPv6ProtocolNumber {
		return header.IPv6(frame[header.EthernetMinimumSize:]).HopLimit()
	}
	return header.IPv4(frame[header.EthernetMinimumSize:]).TTL()
}

// TestFastForward: packets routed from one tap to another arrive on the far
// wire as they were sent, bar the Ethernet addresses and a TTL (hop limit)
// one less, both families, plain frames and TCP super-frames alike; a
// super-frame leaves whole with the virtio-net header it came with, for the
// host to cut, and a partial checksum stays partial. Each counts as the
// packets it is on the wire in the forwarded counter.
func TestFastForward(t *testing.T) {
	k, a, b := routerKernel(t)
	v0, _ := k.Interface("virt0")
	v1, _ := k.Interface("virt1")
	router, out := macBytes(v0.Address), macBytes(v1.Address)
	const tcp, udp = header.TCPProtocolNumber, header.UDPProtocolNumber
	tests := []struct {
		name  string
		v6    bool
		proto tcpip.TransportProtocolNumber
		size  int
		h     vnetHdr
		fwd   uint64 // packets counted forwarded
	}{
		{"inet udp", false, udp, 1000, vnetHdr{}, 1},
		{"inet tcp", false, tcp, 1400, vnetHdr{}, 1},
		{"inet tcp data valid", false, tcp, 1400, vnetHdr{flags: vnetFlagDataValid}, 1},
		{"inet tcp super-frame", false, tcp, 4000, vnetHdr{flags: vnetFlagNeedsCsum, gsoType: vnetGSOTCPv4, gsoSize: 1448}, 3},
		{"inet6 udp", true, udp, 1000, vnetHdr{}, 1},
		{"inet6 tcp", true, tcp, 1400, vnetHdr{}, 1},
		{"inet6 tcp super-frame", true, tcp, 5000, vnetHdr{flags: vnetFlagNeedsCsum, gsoType: vnetGSOTCPv6, gsoSize: 1000}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := pattern(tt.size)
			f := fwdFrame(tt.v6, router, 64, tt.proto, payload)
			h := tt.h
			if h.gsoType != vnetGSONone {
				ipLen := header.IPv4MinimumSize
				if tt.v6 {
					ipLen = header.IPv6MinimumSize
				}
				h.hdrLen = uint16(header.EthernetMinimumSize + ipLen + header.TCPMinimumSize)
				h.csumStart, h.csumOffset = uint16(header.EthernetMinimumSize+ipLen), header.TCPChecksumOffset
				if !setPseudoChecksum(f, h) {
					t.Fatal("setPseudoChecksum")
				}
			}
			want := append([]byte(nil), ipPayload(f)...)
			before := k.NetStats()
			a.send(h, f)
			gotH, got := b.next(t, func(g []byte) bool {
				return len(g) > 100 && header.Ethernet(g).Type() == header.Ethernet(f).Type()
			})
			if d := header.Ethernet(got).DestinationAddress(); string(d) != macB {
				t.Errorf("destination MAC: got %v, want %v", d, tcpip.LinkAddress(macB))
			}
			if s := header.Ethernet(got).SourceAddress(); string(s) != out {
				t.Errorf("source MAC: got %v, want virt1's %v", s, v1.Address)
			}
			if g := ttlOf(got); g != 63 {
				t.Errorf("TTL: got %d, want 63", g)
			}
			if !tt.v6 && !header.IPv4(got[header.EthernetMinimumSize:]).IsChecksumValid() {
				t.Error("IPv4 header checksum: got invalid, want valid")
			}
			if !bytes.Equal(ipPayload(got), want) {
				t.Errorf("transport header and data: got %d bytes, want the %d sent", len(ipPayload(got)), len(want))
			}
			wantH := h
			wantH.flags &^= vnetFlagDataValid
			if gotH != wantH {
				t.Errorf("virtio-net header: got %+v, want %+v", gotH, wantH)
			}
			fwd := func(s api.NetStats) uint64 {
				if tt.v6 {
					return s.IP6.Forwarded
				}
				return s.IP.Forwarded
			}
			// The path counts a packet once its write has returned, which
			// may be after the frame has reached b: wait for the count.
			n := fwd(k.NetStats()) - fwd(before)
			for deadline := time.Now().Add(10 * time.Second); n < tt.fwd && time.Now().Before(deadline); n = fwd(k.NetStats()) - fwd(before) {
				time.Sleep(time.Millisecond)
			}
			if n != tt.fwd {
				t.Errorf("forwarded: got %d more, want %d", n, tt.fwd)
			}
		})
	}
}

// TestFastForwardLeavesErrors: what the fast path may not send on still
// gets the stack's answer: ICMP time exceeded for TTL (hop limit) 1, and
// "fragmentation needed" ("packet too big") with the outgoing MTU for a
// packet, or a super-frame's segment, bigger than it.
func TestFastForwardLeavesErrors(t *testing.T) {
	k, a, _ := routerKernel(t)
	setup(t, k.SetMTU("virt1", 1280))
	v0, _ := k.Interface("virt0")
	router := macBytes(v0.Address)
	tests := []struct {
		name    string
		v6      bool
		ttl     uint8
		size    int
		gso     uint16
		typ     uint8 // ICMP type (ICMPv6 for v6)
		mtu     uint32
		forward bool // the stack's IPv4 forwarding path answers
	}{
		{"inet ttl 1", false, 1, 100, 0, uint8(header.ICMPv4TimeExceeded), 0, false},
		{"inet too big", false, 64, 1400, 0, uint8(header.ICMPv4DstUnreachable), 1280, true},
		{"inet super-frame, segments too big", false, 64, 4000, 1400, uint8(header.ICMPv4DstUnreachable), 1280, true},
		{"inet6 hop limit 1", true, 1, 100, 0, uint8(header.ICMPv6TimeExceeded), 0, false},
		{"inet6 too big", true, 64, 1400, 0, uint8(header.ICMPv6PacketTooBig), 1280, false},
		{"inet6 super-frame, segments too big", true, 64, 4000, 1400, uint8(header.ICMPv6PacketTooBig), 1280, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.forward {
				skipInetForwardingRace(t)
			}
			f := fwdFrame(tt.v6, router, tt.ttl, header.TCPProtocolNumber, pattern(tt.size))
			var h vnetHdr
			if tt.gso != 0 {
				h = vnetHdr{gsoType: vnetGSOTCPv4, gsoSize: tt.gso, hdrLen: 54}
				if tt.v6 {
					h = vnetHdr{gsoType: vnetGSOTCPv6, gsoSize: tt.gso, hdrLen: 74}
				}
			}
			a.send(h, f)
			_, got := a.next(t, func(g []byte) bool { return icmpError(g, tt.v6) })
			typ, mtu := icmpTypeMTU(got, tt.v6)
			if typ != tt.typ || mtu != tt.mtu {
				t.Errorf("ICMP error: got type %d MTU %d, want type %d MTU %d", typ, mtu, tt.typ, tt.mtu)
			}
			if tt.v6 {
				ip := header.IPv6(got[header.EthernetMinimumSize:])
				m := ip.Payload()
				sum := header.PseudoHeaderChecksum(header.ICMPv6ProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(m)))
				if s := checksum.Checksum(m, sum); s != 0xffff {
					t.Errorf("ICMPv6 checksum: got sum %#x, want 0xffff", s)
				}
			}
		})
	}
}

// icmpError reports whether frame carries an ICMP error (to host A).
func icmpError(frame []byte, v6 bool) bool {
	const eth = header.EthernetMinimumSize
	if len(frame) < eth+header.IPv6MinimumSize+8 {
		return false
	}
	if v6 {
		ip := header.IPv6(frame[eth:])
		if header.Ethernet(frame).Type() != header.IPv6ProtocolNumber || ip.NextHeader() != uint8(header.ICMPv6ProtocolNumber) {
			return false
		}
		t := header.ICMPv6(ip.Payload()).Type()
		return t == header.ICMPv6TimeExceeded || t == header.ICMPv6PacketTooBig
	}
	ip := header.IPv4(frame[eth:])
	if header.Ethernet(frame).Type() != header.IPv4ProtocolNumber || ip.Protocol() != uint8(header.ICMPv4ProtocolNumber) {
		return false
	}
	t := header.ICMPv4(ip.Payload()).Type()
	return t == header.ICMPv4TimeExceeded || t == header.ICMPv4DstUnreachable
}

func icmpTypeMTU(frame []byte, v6 bool) (uint8, uint32) {
	const eth = header.EthernetMinimumSize
	if v6 {
		m := header.ICMPv6(header.IPv6(frame[eth:]).Payload())
		return uint8(m.Type()), m.MTU()
	}
	m := header.ICMPv4(header.IPv4(frame[eth:]).Payload())
	return uint8(m.Type()), uint32(m.MTU())
}
