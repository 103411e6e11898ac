package rump

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// tcpFrame builds an Ethernet+IP+TCP frame with payload and a correct
// checksum (IPv4 unless v6).
func tcpFrame(v6 bool, payload []byte, flags header.TCPFlags) []byte {
	const eth = header.EthernetMinimumSize
	ipLen := header.IPv4MinimumSize
	src, dst := tcpip.AddrFrom4([4]byte{10, 0, 0, 1}), tcpip.AddrFrom4([4]byte{10, 0, 0, 2})
	proto := header.IPv4ProtocolNumber
	if v6 {
		ipLen, proto = header.IPv6MinimumSize, header.IPv6ProtocolNumber
		src = tcpip.AddrFrom16([16]byte{0xfc, 15: 1})
		dst = tcpip.AddrFrom16([16]byte{0xfc, 15: 2})
	}
	tcpLen := header.TCPMinimumSize
	f := make([]byte, eth+ipLen+tcpLen+len(payload))
	header.Ethernet(f).Encode(&header.EthernetFields{Type: proto})
	if v6 {
		header.IPv6(f[eth:]).Encode(&header.IPv6Fields{PayloadLength: uint16(tcpLen + len(payload)),
			TransportProtocol: header.TCPProtocolNumber, HopLimit: 64, SrcAddr: src, DstAddr: dst})
	} else {
		ip := header.IPv4(f[eth:])
		ip.Encode(&header.IPv4Fields{TotalLength: uint16(ipLen + tcpLen + len(payload)), ID: 7, TTL: 64,
			Protocol: uint8(header.TCPProtocolNumber), SrcAddr: src, DstAddr: dst})
		ip.SetChecksum(^ip.CalculateChecksum())
	}
	t := header.TCP(f[eth+ipLen:])
	t.Encode(&header.TCPFields{SrcPort: 5000, DstPort: 7, SeqNum: 1000, DataOffset: uint8(tcpLen), Flags: flags, WindowSize: 100})
	copy(f[eth+ipLen+tcpLen:], payload)
	sum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, src, dst, uint16(tcpLen+len(payload)))
	t.SetChecksum(^checksum.Checksum(f[eth+ipLen:], sum))
	return f
}

func TestSegmentTCP(t *testing.T) {
	payload := make([]byte, 10000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	for _, v6 := range []bool{false, true} {
		super := tcpFrame(v6, payload, header.TCPFlagAck|header.TCPFlagPsh|header.TCPFlagFin)
		var got []byte
		var segs int
		seq := uint32(1000)
		ok := segmentTCP(super, 1448, nil, func(seg []byte) {
			segs++
			ipb := seg[header.EthernetMinimumSize:]
			var tcpb []byte
			var src, dst tcpip.Address
			if v6 {
				ip := header.IPv6(ipb)
				tcpb, src, dst = ip.Payload(), ip.SourceAddress(), ip.DestinationAddress()
			} else {
				ip := header.IPv4(ipb)
				if !ip.IsChecksumValid() || int(ip.TotalLength()) != len(ipb) || ip.ID() != uint16(7+segs-1) {
					t.Errorf("segment %d: bad IPv4 header", segs)
				}
				tcpb, src, dst = ip.Payload(), ip.SourceAddress(), ip.DestinationAddress()
			}
			tc := header.TCP(tcpb)
			data := tc.Payload()
			if len(data) > 1448 || tc.SequenceNumber() != seq {
				t.Errorf("segment %d: %d bytes at seq %d, want ≤1448 at %d", segs, len(data), tc.SequenceNumber(), seq)
			}
			if !tc.IsChecksumValid(src, dst, checksum.Checksum(data, 0), uint16(len(data))) {
				t.Errorf("segment %d: bad TCP checksum", segs)
			}
			last := len(got)+len(data) == len(payload)
			if fin := tc.Flags()&header.TCPFlagFin != 0; fin != last {
				t.Errorf("segment %d: FIN %v, want it only on the last", segs, fin)
			}
			seq += uint32(len(data))
			got = append(got, data...)
		})
		if !ok || segs != 7 || !bytes.Equal(got, payload) {
			t.Errorf("v6=%v: ok %v, %d segments, payload equal %v", v6, ok, segs, bytes.Equal(got, payload))
		}
	}
	if segmentTCP([]byte{1, 2, 3}, 1448, nil, func([]byte) {}) {
		t.Error("a runt frame was segmented")
	}
}

func TestCompleteChecksum(t *testing.T) {
	f := tcpFrame(false, []byte("hello, partial checksum"), header.TCPFlagAck)
	want := append([]byte(nil), f...)
	const tcpOff = header.EthernetMinimumSize + header.IPv4MinimumSize
	tc := header.TCP(f[tcpOff:])
	ip := header.IPv4(f[header.EthernetMinimumSize:])
	// What the host hands over: the pseudo-header sum, not complemented.
	tc.SetChecksum(header.PseudoHeaderChecksum(header.TCPProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(f)-tcpOff)))
	h := vnetHdr{flags: vnetFlagNeedsCsum, csumStart: tcpOff, csumOffset: header.TCPChecksumOffset}
	if !completeChecksum(f, h) || !bytes.Equal(f, want) {
		t.Errorf("completed checksum %#04x, want %#04x", tc.Checksum(), header.TCP(want[tcpOff:]).Checksum())
	}
	if completeChecksum(f, vnetHdr{csumStart: 9000}) {
		t.Error("an offset past the frame was accepted")
	}
}

func TestVnetHdrRoundTrip(t *testing.T) {
	h := vnetHdr{flags: 1, gsoType: vnetGSOTCPv6, hdrLen: 74, gsoSize: 1440, csumStart: 54, csumOffset: 16}
	b := make([]byte, vnetHdrLen)
	h.put(b)
	if got := parseVnetHdr(b); got != h {
		t.Errorf("got %+v, want %+v", got, h)
	}
}

func TestSuperFrameHeaderRoundTrip(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		f := tcpFrame(v6, make([]byte, 20000), header.TCPFlagAck)
		h, ok := superVnetHdr(f, 1500)
		ipLen := header.IPv4MinimumSize
		gso := uint8(vnetGSOTCPv4)
		if v6 {
			ipLen, gso = header.IPv6MinimumSize, vnetGSOTCPv6
		}
		if !ok || h.gsoType != gso || int(h.gsoSize) != 1500-ipLen-header.TCPMinimumSize ||
			int(h.csumStart) != header.EthernetMinimumSize+ipLen || h.flags != vnetFlagNeedsCsum {
			t.Fatalf("v6=%v: header %+v, %v", v6, h, ok)
		}
		// The partial checksum we hand the host, completed, is the original.
		g := append([]byte(nil), f...)
		if !setPseudoChecksum(g, h) || !completeChecksum(g, h) || !bytes.Equal(g, f) {
			t.Errorf("v6=%v: pseudo-header checksum does not complete to the original", v6)
		}
		if n := tcpMSS(f, 9000); n != 9000-ipLen-header.TCPMinimumSize {
			t.Errorf("v6=%v: mss %d", v6, n)
		}
	}
	if _, ok := superVnetHdr(make([]byte, 100), 1500); ok {
		t.Error("a frame that is not TCP got a super-frame header")
	}
}

// vnetEnd is a framepipe end that, like a host tap, carries a virtio-net
// header before every frame and reads and writes scattered.
type vnetEnd struct{ *framepipe.End }

func (vnetEnd) VnetHdrLen() int { return vnetHdrLen }

func (v vnetEnd) Writev(bufs [][]byte) (int, error) {
	var b []byte
	for _, d := range bufs {
		b = append(b, d...)
	}
	return v.Write(b)
}

func (v vnetEnd) Readv(bufs [][]byte) (int, error) {
	b := make([]byte, maxVnetFrame)
	n, err := v.Read(b)
	if err != nil {
		return 0, err
	}
	got := n
	for _, d := range bufs {
		b = b[copy(d, b[:n]):n]
		n = len(b)
	}
	return got, nil
}

// vnetKernel returns a kernel whose virt0 is on a framepipe end that
// carries a virtio-net header like a host tap, and the other end.
func vnetKernel(t *testing.T) (*Kernel, *framepipe.End) {
	t.Helper()
	a, b := framepipe.New()
	k := newKernel(t, Options{OpenTap: func(string) (FrameDevice, error) { return vnetEnd{a}, nil }})
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	return k, b
}

// TestReceiveChecksumTrust sends TCP segments with each kind of virtio-net
// header: a partial checksum (NEEDS_CSUM) and one marked DATA_VALID are
// taken as they are, a plain frame is verified, and trust given to one
// frame does not carry over to the next. gVisor counts a segment for a
// listening endpoint as valid or as a checksum error.
func TestReceiveChecksumTrust(t *testing.T) {
	k, b := vnetKernel(t)
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	setSmall(t, k, 1, 0) // a listener on port 7, which the segments go to
	v, _ := k.Interface("virt0")
	mac := macBytes(v.Address)
	tcp := k.stack.Stats().TCP
	const tcpOff = header.EthernetMinimumSize + header.IPv4MinimumSize
	for i, c := range []struct {
		name      string
		flags     uint8
		partial   bool // the checksum field holds the pseudo-header sum
		corrupt   bool // the checksum field is wrong
		wantValid bool
	}{
		{"plain, correct", 0, false, false, true},
		{"plain, corrupt", 0, false, true, false},
		{"partial", vnetFlagNeedsCsum, true, false, true},
		{"data valid, corrupt", vnetFlagDataValid, false, true, true},
		{"plain, corrupt, after trusted", 0, false, true, false},
		{"large partial", vnetFlagNeedsCsum, true, false, true}, // copied; later reads go to chunks
		{"large partial, in a chunk", vnetFlagNeedsCsum, true, false, true},
		{"large plain, corrupt, in a chunk", 0, false, true, false},
	} {
		payload := []byte("segment")
		if strings.HasPrefix(c.name, "large") {
			payload = make([]byte, 30000) // read straight into a chunk
		}
		f := tcpFrame(false, payload, header.TCPFlagSyn)
		copy(f, mac)
		tc := header.TCP(f[tcpOff:])
		if c.partial {
			ip := header.IPv4(f[header.EthernetMinimumSize:])
			tc.SetChecksum(header.PseudoHeaderChecksum(header.TCPProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(f)-tcpOff)))
		}
		if c.corrupt {
			tc.SetChecksum(tc.Checksum() + 1)
		}
		h := vnetHdr{flags: c.flags}
		if c.partial {
			h.csumStart, h.csumOffset = tcpOff, header.TCPChecksumOffset
		}
		frame := make([]byte, vnetHdrLen, vnetHdrLen+len(f))
		h.put(frame)
		valid, bad := tcp.ValidSegmentsReceived.Value(), tcp.ChecksumErrors.Value()
		b.Write(append(frame, f...))
		deadline := time.Now().Add(5 * time.Second)
		for tcp.ValidSegmentsReceived.Value() == valid && tcp.ChecksumErrors.Value() == bad && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		gotValid := tcp.ValidSegmentsReceived.Value() == valid+1 && tcp.ChecksumErrors.Value() == bad
		gotBad := tcp.ValidSegmentsReceived.Value() == valid && tcp.ChecksumErrors.Value() == bad+1
		if gotValid != c.wantValid || gotValid == gotBad {
			t.Errorf("%d %s: valid %d→%d, checksum errors %d→%d; want taken %v", i, c.name,
				valid, tcp.ValidSegmentsReceived.Value(), bad, tcp.ChecksumErrors.Value(), c.wantValid)
		}
	}
}

// udpFrame builds an Ethernet+IPv4+UDP frame from 10.0.0.1:5000 to
// 10.0.0.2:port with a correct checksum.
func udpFrame(dstMAC string, port uint16, payload []byte) []byte {
	const eth, ipLen = header.EthernetMinimumSize, header.IPv4MinimumSize
	src, dst := tcpip.AddrFrom4([4]byte{10, 0, 0, 1}), tcpip.AddrFrom4([4]byte{10, 0, 0, 2})
	udpLen := header.UDPMinimumSize + len(payload)
	f := make([]byte, eth+ipLen+udpLen)
	header.Ethernet(f).Encode(&header.EthernetFields{Type: header.IPv4ProtocolNumber, DstAddr: tcpip.LinkAddress(dstMAC)})
	ip := header.IPv4(f[eth:])
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(ipLen + udpLen), ID: 9, TTL: 64,
		Protocol: uint8(header.UDPProtocolNumber), SrcAddr: src, DstAddr: dst})
	ip.SetChecksum(^ip.CalculateChecksum())
	u := header.UDP(f[eth+ipLen:])
	u.Encode(&header.UDPFields{SrcPort: 5000, DstPort: port, Length: uint16(udpLen)})
	copy(f[eth+ipLen+header.UDPMinimumSize:], payload)
	sum := header.PseudoHeaderChecksum(header.UDPProtocolNumber, src, dst, uint16(udpLen))
	u.SetChecksum(^checksum.Checksum(f[eth+ipLen:], sum))
	return f
}

// TestReceiveKeepsOrder sends datagrams that the receive loop hands to the
// stack in different ways, large ones in their own chunks through the
// second goroutine and small ones copied, and checks that they reach the
// socket in the order they were sent.
func TestReceiveKeepsOrder(t *testing.T) {
	k, b := vnetKernel(t)
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	v, _ := k.Interface("virt0")
	mac := macBytes(v.Address)
	const port, n, batch = 5001, 600, 30
	c, err := gonet.DialUDP(k.stack, &tcpip.FullAddress{Port: port}, nil, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan int, n)
	go func() {
		defer close(got)
		buf := make([]byte, 65536)
		for {
			m, err := c.Read(buf)
			if err != nil {
				return
			}
			got <- int(binary.BigEndian.Uint32(buf[:4]))<<20 | m
		}
	}()
	var hdr [vnetHdrLen]byte
	next := 0
	for i := 0; i < n; i++ {
		size := 20 // copied
		if i%3 != 2 {
			size = 9000 // at least largeFrame: read into chunks, queued
		}
		payload := make([]byte, size)
		binary.BigEndian.PutUint32(payload, uint32(i))
		if _, err := b.Write(append(hdr[:], udpFrame(mac, port, payload)...)); err != nil {
			t.Fatal(err)
		}
		if i%batch != batch-1 {
			continue
		}
		for ; next <= i; next++ { // a batch at a time, so nothing is dropped
			select {
			case r, ok := <-got:
				if !ok {
					t.Fatal("socket closed")
				}
				if seq, m := r>>20, r&(1<<20-1); seq != next {
					t.Fatalf("datagram %d (%d bytes) arrived when %d was due", seq, m, next)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("datagram %d did not arrive", next)
			}
		}
	}
}

// pipeGoroutines counts the goroutines of pipes (rx and tx).
func pipeGoroutines() int { return stackMentions("rump.(*pipe[...]).run(") }

// TestTransmitKeepsOrder has the stack send datagrams that leave in
// different ways, large ones through the transmit pipe and small ones
// written directly unless frames are queued, and checks that they reach the
// wire in the order they were sent, each with a virtio-net header, and that
// destroying the interface ends the pipe's goroutine.
func TestTransmitKeepsOrder(t *testing.T) {
	k, b := vnetKernel(t)
	if err := k.SetMTU("virt0", 9100); err != nil {
		t.Fatal(err)
	}
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	if err := k.AddNeighbor(4, api.Neighbor{Addr: "10.0.0.1", LinkAddr: "02:00:00:00:00:01"}); err != nil {
		t.Fatal(err)
	}
	c, err := gonet.DialUDP(k.stack, nil, &tcpip.FullAddress{Addr: tcpip.AddrFrom4([4]byte{10, 0, 0, 1}), Port: 6000}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n, batch = 600, 30
	const udpOff = header.EthernetMinimumSize + header.IPv4MinimumSize
	frame := make([]byte, maxVnetFrame)
	next := 0
	for i := 0; i < n; i++ {
		size := 20 // written directly when nothing is queued
		if i%3 != 2 {
			size = 9000 // at least largeFrame: queued
		}
		payload := make([]byte, size)
		binary.BigEndian.PutUint32(payload, uint32(i))
		if _, err := c.Write(payload); err != nil {
			t.Fatal(err)
		}
		if i%batch != batch-1 {
			continue
		}
		for next <= i { // a batch at a time, so the wire drops nothing
			m, err := b.Read(frame)
			if err != nil {
				t.Fatal(err)
			}
			f := frame[vnetHdrLen:m]
			if len(f) < udpOff+header.UDPMinimumSize+4 || header.Ethernet(f).Type() != header.IPv4ProtocolNumber ||
				header.IPv4(f[header.EthernetMinimumSize:]).Protocol() != uint8(header.UDPProtocolNumber) {
				continue // not one of ours
			}
			if seq := int(binary.BigEndian.Uint32(f[udpOff+header.UDPMinimumSize:])); seq != next {
				t.Fatalf("datagram %d (%d bytes) left when %d was due", seq, len(f), next)
			}
			next++
		}
	}
	if pipeGoroutines() == 0 {
		t.Error("no pipe goroutine while large frames were sent")
	}
	if err := k.Destroy("virt0"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for pipeGoroutines() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := pipeGoroutines(); g != 0 {
		t.Errorf("%d pipe goroutines left after the interface was destroyed", g)
	}
}
