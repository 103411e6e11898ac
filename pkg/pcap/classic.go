package pcap

// Reading the classic pcap file format, as tcpdump -w and shmif_dumpbus -p
// write it (either byte order, microsecond or nanosecond times), and
// telling it from pcapng by its first four bytes.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Magic numbers of the classic format's file header.
const (
	magicMicro = 0xa1b2c3d4
	magicNano  = 0xa1b23c4d
)

// maxRecord bounds a record's captured length: larger ones are refused
// rather than allocated.
const maxRecord = 1 << 20

// ErrPcapFormat is the error for bytes that are not a classic pcap file.
var ErrPcapFormat = errors.New("not a pcap file")

func pcapError(what string) error { return fmt.Errorf("%w: %s", ErrPcapFormat, what) }

// ClassicReader reads the records of a classic pcap file.
type ClassicReader struct {
	r        io.Reader
	order    binary.ByteOrder
	nano     bool
	buf      []byte
	LinkType int
	Snaplen  int
}

// NewClassicReader reads a classic pcap file's header.
func NewClassicReader(r io.Reader) (*ClassicReader, error) {
	var h [24]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, pcapError("short file header")
		}
		return nil, err
	}
	rd := &ClassicReader{r: r}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		switch order.Uint32(h[:]) {
		case magicMicro:
			rd.order = order
		case magicNano:
			rd.order, rd.nano = order, true
		}
		if rd.order != nil {
			break
		}
	}
	if rd.order == nil {
		return nil, pcapError("bad magic number")
	}
	if rd.order.Uint16(h[4:]) != 2 {
		return nil, pcapError(fmt.Sprintf("version %d", rd.order.Uint16(h[4:])))
	}
	rd.Snaplen = int(rd.order.Uint32(h[16:]))
	rd.LinkType = int(rd.order.Uint32(h[20:]) & 0x0fffffff) // the upper bits tell about FCS
	return rd, nil
}

// Next returns the next record, io.EOF after the last one. The packet's
// data is valid until the next call.
func (rd *ClassicReader) Next() (Packet, error) {
	var h [16]byte
	if _, err := io.ReadFull(rd.r, h[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Packet{}, pcapError("cut record header")
		}
		return Packet{}, err
	}
	capLen := rd.order.Uint32(h[8:])
	if capLen > maxRecord {
		return Packet{}, pcapError(fmt.Sprintf("record of %d bytes", capLen))
	}
	if cap(rd.buf) < int(capLen) {
		rd.buf = make([]byte, capLen)
	}
	data := rd.buf[:capLen]
	if _, err := io.ReadFull(rd.r, data); err != nil {
		return Packet{}, pcapError("cut record")
	}
	sec, frac := int64(rd.order.Uint32(h[:])), int64(rd.order.Uint32(h[4:]))
	if !rd.nano {
		frac *= 1000
	}
	return Packet{Time: time.Unix(sec, frac), OrigLen: int(rd.order.Uint32(h[12:])), Data: data}, nil
}

// PacketReader is a reader of either format's packets.
type PacketReader interface {
	Next() (Packet, error)
}

// NewFileReader reads the head of a classic pcap or a pcapng file,
// whichever r holds, and returns a reader of its packets and its link
// type.
func NewFileReader(r io.Reader) (PacketReader, int, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(4)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, 0, pcapError("empty or short file")
		}
		return nil, 0, err
	}
	if binary.LittleEndian.Uint32(head) == blockSection {
		rd, err := NewReader(br)
		if err != nil {
			return nil, 0, err
		}
		return rd, rd.LinkType, nil
	}
	rd, err := NewClassicReader(br)
	if err != nil {
		return nil, 0, err
	}
	return rd, rd.LinkType, nil
}
