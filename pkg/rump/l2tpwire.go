package rump

// The L2TPv3 data message over IP (RFC 3931 section 4.1.1.2), as NetBSD's
// l2tp(4) and Linux's l2tp_ip send it for an Ethernet pseudowire: IP
// protocol 115, a non-zero 32-bit session identifier, the cookie (0, 4 or
// 8 bytes) and the Ethernet frame, with no L2-specific sublayer.
//
// Packets arrive through l2tpProtocol, a transport protocol of the stack
// for number 115 that has no endpoints: every packet goes to the
// protocol's default handler, which the kernel sets (l2tp.go). This file
// must not depend on the kernel: it is parsing, and the fuzz target's.

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/waiter"
)

// l2tpProto is IP protocol 115, L2TP (IANA).
const l2tpProto tcpip.TransportProtocolNumber = 115

// l2tpSessionLen is the session identifier's length; a packet shorter
// than it is malformed.
const l2tpSessionLen = 4

// l2tpCookie is a cookie: its value, and its length on the wire (0 for
// none, 4 or 8). A 4-byte cookie is the value's low 32 bits.
type l2tpCookie struct {
	val uint64
	len int
}

// l2tpEncap appends to b the L2TPv3 header for session sess with cookie c
// and then frame, and returns the result.
func l2tpEncap(b []byte, sess uint32, c l2tpCookie, frame []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, sess)
	switch c.len {
	case 4:
		b = binary.BigEndian.AppendUint32(b, uint32(c.val))
	case 8:
		b = binary.BigEndian.AppendUint64(b, c.val)
	}
	return append(b, frame...)
}

// l2tpSession returns an IP payload's session identifier; ok is false if
// the payload is too short to have one. Session 0 is a control message,
// which no session takes.
func l2tpSession(p []byte) (sess uint32, ok bool) {
	if len(p) < l2tpSessionLen {
		return 0, false
	}
	return binary.BigEndian.Uint32(p), true
}

// l2tpDecap checks an IP payload's cookie against want and returns the
// Ethernet frame after it, a slice of p. ok is false for a payload
// without the cookie or without a whole Ethernet header after it.
func l2tpDecap(p []byte, want l2tpCookie) (frame []byte, ok bool) {
	if len(p) < l2tpSessionLen+want.len {
		return nil, false
	}
	c := p[l2tpSessionLen : l2tpSessionLen+want.len]
	switch want.len {
	case 4:
		ok = binary.BigEndian.Uint32(c) == uint32(want.val)
	case 8:
		ok = binary.BigEndian.Uint64(c) == want.val
	default:
		ok = true
	}
	frame = p[l2tpSessionLen+want.len:]
	if !ok || len(frame) < etherHeaderLen {
		return nil, false
	}
	return frame, true
}

// etherHeaderLen is an Ethernet header's length; NetBSD's l2tp_input
// drops anything shorter.
const etherHeaderLen = 14

// l2tpProtocol is the stack's transport protocol 115. It has no
// endpoints; the stack hands every packet to the default handler.
type l2tpProtocol struct{}

func newL2tpProtocol(*stack.Stack) stack.TransportProtocol { return l2tpProtocol{} }

func (l2tpProtocol) Number() tcpip.TransportProtocolNumber { return l2tpProto }

func (l2tpProtocol) NewEndpoint(tcpip.NetworkProtocolNumber, *waiter.Queue) (tcpip.Endpoint, tcpip.Error) {
	return nil, &tcpip.ErrUnknownProtocol{}
}

func (l2tpProtocol) NewRawEndpoint(tcpip.NetworkProtocolNumber, *waiter.Queue) (tcpip.Endpoint, tcpip.Error) {
	return nil, &tcpip.ErrUnknownProtocol{}
}

func (l2tpProtocol) MinimumPacketSize() int { return l2tpSessionLen }

// ParsePorts gives every packet port 0: sessions are told apart by the
// handler.
func (l2tpProtocol) ParsePorts([]byte) (uint16, uint16, tcpip.Error) { return 0, 0, nil }

// HandleUnknownDestinationPacket drops what no handler took, as NetBSD
// drops a packet of no session, without an ICMP error.
func (l2tpProtocol) HandleUnknownDestinationPacket(stack.TransportEndpointID, *stack.PacketBuffer) stack.UnknownDestinationPacketDisposition {
	return stack.UnknownDestinationPacketHandled
}

func (l2tpProtocol) SetOption(tcpip.SettableTransportProtocolOption) tcpip.Error {
	return &tcpip.ErrUnknownProtocolOption{}
}

func (l2tpProtocol) Option(tcpip.GettableTransportProtocolOption) tcpip.Error {
	return &tcpip.ErrUnknownProtocolOption{}
}

func (l2tpProtocol) Close()   {}
func (l2tpProtocol) Wait()    {}
func (l2tpProtocol) Pause()   {}
func (l2tpProtocol) Resume()  {}
func (l2tpProtocol) Restore() {}

// Parse takes the session identifier as the transport header.
func (l2tpProtocol) Parse(pkt *stack.PacketBuffer) bool {
	_, ok := pkt.TransportHeader().Consume(l2tpSessionLen)
	return ok
}
