package rump

// A check of received TCP headers before the stack sees them. gVisor's IP
// forwarding recomputes a forwarded TCP segment's checksum when the
// outgoing interface has no checksum offload, and takes the header's data
// offset on trust: a segment whose data offset reaches past its end makes
// it slice out of range and panic, so one frame from a tap or a bus could
// end the kernel. Such a segment is refused here, as the stack refuses it
// when it is for the kernel itself (it cannot be parsed). This must stay a
// few byte reads per frame, and must not refuse anything the stack takes.

import "encoding/binary"

// badTCPHeader reports whether ip, an IPv4 or IPv6 packet (or its first
// bytes: the IP header's own lengths tell the rest), is a TCP segment, or
// the first fragment of one, whose data offset is under 20 bytes or past
// the segment's end. Anything it cannot judge from what it has is left to
// the stack.
func badTCPHeader(ip []byte, v6 bool) bool {
	var l4off, l4len int
	switch {
	case v6:
		if len(ip) < 40 || ip[6] != 6 { // next header TCP, no extension headers
			return false
		}
		l4off, l4len = 40, int(binary.BigEndian.Uint16(ip[4:6]))
	default:
		if len(ip) < 20 || ip[9] != 6 {
			return false
		}
		ihl, total := int(ip[0]&0x0f)*4, int(binary.BigEndian.Uint16(ip[2:4]))
		if ihl < 20 || total < ihl || binary.BigEndian.Uint16(ip[6:8])&0x1fff != 0 {
			return false // malformed (the stack drops it) or a later fragment
		}
		l4off, l4len = ihl, total-ihl
	}
	if l4len < 20 || l4off+13 > len(ip) {
		return false // too short to have a header: the stack pulls up and drops
	}
	off := int(ip[l4off+12]>>4) * 4
	return off < 20 || off > l4len
}
