package rump

// Offloads on devices with a virtio-net header (host taps, see
// pkg/hosttap): the host hands over TCP super-frames of up to 64 KiB
// (gso_type set) and frames whose transport checksum is only partial
// (NEEDS_CSUM), and takes the stack's super-frames (gVisor's host GSO).
//
// Frames with a partial checksum (made by the host) or marked DATA_VALID
// (verified by it) are not verified again; a partial checksum is completed
// (completeChecksum) only if the frame may leave the kernel again. A
// super-frame is fine for the local stack as one big TCP segment; one that
// IP may forward is cut into MSS-sized segments first (segmentTCP). The
// same is done to the stack's own super-frames when a bridge sends them,
// since the bridge's other wires may not take them (linkrecv.go, receiveVnet).

import (
	"encoding/binary"
	"errors"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// virtio-net header (linux/virtio_net.h), little endian.
const (
	vnetHdrLen = 10

	vnetFlagNeedsCsum = 1
	vnetFlagDataValid = 2

	vnetGSONone  = 0
	vnetGSOTCPv4 = 1
	vnetGSOTCPv6 = 4
	vnetGSOECN   = 0x80

	// gsoMaxSize is the largest super-frame payload the stack may hand us.
	gsoMaxSize = 65535 - header.IPv6MinimumSize - header.TCPMinimumSize
)

// maxVnetFrame is the largest frame a tap can give with offloads on.
const maxVnetFrame = vnetHdrLen + header.EthernetMinimumSize + 65535

type vnetHdr struct {
	flags      uint8
	gsoType    uint8
	hdrLen     uint16
	gsoSize    uint16
	csumStart  uint16
	csumOffset uint16
}

func parseVnetHdr(b []byte) vnetHdr {
	return vnetHdr{
		flags: b[0], gsoType: b[1],
		hdrLen:     binary.LittleEndian.Uint16(b[2:]),
		gsoSize:    binary.LittleEndian.Uint16(b[4:]),
		csumStart:  binary.LittleEndian.Uint16(b[6:]),
		csumOffset: binary.LittleEndian.Uint16(b[8:]),
	}
}

// checked reports whether the frame's checksums need no verifying: the
// host made it (partial checksum) or verified it.
func (h vnetHdr) checked() bool {
	return h.flags&(vnetFlagNeedsCsum|vnetFlagDataValid) != 0
}

// offloaded reports whether the frame needs normalising before it may be
// forwarded: it is a super-frame or its checksum is partial.
func (h vnetHdr) offloaded() bool {
	return h.gsoType&^vnetGSOECN != vnetGSONone || h.flags&vnetFlagNeedsCsum != 0
}

func (h vnetHdr) put(b []byte) {
	b[0], b[1] = h.flags, h.gsoType
	binary.LittleEndian.PutUint16(b[2:], h.hdrLen)
	binary.LittleEndian.PutUint16(b[4:], h.gsoSize)
	binary.LittleEndian.PutUint16(b[6:], h.csumStart)
	binary.LittleEndian.PutUint16(b[8:], h.csumOffset)
}

// gsoVnetHdr is the header for a packet the stack sends, as gVisor's own
// fdbased endpoint fills it.
func gsoVnetHdr(pkt *stack.PacketBuffer) vnetHdr {
	var h vnetHdr
	g := pkt.GSOOptions
	if g.Type == stack.GSONone {
		return h
	}
	h.hdrLen = uint16(pkt.HeaderSize())
	if g.NeedsCsum {
		h.flags = vnetFlagNeedsCsum
		h.csumStart = header.EthernetMinimumSize + g.L3HdrLen
		h.csumOffset = g.CsumOffset
	}
	if uint16(pkt.Data().Size()) > g.MSS {
		switch g.Type {
		case stack.GSOTCPv4:
			h.gsoType = vnetGSOTCPv4
		case stack.GSOTCPv6:
			h.gsoType = vnetGSOTCPv6
		}
		h.gsoSize = g.MSS
	}
	return h
}

// completeChecksum finishes a partial transport checksum in frame: the
// field at csumStart+csumOffset holds the pseudo-header sum, and the rest
// is summed over everything from csumStart on.
func completeChecksum(frame []byte, h vnetHdr) bool {
	start, at := int(h.csumStart), int(h.csumStart)+int(h.csumOffset)
	if start >= len(frame) || at+2 > len(frame) {
		return false
	}
	binary.BigEndian.PutUint16(frame[at:], ^checksum.Checksum(frame[start:], 0))
	return true
}

// segmentTCP cuts a TCP super-frame into frames carrying at most mss bytes
// of payload each, with complete checksums, and calls emit with each (the
// slice is reused between calls). It reports false for a frame it cannot
// parse, which the caller drops.
func segmentTCP(frame []byte, mss int, scratch []byte, emit func([]byte)) bool {
	const eth = header.EthernetMinimumSize
	if len(frame) < eth+header.IPv4MinimumSize || mss <= 0 {
		return false
	}
	// The packet ends where its IP header says: bytes after it (Ethernet
	// padding) are no payload.
	var ipLen, end int
	var src, dst tcpip.Address
	v4 := false
	switch header.Ethernet(frame).Type() {
	case header.IPv4ProtocolNumber:
		v4 = true
		ip := header.IPv4(frame[eth:])
		if !ip.IsValid(len(frame)-eth) || ip.Protocol() != uint8(header.TCPProtocolNumber) {
			return false
		}
		ipLen, src, dst = int(ip.HeaderLength()), ip.SourceAddress(), ip.DestinationAddress()
		end = eth + int(ip.TotalLength())
	case header.IPv6ProtocolNumber:
		if len(frame) < eth+header.IPv6MinimumSize {
			return false
		}
		ip := header.IPv6(frame[eth:])
		if ip.NextHeader() != uint8(header.TCPProtocolNumber) {
			return false // extension headers: not something the host makes
		}
		ipLen, src, dst = header.IPv6MinimumSize, ip.SourceAddress(), ip.DestinationAddress()
		end = eth + header.IPv6MinimumSize + int(ip.PayloadLength())
		if end > len(frame) {
			return false
		}
	default:
		return false // neither IPv4 nor IPv6
	}
	tcpOff := eth + ipLen
	if end < tcpOff+header.TCPMinimumSize {
		return false
	}
	tcpLen := int(header.TCP(frame[tcpOff:]).DataOffset())
	hdrEnd := tcpOff + tcpLen
	if tcpLen < header.TCPMinimumSize || hdrEnd > end {
		return false
	}
	payload := frame[hdrEnd:end]
	seq := header.TCP(frame[tcpOff:]).SequenceNumber()
	flags := header.TCP(frame[tcpOff:]).Flags()
	var id uint16
	if v4 {
		id = header.IPv4(frame[eth:]).ID()
	}
	for off, i := 0, 0; off < len(payload) || (off == 0 && len(payload) == 0); i++ {
		n := min(mss, len(payload)-off)
		seg := append(append(scratch[:0], frame[:hdrEnd]...), payload[off:off+n]...)
		t := header.TCP(seg[tcpOff:])
		t.SetSequenceNumber(seq + uint32(off))
		f := flags
		if off+n < len(payload) {
			f &^= header.TCPFlagFin | header.TCPFlagPsh
		}
		if i > 0 {
			f &^= header.TCPFlagCwr
		}
		t.SetFlags(uint8(f))
		segLen := tcpLen + n
		if v4 {
			ip := header.IPv4(seg[eth:])
			ip.SetTotalLength(uint16(ipLen + segLen))
			ip.SetID(id + uint16(i))
			ip.SetChecksum(0)
			ip.SetChecksum(^ip.CalculateChecksum())
		} else {
			header.IPv6(seg[eth:]).SetPayloadLength(uint16(segLen))
		}
		t.SetChecksum(0)
		sum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, src, dst, uint16(segLen))
		t.SetChecksum(^checksum.Checksum(seg[tcpOff:], sum))
		emit(seg)
		off += n
		if n == 0 {
			break
		}
	}
	return true
}

var errBadSuper = errors.New("oversized frame that is not TCP over IP")

// tcpHeaders returns the IP and TCP header lengths of an Ethernet frame
// carrying TCP, and its addresses.
func tcpHeaders(frame []byte) (ipLen, tcpLen int, v4 bool, src, dst tcpip.Address, ok bool) {
	const eth = header.EthernetMinimumSize
	if len(frame) < eth+header.IPv6MinimumSize+header.TCPMinimumSize {
		return
	}
	switch header.Ethernet(frame).Type() {
	case header.IPv4ProtocolNumber:
		ip := header.IPv4(frame[eth:])
		if ip.Protocol() != uint8(header.TCPProtocolNumber) {
			return
		}
		ipLen, v4, src, dst = int(ip.HeaderLength()), true, ip.SourceAddress(), ip.DestinationAddress()
	case header.IPv6ProtocolNumber:
		ip := header.IPv6(frame[eth:])
		if ip.NextHeader() != uint8(header.TCPProtocolNumber) {
			return
		}
		ipLen, src, dst = header.IPv6MinimumSize, ip.SourceAddress(), ip.DestinationAddress()
	default:
		return
	}
	if len(frame) < eth+ipLen+header.TCPMinimumSize {
		return
	}
	tcpLen = int(header.TCP(frame[eth+ipLen:]).DataOffset())
	ok = tcpLen >= header.TCPMinimumSize && eth+ipLen+tcpLen <= len(frame)
	return
}

// tcpMSS is the payload of one segment of frame on a wire with this MTU.
func tcpMSS(frame []byte, mtu int) int {
	ipLen, tcpLen, _, _, _, ok := tcpHeaders(frame)
	if !ok {
		return 0
	}
	return mtu - ipLen - tcpLen
}

// superVnetHdr is the virtio-net header that has the host cut frame into
// segments fitting mtu.
func superVnetHdr(frame []byte, mtu int) (vnetHdr, bool) {
	ipLen, tcpLen, v4, _, _, ok := tcpHeaders(frame)
	if !ok || mtu-ipLen-tcpLen <= 0 {
		return vnetHdr{}, false
	}
	h := vnetHdr{
		flags:      vnetFlagNeedsCsum,
		gsoType:    vnetGSOTCPv6,
		hdrLen:     uint16(header.EthernetMinimumSize + ipLen + tcpLen),
		gsoSize:    uint16(mtu - ipLen - tcpLen),
		csumStart:  uint16(header.EthernetMinimumSize + ipLen),
		csumOffset: header.TCPChecksumOffset,
	}
	if v4 {
		h.gsoType = vnetGSOTCPv4
	}
	return h, true
}

// setPseudoChecksum puts the pseudo-header sum of frame's TCP segment in
// its checksum field, as a partial checksum for the host to finish.
func setPseudoChecksum(frame []byte, h vnetHdr) bool {
	_, _, _, src, dst, ok := tcpHeaders(frame)
	if !ok {
		return false
	}
	start := int(h.csumStart)
	sum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, src, dst, uint16(len(frame)-start))
	binary.BigEndian.PutUint16(frame[start+int(h.csumOffset):], sum)
	return true
}

// normalised is the header of a frame made from one with header h by
// normalise: no offloads left, and its checksums as trusted as h's.
func (h vnetHdr) normalised() vnetHdr {
	if h.checked() {
		return vnetHdr{flags: vnetFlagDataValid}
	}
	return vnetHdr{}
}
