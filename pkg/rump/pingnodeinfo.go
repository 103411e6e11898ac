package rump

// ICMPv6 node information queries (RFC 4620), as ping6 -w sends them: a
// query for the name of the destination, sent through the run's raw
// ICMPv6 endpoint (gVisor's ping endpoint sends echo requests only), and
// the replies that carry the run's nonce. gVisor does not answer such
// queries itself, so only other stacks' replies arrive.

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// Node information message types, codes and sizes.
const (
	niQuery      = 139
	niReply      = 140
	niSubjIPv6   = 0  // query code: the subject is an IPv6 address
	niQtypeFQDN  = 2  // query type: the node's name
	niHeaderSize = 16 // type, code, checksum, qtype, flags, nonce
	niNonceOff   = 8
)

// newNonce draws the nonce of a run's queries.
func newNonce() (n [6]byte) {
	rand.Read(n[:])
	return n
}

// nodeInfoQuery is query number seq for the destination's name; the
// sequence number is the first two bytes of the nonce, as ping6 puts it.
func (p *pingRun) nodeInfoQuery(seq uint16) []byte {
	b := make([]byte, niHeaderSize+header.IPv6AddressSize)
	b[0], b[1] = niQuery, niSubjIPv6
	binary.BigEndian.PutUint16(b[4:], niQtypeFQDN)
	binary.BigEndian.PutUint16(b[niNonceOff:], seq)
	copy(b[niNonceOff+2:], p.nonce[:])
	copy(b[niHeaderSize:], p.t.dst.AsSlice())
	return b
}

// nodeInfoReply reports msg if it is a reply to one of the run's queries.
func (p *pingRun) nodeInfoReply(msg []byte, res tcpip.ReadResult) bool {
	if !p.t.req.NodeInfo || len(msg) < niHeaderSize || msg[0] != niReply ||
		!bytes.Equal(msg[niNonceOff+2:niHeaderSize], p.nonce[:]) {
		return false
	}
	seq := binary.BigEndian.Uint16(msg[niNonceOff:])
	p.seen[seq] = true
	p.emit(api.PingEvent{
		Type:  api.PingReply,
		Seq:   int(seq),
		From:  p.k.addrString(res.RemoteAddr.Addr, res.RemoteAddr.NIC),
		Bytes: len(msg),
		ICMP:  bytes.Clone(msg),
	})
	return true
}
