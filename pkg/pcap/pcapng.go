package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// pcapng block types and option codes this package knows.
const (
	blockSection   = 0x0A0D0D0A
	blockInterface = 0x00000001
	blockStats     = 0x00000005
	blockPacket    = 0x00000006
	byteOrderMagic = 0x1A2B3C4D

	optEnd       = 0
	optEPBFlags  = 2 // epb_flags: bits 0-1 are the direction
	optISBRecv   = 4 // isb_ifrecv
	optISBDrop   = 5 // isb_ifdrop
	dirInbound   = 1
	dirOutbound  = 2
	maxBlockSize = 1 << 20 // larger than any packet block a snapshot length allows
)

// MaxSnaplen is the largest snapshot length a stream may carry.
const MaxSnaplen = DefaultSnaplen

var le = binary.LittleEndian

func pad4(n int) int { return (n + 3) &^ 3 }

// finishBlock completes the block of type typ that begins at b[start]:
// the caller left 8 bytes there for its head and appended its body after.
func finishBlock(b []byte, start, typ int) []byte {
	total := len(b) - start + 4
	le.PutUint32(b[start:], uint32(typ))
	le.PutUint32(b[start+4:], uint32(total))
	return le.AppendUint32(b, uint32(total))
}

// AppendSection appends a pcapng section header block and the description
// of its one interface (link type and snapshot length) to b.
func AppendSection(b []byte, linkType, snaplen int) []byte {
	s := len(b)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint32(b, byteOrderMagic)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, ^uint64(0)) // section length not known
	b = finishBlock(b, s, blockSection)
	s = len(b)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint16(b, uint16(linkType))
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, uint32(snaplen))
	return finishBlock(b, s, blockInterface)
}

// appendTime appends t in microseconds, high word first.
func appendTime(b []byte, t time.Time) []byte {
	us := uint64(t.UnixMicro())
	b = le.AppendUint32(b, uint32(us>>32))
	return le.AppendUint32(b, uint32(us))
}

// AppendPacket appends an enhanced packet block for p to b.
func AppendPacket(b []byte, p Packet) []byte {
	s := len(b)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint32(b, 0) // interface 0
	b = appendTime(b, p.Time)
	b = le.AppendUint32(b, uint32(len(p.Data)))
	b = le.AppendUint32(b, uint32(p.OrigLen))
	b = append(b, p.Data...)
	b = append(b, make([]byte, pad4(len(p.Data))-len(p.Data))...)
	dir := uint32(dirInbound)
	if p.Out {
		dir = dirOutbound
	}
	b = le.AppendUint16(b, optEPBFlags)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint32(b, dir)
	b = le.AppendUint32(b, optEnd)
	return finishBlock(b, s, blockPacket)
}

// AppendStats appends an interface statistics block to b: at t, received
// packets were seen and dropped of them were lost for want of room.
func AppendStats(b []byte, t time.Time, received, dropped uint64) []byte {
	s := len(b)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint32(b, 0)
	b = appendTime(b, t)
	for _, o := range []struct {
		code uint16
		v    uint64
	}{{optISBRecv, received}, {optISBDrop, dropped}} {
		b = le.AppendUint16(b, o.code)
		b = le.AppendUint16(b, 8)
		b = le.AppendUint64(b, o.v)
	}
	b = le.AppendUint32(b, optEnd)
	return finishBlock(b, s, blockStats)
}

// ErrFormat is the error for bytes that are not a capture stream.
var ErrFormat = errors.New("not a pcapng capture stream")

func formatError(what string) error { return fmt.Errorf("%w: %s", ErrFormat, what) }

// Reader reads a capture stream: a pcapng section with one interface.
type Reader struct {
	r        io.Reader
	order    binary.ByteOrder
	buf      []byte
	LinkType int
	Snaplen  int
	// Received and Dropped are the counts of the latest statistics block.
	Received, Dropped uint64
}

// NewReader reads the section header and the interface description.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: r, order: le}
	var head [12]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, eofFormat(err, "no section header")
	}
	if le.Uint32(head[:]) != blockSection {
		return nil, formatError("no section header")
	}
	switch {
	case le.Uint32(head[8:]) == byteOrderMagic:
	case binary.BigEndian.Uint32(head[8:]) == byteOrderMagic:
		rd.order = binary.BigEndian
	default:
		return nil, formatError("bad byte-order magic")
	}
	total := int(rd.order.Uint32(head[4:]))
	if total < 28 || total%4 != 0 || total > maxBlockSize {
		return nil, formatError("bad section header length")
	}
	if _, err := io.ReadFull(r, make([]byte, total-12)); err != nil {
		return nil, eofFormat(err, "short section header")
	}
	typ, body, err := rd.block()
	if err != nil {
		return nil, eofFormat(err, "no interface description")
	}
	if typ != blockInterface || len(body) < 8 {
		return nil, formatError("no interface description")
	}
	rd.LinkType = int(rd.order.Uint16(body))
	rd.Snaplen = int(rd.order.Uint32(body[4:]))
	return rd, nil
}

// eofFormat turns an end of input inside the stream's head into a format
// error; other errors stay as they are.
func eofFormat(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatError(what)
	}
	return err
}

// block reads one block and returns its type and body (valid until the
// next call).
func (rd *Reader) block() (int, []byte, error) {
	var head [8]byte
	if _, err := io.ReadFull(rd.r, head[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, formatError("cut block")
		}
		return 0, nil, err
	}
	typ := int(rd.order.Uint32(head[:]))
	total := int(rd.order.Uint32(head[4:]))
	if total < 12 || total%4 != 0 || total > maxBlockSize {
		return 0, nil, formatError(fmt.Sprintf("bad block length %d", total))
	}
	if cap(rd.buf) < total-8 {
		rd.buf = make([]byte, total-8)
	}
	b := rd.buf[:total-8]
	if _, err := io.ReadFull(rd.r, b); err != nil {
		return 0, nil, formatError("cut block")
	}
	if int(rd.order.Uint32(b[len(b)-4:])) != total {
		return 0, nil, formatError("block lengths differ")
	}
	return typ, b[:len(b)-4], nil
}

// Next returns the next packet, recording the statistics blocks before it;
// io.EOF at the end of the stream. The packet's data is valid until the
// next call.
func (rd *Reader) Next() (Packet, error) {
	for {
		typ, body, err := rd.block()
		if err != nil {
			return Packet{}, err
		}
		switch typ {
		case blockPacket:
			return rd.packet(body)
		case blockStats:
			rd.stats(body)
		case blockSection, blockInterface:
			return Packet{}, formatError("more than one section or interface")
		}
	}
}

func (rd *Reader) time(b []byte) time.Time {
	us := uint64(rd.order.Uint32(b))<<32 | uint64(rd.order.Uint32(b[4:]))
	return time.UnixMicro(int64(us))
}

func (rd *Reader) packet(body []byte) (Packet, error) {
	if len(body) < 20 {
		return Packet{}, formatError("short packet block")
	}
	capLen := int(rd.order.Uint32(body[12:]))
	if capLen > len(body)-20 {
		return Packet{}, formatError("packet longer than its block")
	}
	p := Packet{
		Time:    rd.time(body[4:]),
		OrigLen: int(rd.order.Uint32(body[16:])),
		Data:    body[20 : 20+capLen],
	}
	rd.options(body[min(20+pad4(capLen), len(body)):], func(code int, v []byte) {
		if code == optEPBFlags && len(v) == 4 && rd.order.Uint32(v)&3 == dirOutbound {
			p.Out = true
		}
	})
	return p, nil
}

func (rd *Reader) stats(body []byte) {
	if len(body) < 12 {
		return
	}
	rd.options(body[12:], func(code int, v []byte) {
		if len(v) != 8 {
			return
		}
		switch code {
		case optISBRecv:
			rd.Received = rd.order.Uint64(v)
		case optISBDrop:
			rd.Dropped = rd.order.Uint64(v)
		}
	})
}

// options calls fn for each option in b, stopping at the end option or at
// the first one that does not fit.
func (rd *Reader) options(b []byte, fn func(code int, v []byte)) {
	for len(b) >= 4 {
		code, n := int(rd.order.Uint16(b)), int(rd.order.Uint16(b[2:]))
		if code == optEnd || 4+pad4(n) > len(b) {
			return
		}
		fn(code, b[4:4+n])
		b = b[4+pad4(n):]
	}
}
