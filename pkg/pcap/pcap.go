// Package pcap reads and writes the classic pcap file format, and reads
// and writes the subset of pcapng that a capture stream uses
// (doc/control.md): one section, one interface, enhanced packet blocks
// with their direction, and interface statistics blocks with the received
// and dropped counts.
//
// It only encodes and decodes bytes: it must not open files or sockets,
// decode the frames it carries, or know where they come from. The reader
// takes bytes from the network and refuses what it cannot make sense of
// with an error, never a panic.
package pcap

import (
	"encoding/binary"
	"io"
	"time"
)

// Link types (the LINKTYPE_ values of pcap and pcapng).
const (
	// LinkTypeNull is BSD loopback: a 4-byte address family in the byte
	// order of the capturing host before each packet.
	LinkTypeNull = 0
	// LinkTypeEthernet is Ethernet II frames.
	LinkTypeEthernet = 1
)

// Address families in a LinkTypeNull header, NetBSD's values.
const (
	AFInet  = 2
	AFInet6 = 24
)

// DefaultSnaplen is tcpdump's default snapshot length.
const DefaultSnaplen = 262144

// Packet is one captured packet.
type Packet struct {
	Time    time.Time
	OrigLen int    // the packet's length on the wire
	Data    []byte // its first bytes, at most the snapshot length
	Out     bool   // sent by the interface (else received)
}

// Writer writes a classic pcap file (little-endian, microsecond times).
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter writes a pcap file header for linkType and snaplen to w and
// returns a writer for its records.
func NewWriter(w io.Writer, linkType, snaplen int) (*Writer, error) {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	// thiszone and sigfigs stay 0
	binary.LittleEndian.PutUint32(h[16:], uint32(snaplen))
	binary.LittleEndian.PutUint32(h[20:], uint32(linkType))
	if _, err := w.Write(h); err != nil {
		return nil, err
	}
	return &Writer{w: w}, nil
}

// WritePacket writes one record, in one write.
func (w *Writer) WritePacket(p Packet) error {
	b := w.buf[:0]
	us := p.Time.UnixMicro()
	b = binary.LittleEndian.AppendUint32(b, uint32(us/1e6))
	b = binary.LittleEndian.AppendUint32(b, uint32(us%1e6))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p.Data)))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.OrigLen))
	b = append(b, p.Data...)
	w.buf = b
	_, err := w.w.Write(b)
	return err
}
