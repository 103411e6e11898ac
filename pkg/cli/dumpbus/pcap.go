package dumpbus

import (
	"encoding/binary"
	"io"

	"github.com/rumpnet/rumpnet/pkg/shmif"
)

// pcap file format (the classic libpcap one, microsecond timestamps, in
// this host's byte order as libpcap writes it).
const (
	pcapMagic     = 0xa1b2c3d4
	pcapLinkEther = 1 // LINKTYPE_ETHERNET
	pcapSnapLen   = 65535
)

type pcapWriter struct {
	w     io.Writer
	buf   [16]byte
	flush func() error // after each record, when following
}

func newPcapWriter(w io.Writer) (*pcapWriter, error) {
	var h [24]byte
	binary.NativeEndian.PutUint32(h[0:], pcapMagic)
	binary.NativeEndian.PutUint16(h[4:], 2) // version 2.4
	binary.NativeEndian.PutUint16(h[6:], 4)
	binary.NativeEndian.PutUint32(h[16:], pcapSnapLen)
	binary.NativeEndian.PutUint32(h[20:], pcapLinkEther)
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	if f, ok := w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil { // a reader on a pipe sees the header at once
			return nil, err
		}
	}
	return &pcapWriter{w: w}, nil
}

func (p *pcapWriter) packet(fi shmif.FrameInfo, data []byte) error {
	data = data[:min(len(data), pcapSnapLen)] // a TCP super-frame may be longer
	binary.NativeEndian.PutUint32(p.buf[0:], uint32(fi.Sec))
	binary.NativeEndian.PutUint32(p.buf[4:], fi.Usec)
	binary.NativeEndian.PutUint32(p.buf[8:], uint32(len(data)))
	binary.NativeEndian.PutUint32(p.buf[12:], uint32(fi.Length))
	if _, err := p.w.Write(p.buf[:]); err != nil {
		return err
	}
	if _, err := p.w.Write(data); err != nil {
		return err
	}
	if p.flush != nil {
		return p.flush()
	}
	return nil
}
