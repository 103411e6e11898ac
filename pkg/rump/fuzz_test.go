package rump

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/refs"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// seedFrames are realistic frames for the frame path's fuzz targets.
func seedFrames() [][]byte {
	mac := []byte{0xb2, 0x0a, 0x01, 0x0b, 0x0e, 0x00}
	arp := make([]byte, 60)
	copy(arp, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06,
		0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2})
	unicast := tcpFrame(false, []byte("hello"), header.TCPFlagAck|header.TCPFlagPsh)
	copy(unicast, mac)
	super4 := tcpFrame(false, bytes.Repeat([]byte("x"), 5000), header.TCPFlagAck|header.TCPFlagFin)
	super6 := tcpFrame(true, bytes.Repeat([]byte("y"), 3000), header.TCPFlagAck)
	padded := append(tcpFrame(false, nil, header.TCPFlagAck), 0, 0, 0, 0, 0, 0)
	return [][]byte{arp, unicast, super4, super6, padded, {}, mac}
}

// FuzzSegmentTCP cuts arbitrary frames as super-frames: it must not panic,
// and what it emits must be well-formed TCP segments, each within the MSS,
// with correct lengths and checksums, that together carry exactly the
// original segment's payload (as its IP header declares it) in order.
func FuzzSegmentTCP(f *testing.F) {
	for _, fr := range seedFrames() {
		f.Add(fr, uint16(1448))
		f.Add(fr, uint16(1))
	}
	f.Fuzz(func(t *testing.T, frame []byte, mss uint16) {
		in := append([]byte(nil), frame...)
		var payload []byte
		var nextSeq uint32
		first, last := true, false
		ok := segmentTCP(in, int(mss), nil, func(seg []byte) {
			if last {
				t.Fatalf("a segment after one with FIN or PSH")
			}
			ipLen, tcpLen, v4, src, dst, ok := segHeaders(seg)
			if !ok {
				t.Fatalf("emitted a segment without TCP headers: % x", seg)
			}
			hdrEnd := header.EthernetMinimumSize + ipLen + tcpLen
			n := len(seg) - hdrEnd
			if n > int(mss) {
				t.Fatalf("got %d bytes of payload, want at most the MSS %d", n, mss)
			}
			if v4 {
				ip := header.IPv4(seg[header.EthernetMinimumSize:])
				if got, want := int(ip.TotalLength()), len(seg)-header.EthernetMinimumSize; got != want {
					t.Fatalf("IPv4 total length: got %d, want %d", got, want)
				}
				if !ip.IsChecksumValid() {
					t.Fatalf("IPv4 header checksum is wrong")
				}
			} else {
				ip := header.IPv6(seg[header.EthernetMinimumSize:])
				if got, want := int(ip.PayloadLength()), len(seg)-header.EthernetMinimumSize-header.IPv6MinimumSize; got != want {
					t.Fatalf("IPv6 payload length: got %d, want %d", got, want)
				}
			}
			tcp := seg[header.EthernetMinimumSize+ipLen:]
			sum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, src, dst, uint16(len(tcp)))
			if checksum.Checksum(tcp, sum) != 0xffff {
				t.Fatalf("TCP checksum is wrong")
			}
			seq := header.TCP(tcp).SequenceNumber()
			if !first && seq != nextSeq {
				t.Fatalf("sequence number: got %d, want %d", seq, nextSeq)
			}
			first, nextSeq = false, seq+uint32(n)
			if header.TCP(tcp).Flags()&(header.TCPFlagFin|header.TCPFlagPsh) != 0 {
				last = true
			}
			payload = append(payload, seg[hdrEnd:]...)
		})
		if !ok {
			return
		}
		want := declaredTCPPayload(t, frame)
		if !bytes.Equal(payload, want) {
			t.Fatalf("the segments carry %d bytes, want the original %d", len(payload), len(want))
		}
	})
}

// declaredTCPPayload is the TCP payload of a frame segmentTCP accepted, as
// its IP header's length declares it.
func declaredTCPPayload(t *testing.T, frame []byte) []byte {
	ipLen, tcpLen, v4, _, _, ok := segHeaders(frame)
	if !ok {
		t.Fatalf("segmentTCP accepted a frame without TCP headers")
	}
	end := header.EthernetMinimumSize + header.IPv6MinimumSize + int(header.IPv6(frame[header.EthernetMinimumSize:]).PayloadLength())
	if v4 {
		end = header.EthernetMinimumSize + int(header.IPv4(frame[header.EthernetMinimumSize:]).TotalLength())
	}
	if end > len(frame) {
		t.Fatalf("segmentTCP accepted a frame shorter (%d) than its IP header says (%d)", len(frame), end)
	}
	return frame[header.EthernetMinimumSize+ipLen+tcpLen : end]
}

// segHeaders is tcpHeaders for a frame of any size.
func segHeaders(f []byte) (ipLen, tcpLen int, v4 bool, src, dst tcpip.Address, ok bool) {
	const eth = header.EthernetMinimumSize
	if len(f) < eth+header.IPv4MinimumSize {
		return
	}
	switch header.Ethernet(f).Type() {
	case header.IPv4ProtocolNumber:
		ip := header.IPv4(f[eth:])
		ipLen, v4, src, dst = int(ip.HeaderLength()), true, ip.SourceAddress(), ip.DestinationAddress()
		if ipLen < header.IPv4MinimumSize || ip.Protocol() != uint8(header.TCPProtocolNumber) {
			return
		}
	case header.IPv6ProtocolNumber:
		if len(f) < eth+header.IPv6MinimumSize {
			return
		}
		ip := header.IPv6(f[eth:])
		ipLen, src, dst = header.IPv6MinimumSize, ip.SourceAddress(), ip.DestinationAddress()
	default:
		return
	}
	if len(f) < eth+ipLen+header.TCPMinimumSize {
		return
	}
	tcpLen = int(header.TCP(f[eth+ipLen:]).DataOffset())
	ok = tcpLen >= header.TCPMinimumSize && eth+ipLen+tcpLen <= len(f)
	return
}

// FuzzVnetHeader feeds arbitrary virtio-net headers and frames through
// the offload checks (normalise, completeChecksum, the super-frame header
// for a wire) and into a kernel's stack the way a tap's frames go, with
// forwarding off and on: nothing may panic or leak a packet, and the
// header must survive a round trip.
func FuzzVnetHeader(f *testing.F) {
	for _, fr := range seedFrames() {
		f.Add(make([]byte, vnetHdrLen), fr, false)
		super := []byte{vnetFlagNeedsCsum, vnetGSOTCPv4, 54, 0, 0xa8, 5, 34, 0, 16, 0}
		f.Add(super, fr, true)
		f.Add([]byte{vnetFlagDataValid, 0, 0, 0, 0, 0, 0, 0, 0, 0}, fr, false)
		f.Add([]byte{vnetFlagNeedsCsum, vnetGSOTCPv6 | vnetGSOECN, 74, 0, 1, 0, 54, 0, 16, 0}, fr, true)
	}
	k := newKernel(f, Options{})
	for _, err := range []error{
		k.Create("virt0"),
		k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}),
		k.AddAddr("virt0", api.IfAddr{Addr: "fc00::2/64"}),
	} {
		if err != nil {
			f.Fatal(err)
		}
	}
	var eth *ethEndpoint
	k.withInterface("virt0", func(ifp *Interface) error { eth = ifp.eth; return nil })
	scratch := make([]byte, maxVnetFrame)
	f.Fuzz(func(t *testing.T, hb []byte, frame []byte, forward bool) {
		if len(hb) < vnetHdrLen || len(frame) > maxVnetFrame-vnetHdrLen {
			return
		}
		h := parseVnetHdr(hb)
		var back [vnetHdrLen]byte
		h.put(back[:])
		if !bytes.Equal(back[:], hb[:vnetHdrLen]) {
			t.Fatalf("header round trip: got % x, want % x", back, hb[:vnetHdrLen])
		}
		normalise(h, append([]byte(nil), frame...), nil, func([]byte) {})
		if mtu := 1500; len(frame) > mtu+header.EthernetMinimumSize {
			if sh, ok := superVnetHdr(frame, mtu); ok {
				cp := append([]byte(nil), frame...)
				if !setPseudoChecksum(cp, sh) {
					t.Fatalf("superVnetHdr accepted a frame setPseudoChecksum refuses")
				}
				if int(sh.gsoSize) > mtu {
					t.Fatalf("segment size %d above the MTU %d", sh.gsoSize, mtu)
				}
			}
		}
		if h.gsoType != vnetGSONone && h.gsoSize > 0 && len(frame)/int(h.gsoSize) > 64 {
			// Thousands of segments, each through the stack, make an input
			// too slow to minimise; the cutting itself was run above.
			return
		}
		k.forwarding4.Store(forward)
		k.forwarding6.Store(forward)
		eth.receiveVnet(h, append([]byte(nil), frame...), scratch)
	})
}

// recordingDispatcher is a stack.NetworkDispatcher that counts what it is
// given and keeps a copy of the last packet.
type recordingDispatcher struct {
	n    int
	last []byte
}

func (d *recordingDispatcher) DeliverNetworkPacket(_ tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	d.n++
	v := pkt.ToView()
	d.last = append([]byte(nil), v.AsSlice()...)
	v.Release()
}

func (d *recordingDispatcher) DeliverLinkPacket(tcpip.NetworkProtocolNumber, *stack.PacketBuffer) {}

// FuzzReceiveFilter feeds arbitrary frames to an interface's receive
// filter with each combination of RUNNING, PROMISC and NOARP, as a plain
// frame or in receive chunks: a frame goes up exactly when virt(4) says it
// does (RUNNING, to the interface's MAC or a group address or PROMISC, not
// ARP under NOARP, at least an Ethernet header), whole and unchanged, and
// every packet buffer is released.
func FuzzReceiveFilter(f *testing.F) {
	for _, fr := range seedFrames() {
		for flags := range uint8(16) {
			f.Add(fr, flags)
		}
	}
	mac := tcpip.LinkAddress([]byte{0xb2, 0x0a, 0x01, 0x0b, 0x0e, 0x00})
	f.Fuzz(func(t *testing.T, frame []byte, flags uint8) {
		running, promisc, noarp, chunked := flags&1 != 0, flags&2 != 0, flags&4 != 0, flags&8 != 0
		e := newEthEndpoint(mac, 1500)
		d := &recordingDispatcher{}
		e.Attach(d)
		e.running.Store(running)
		e.promisc.Store(promisc)
		e.noarp.Store(noarp)
		if chunked && len(frame) > rxHeadLen {
			buf := pooledBuffer(frame)
			e.deliver(frame[:rxHeadLen], &buf, vnetHdr{})
		} else {
			e.deliver(append([]byte(nil), frame...), nil, vnetHdr{flags: flags & 16 >> 3})
		}
		want := running && len(frame) >= header.EthernetMinimumSize
		if want {
			eth := header.Ethernet(frame)
			dst := eth.DestinationAddress()
			want = (dst == mac || dst[0]&1 != 0 || promisc) && !(noarp && eth.Type() == header.ARPProtocolNumber)
			if t := eth.Type(); (t == header.IPv4ProtocolNumber || t == header.IPv6ProtocolNumber) &&
				badTCPHeader(frame[header.EthernetMinimumSize:], t == header.IPv6ProtocolNumber) {
				want = false // refused before the stack (tcpsane.go)
			}
		}
		if got := d.n == 1; got != want || d.n > 1 {
			t.Fatalf("delivered %d times, want %v (running %v promisc %v noarp %v)", d.n, want, running, promisc, noarp)
		}
		if want && !bytes.Equal(d.last, frame) {
			t.Fatalf("delivered % x, want % x", d.last, frame)
		}
		refs.DoRepeatedLeakCheck()
	})
}

// FuzzRouteRequests feeds arbitrary route requests (as the control
// interface would carry them) to one kernel, one after another: no panic,
// every failure an errno, and the table stays listable, with each route's
// destination a masked prefix of its family.
func FuzzRouteRequests(f *testing.F) {
	seeds := []struct {
		op                        byte
		dest, gw, ifname, ifa     string
		flags, clear, mtu, family int
	}{
		{0, "10.9.0.0/16", "10.0.0.2", "", "", api.RTF_GATEWAY | api.RTF_STATIC, 0, 0, 4},
		{0, "10.8.0.0/16", "127.0.0.1", "", "", api.RTF_GATEWAY | api.RTF_REJECT, 0, 0, 4},
		{0, "fc00:9::/64", "::1", "", "", api.RTF_GATEWAY | api.RTF_BLACKHOLE, 0, 0, 6},
		{0, "0.0.0.0/0", "10.0.0.2", "", "10.0.0.1", api.RTF_GATEWAY, 0, 1400, 4},
		{0, "10.0.3.0/24", "", "virt0", "", api.RTF_CONNECTED | api.RTF_STATIC, 0, 0, 4},
		{1, "10.0.0.0/24", "", "", "", 0, 0, 0, 4},
		{1, "127.0.0.1/32", "", "", "", 0, 0, 0, 4},
		{2, "10.8.0.0/16", "", "", "", api.RTF_BLACKHOLE, api.RTF_REJECT, 0, 4},
		{2, "fc00::/64", "", "lo0", "::1", 0, 0, 0, 6},
	}
	for _, s := range seeds {
		f.Add(s.op, s.dest, s.gw, s.ifname, s.ifa, s.flags, s.clear, s.mtu, s.family)
	}
	k := newKernel(f, Options{})
	if err := k.Create("virt0"); err != nil {
		f.Fatal(err)
	}
	for _, a := range []string{"10.0.0.1/24", "fc00::1/64"} {
		if err := k.AddAddr("virt0", api.IfAddr{Addr: a}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, op byte, dest, gw, ifname, ifa string, flags, clear, mtu, family int) {
		family = 4 + 2*(family&1)
		r := api.Route{Dest: dest, Gateway: gw, Interface: ifname, Ifa: ifa, Flags: flags, FlagsClear: clear, MTU: mtu}
		var err error
		switch op % 3 {
		case 0:
			err = k.AddRoute(family, r)
		case 1:
			err = k.DeleteRoute(family, r)
		case 2:
			err = k.ChangeRoute(family, r)
		}
		if err != nil && api.ErrnoOf(err) == 0 {
			t.Fatalf("request %+v: error without errno: %v", r, err)
		}
		for _, fam := range []int{4, 6} {
			for _, rt := range k.Routes(fam) {
				p, perr := netip.ParsePrefix(rt.Dest)
				if perr != nil || p != p.Masked() || p.Addr().Is4() != (fam == 4) {
					t.Fatalf("inet%d table holds %+v", fam, rt)
				}
			}
		}
	})
}

// FuzzProxyReply feeds frames to the proxy ARP responder: it must not
// panic, and any reply is an ARP reply for a published address, addressed
// to the asker, from the interface's own address.
func FuzzProxyReply(f *testing.F) {
	for _, fr := range seedFrames() {
		f.Add(fr)
	}
	self := tcpip.LinkAddress("\xb2\x0a\x01\x0b\x0e\x00")
	pub := tcpip.LinkAddress("\xb2\xa0\x20\x00\x00\x50")
	table := proxyTable{{10, 0, 0, 2}: pub}
	f.Fuzz(func(t *testing.T, frame []byte) {
		reply := proxyReply(frame, table, self)
		if reply == nil {
			return
		}
		r := header.ARP(reply[header.EthernetMinimumSize:])
		req := header.ARP(frame[header.EthernetMinimumSize:])
		if r.Op() != header.ARPReply || tcpip.LinkAddress(r.HardwareAddressSender()) != pub ||
			string(r.ProtocolAddressSender()) != "\x0a\x00\x00\x02" ||
			header.Ethernet(reply).SourceAddress() != self ||
			header.Ethernet(reply).DestinationAddress() != tcpip.LinkAddress(req.HardwareAddressSender()) {
			t.Errorf("reply %x to %x", reply, frame)
		}
	})
}

// FuzzProxyAdvert feeds frames to the proxy NDP responder: it must not
// panic, and any reply is a solicited advertisement of a proxied address,
// from the interface, to the asker.
func FuzzProxyAdvert(f *testing.F) {
	self := tcpip.LinkAddress("\xb2\x0a\x02\x0b\x0e\x00")
	asker := tcpip.LinkAddress("\xb2\x0a\x01\x0b\x0e\x00")
	src := tcpip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: 2})
	proxied := tcpip.AddrFrom16([16]byte{0: 0xfc, 15: 0x60})
	for _, fr := range seedFrames() {
		f.Add(fr)
	}
	f.Add(nsFrame(asker, tcpip.AddrFrom16([16]byte{0: 0xfc, 15: 1}), proxied, 255))
	table := &proxyNDPTable{targets: map[tcpip.Address]bool{proxied: true}, src: src}
	f.Fuzz(func(t *testing.T, frame []byte) {
		reply := proxyAdvert(frame, table, self)
		if reply == nil {
			return
		}
		ip := header.IPv6(reply[header.EthernetMinimumSize:])
		na := header.NDPNeighborAdvert(header.ICMPv6(ip.Payload()).MessageBody())
		if na.TargetAddress() != proxied || ip.SourceAddress() != src ||
			header.Ethernet(reply).SourceAddress() != self ||
			header.Ethernet(reply).DestinationAddress() != header.Ethernet(frame).SourceAddress() {
			t.Errorf("reply %x to %x", reply, frame)
		}
	})
}

// FuzzParseMreq feeds membership and IP_MULTICAST_IF values to their
// decoders: no panic, and what is accepted names a multicast group and no
// negative index.
func FuzzParseMreq(f *testing.F) {
	f.Add(true, ipMreq("239.1.2.3", "0.0.0.0", -1))
	f.Add(true, ipMreq("224.0.0.251", "10.0.0.1", 2))
	f.Add(false, ipv6Mreq("ff02::fb", 2))
	f.Add(false, ipv6Mreq("ff15::1234", 0))
	f.Add(true, []byte{10, 0, 0, 1})
	f.Fuzz(func(t *testing.T, v4 bool, b []byte) {
		level := unix.IPPROTO_IPV6
		if v4 {
			level = unix.IPPROTO_IP
		}
		if m, err := parseMreq(level, b); err == nil && (!m.group.IsMulticast() || m.ifindex < 0 || m.group.Is4() != v4) {
			t.Errorf("parseMreq(%x): got %+v, want a multicast group of its family", b, m)
		}
		if addr, idx, err := parseMulticastIf(b); err == nil && (idx < 0 || addr.IsValid() && !addr.Is4()) {
			t.Errorf("parseMulticastIf(%x): got %v index %d", b, addr, idx)
		}
	})
}

// FuzzParseForward: the fast forwarding path's reading of a received frame
// never panics, and what it takes stays inside the frame: the packet's end,
// its headers, the wire size and the segment count a counter adds.
func FuzzParseForward(f *testing.F) {
	for _, fr := range seedFrames() {
		f.Add(fr, uint8(0), uint8(0), uint16(0))
		f.Add(fr, uint8(vnetFlagNeedsCsum), uint8(vnetGSOTCPv4), uint16(1448))
		f.Add(fr, uint8(vnetFlagNeedsCsum), uint8(vnetGSOTCPv6), uint16(1000))
	}
	f.Add(fwdFrame(false, "\x02\x00\x00\x00\x00\x01", 64, header.UDPProtocolNumber, []byte("d")), uint8(0), uint8(0), uint16(0))
	f.Add(fwdFrame(true, "\x02\x00\x00\x00\x00\x01", 2, header.TCPProtocolNumber, make([]byte, 3000)), uint8(1), uint8(4), uint16(1000))
	f.Fuzz(func(t *testing.T, frame []byte, flags, gso uint8, gsoSize uint16) {
		h := vnetHdr{flags: flags, gsoType: gso, gsoSize: gsoSize}
		p, ok := parseForward(frame, h)
		if !ok {
			return
		}
		const eth = header.EthernetMinimumSize
		if p.end > len(frame) || p.end < eth+p.ipLen || p.segHdr > p.end-eth {
			t.Fatalf("packet end %d, IP header %d, segment headers %d in a %d-byte frame", p.end, p.ipLen, p.segHdr, len(frame))
		}
		if p.wireSize(h) <= 0 || p.segments(h) == 0 {
			t.Fatalf("wire size %d, %d segments", p.wireSize(h), p.segments(h))
		}
		out := &ethEndpoint{mac: "\x02\x00\x00\x00\x00\x02"}
		(&fastPath{}).rewrite(append([]byte(nil), frame[:p.end]...), p, out, "\x02\x00\x00\x00\x00\x03")
	})
}

// FuzzVlanDecap: untagging never panics, takes exactly the tag out, and
// tagging the inner frame again with its identifier gives the frame back
// (priority bits aside).
func FuzzVlanDecap(f *testing.F) {
	for _, fr := range seedFrames() {
		f.Add(fr)
		if len(fr) >= header.EthernetMinimumSize {
			f.Add(vlanEncap(nil, fr, 10))
		}
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 0x81, 0x00, 0xef, 0xff})
	f.Fuzz(func(t *testing.T, frame []byte) {
		vid, inner, ok := vlanDecap(nil, frame)
		if !ok {
			return
		}
		if len(inner) != len(frame)-vlanEncapLen || vid > vlanIDMask {
			t.Fatalf("got vid %d and %d bytes from %d, want the tag taken out", vid, len(inner), len(frame))
		}
		again := vlanEncap(nil, inner, vid)
		again[ethAddrsLen+2] |= frame[ethAddrsLen+2] &^ (vlanIDMask >> 8)
		if !bytes.Equal(again, frame) {
			t.Fatalf("re-tagged got %x, want %x", again, frame)
		}
	})
}

// FuzzVlanOffload feeds tagged frames with any virtio-net header to a
// parent's vlan hook and to normalise: neither panics, and what the vlan
// reads is the frame without its tag, its header's checksum start moved
// back by the tag.
func FuzzVlanOffload(f *testing.F) {
	super := vlanEncap(nil, tcpFrame(false, make([]byte, 3000), header.TCPFlagAck), 10)
	f.Add(super, []byte{1, 1, 58, 0, 0xa8, 5, 38, 0, 16, 0})
	f.Add(super, []byte{1, 0, 0, 0, 0, 0, 38, 0, 16, 0})
	f.Add(super[:60], []byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(super[:20], []byte{1, 4, 0, 0, 1, 0, 3, 0, 200, 0})
	f.Fuzz(func(t *testing.T, frame, hdr []byte) {
		if len(hdr) < vnetHdrLen || len(frame) > 4<<10 {
			return
		}
		h := parseVnetHdr(hdr)
		normalise(h, append([]byte(nil), frame...), make([]byte, 0, maxVnetFrame), func([]byte) {})
		e := newEthEndpoint("", 1500)
		p := newVlanPort(e, 10, &e.stats)
		tr := vlanTrunk{10: p}
		e.trunk.Store(&tr)
		if !e.vlanInput(frame, nil, h) {
			t.Fatal("a parent with vlans did not take a frame")
		}
		select {
		case got := <-p.in:
			_, want, _ := vlanDecap(nil, frame)
			wh, _ := h.vlanIn()
			if !bytes.Equal(*got.buf, want) || got.hdr != wh {
				t.Fatalf("got %x %+v, want %x %+v", *got.buf, got.hdr, want, wh)
			}
		default:
		}
	})
}

// FuzzL2tpInput feeds IP payloads of protocol 115, untrusted, to the
// decapsulation: the parser alone with each cookie length, and the
// kernel's handler for a configured l2tp interface. A frame taken is
// the payload's tail after the session and cookie, a whole Ethernet
// header at least.
func FuzzL2tpInput(f *testing.F) {
	frame := seedFrames()[0]
	f.Add(l2tpEncap(nil, 1234, l2tpCookie{}, frame), uint8(0))
	f.Add(l2tpEncap(nil, 1234, l2tpCookie{0xc0ffee, 4}, frame), uint8(4))
	f.Add(l2tpEncap(nil, 1234, l2tpCookie{0xbeef, 8}, frame), uint8(8))
	f.Add([]byte{0, 0, 0, 0}, uint8(0))
	f.Add([]byte{0, 0, 4}, uint8(4))
	k := newKernel(f, Options{Components: []string{"rumpnet_netinet", "rumpnet_l2tp"}})
	for _, err := range []error{
		k.Create("l2tp0"),
		k.L2tp("l2tp0", api.L2tpChange{Op: api.L2tpSetTunnel, L2tp: api.L2tp{Src: "10.0.0.1", Dst: "10.0.0.2"}}),
		k.L2tp("l2tp0", api.L2tpChange{Op: api.L2tpSetSession, L2tp: api.L2tp{LocalSession: 1234, RemoteSession: 1}}),
		k.L2tp("l2tp0", api.L2tpChange{Op: api.L2tpSetCookie, L2tp: api.L2tp{LocalCookie: 0xc0ffee, LocalCookieLen: 4, RemoteCookie: 1, RemoteCookieLen: 4}}),
	} {
		if err != nil {
			f.Fatal(err)
		}
	}
	id := stack.TransportEndpointID{LocalAddress: tcpip.AddrFrom4([4]byte{10, 0, 0, 1}), RemoteAddress: tcpip.AddrFrom4([4]byte{10, 0, 0, 2})}
	f.Fuzz(func(t *testing.T, p []byte, clen uint8) {
		c := l2tpCookie{val: 0xc0ffee, len: int(clen % 9)}
		if got, ok := l2tpDecap(p, c); ok {
			if len(got) < etherHeaderLen || !bytes.HasSuffix(p, got) || len(got) != len(p)-l2tpSessionLen-c.len {
				t.Fatalf("decap of %x: got frame %x", p, got)
			}
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(p)})
		defer pkt.DecRef()
		if !(l2tpProtocol{}).Parse(pkt) {
			if len(p) >= l2tpSessionLen {
				t.Fatalf("parse of %d bytes refused", len(p))
			}
			return
		}
		if !k.l2tpInput(id, pkt) {
			t.Fatalf("handler left a packet to the stack")
		}
	})
}

// FuzzTunnelDecap feeds gif's and gre's decapsulation parsers the payload
// of an outer packet from the wire: either returns an inner packet whose
// version matches its family, or an error, and never reads out of bounds.
func FuzzTunnelDecap(f *testing.F) {
	inner4 := make([]byte, 28)
	inner4[0] = 0x45
	inner6 := make([]byte, 48)
	inner6[0] = 0x60
	_, gre4 := greEncap(nil, inner4, false)
	_, gre6 := greEncap(nil, inner6, true)
	keyed := append([]byte{0x20, 0, 0x08, 0, 0, 0, 0, 7}, inner4...)
	f.Add(uint8(4), inner4)
	f.Add(uint8(41), inner6)
	f.Add(uint8(47), gre4)
	f.Add(uint8(47), gre6)
	f.Add(uint8(47), keyed)
	f.Add(uint8(47), []byte{0xb0, 0, 0x86, 0xdd})
	f.Fuzz(func(t *testing.T, proto uint8, p []byte) {
		var inner []byte
		var err error
		if proto == 47 {
			inner, err = greDecap(p)
		} else {
			inner, err = gifDecap(tcpip.TransportProtocolNumber(proto), p)
		}
		if err != nil {
			return
		}
		switch {
		case len(inner) >= header.IPv4MinimumSize && inner[0]>>4 == 4:
		case len(inner) >= header.IPv6MinimumSize && inner[0]>>4 == 6:
		default:
			t.Fatalf("decap(%d, %x): got inner %x, want an IP header", proto, p, inner)
		}
	})
}

// FuzzEchoRequest: the echo fast path's checks never panic, and a request
// they take turns into an echo reply of the same length with valid
// checksums and the addresses swapped, IPv4 and IPv6 alike.
func FuzzEchoRequest(f *testing.F) {
	req4 := []byte{0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0xf7, 0xfe, 0, 1, 0, 0}
	header.IPv4(req4).SetChecksum(^header.IPv4(req4).CalculateChecksum())
	f.Add(req4)
	req6 := make([]byte, header.IPv6MinimumSize+16)
	a, b := tcpip.AddrFrom16([16]byte{0xfc, 15: 1}), tcpip.AddrFrom16([16]byte{0xfc, 15: 2})
	header.IPv6(req6).Encode(&header.IPv6Fields{PayloadLength: 16, TransportProtocol: header.ICMPv6ProtocolNumber, HopLimit: 64, SrcAddr: a, DstAddr: b})
	icmp := header.ICMPv6(req6[header.IPv6MinimumSize:])
	icmp.SetType(header.ICMPv6EchoRequest)
	copy(icmp[8:], "pingdata")
	icmp.SetChecksum(^checksum.Checksum(icmp, header.PseudoHeaderChecksum(header.ICMPv6ProtocolNumber, a, b, 16)))
	f.Add(req6)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) == 0 {
			return
		}
		frame := append(make([]byte, header.EthernetMinimumSize), pkt...)
		copy(frame, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02")
		if pkt[0]>>4 == 6 {
			ip, ok := echoRequest6(frame[header.EthernetMinimumSize:])
			if !ok {
				return
			}
			src, dst := ip.SourceAddress(), ip.DestinationAddress()
			reply := frame[:header.EthernetMinimumSize+len(ip)]
			turnEcho6(reply, 64)
			got := header.IPv6(reply[header.EthernetMinimumSize:])
			m := header.ICMPv6(got.Payload())
			sum := header.PseudoHeaderChecksum(header.ICMPv6ProtocolNumber, got.SourceAddress(), got.DestinationAddress(), uint16(len(m)))
			if got.SourceAddress() != dst || got.DestinationAddress() != src || m.Type() != header.ICMPv6EchoReply || checksum.Checksum(m, sum) != 0xffff {
				t.Fatalf("reply %x to request %x", reply, pkt)
			}
			return
		}
		if len(pkt) < header.IPv4MinimumSize {
			return
		}
		ip, ok := echoRequest4(frame[header.EthernetMinimumSize:])
		if !ok {
			return
		}
		reply := frame[:header.EthernetMinimumSize+len(ip)]
		turnEcho4(reply, 64)
		got := header.IPv4(reply[header.EthernetMinimumSize:])
		if !got.IsChecksumValid() || header.ICMPv4(got.Payload()).Type() != header.ICMPv4EchoReply || checksum.Checksum(got.Payload(), 0) != 0xffff {
			t.Fatalf("reply %x to request %x", reply, pkt)
		}
	})
}
