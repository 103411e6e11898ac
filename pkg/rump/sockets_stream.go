package rump

// A stream socket's program-to-stack direction without a copy of our own:
// the program's bytes are read from the pair straight into the endpoint's
// send buffer (streamPayload), as much as it has room for; what it has no
// room for stays queued in the pair, which is the backpressure the
// program sees. The datagram direction and stack-to-pair are in
// sockets_splice.go.
//
// Goroutines: streamToStack is pairToStack's loop for a stream; it is the
// only reader of rump_server's end of the pair.

import (
	"errors"
	"io"
	"sync"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// streamToStack moves a stream's bytes from the pair to the endpoint
// until end of file or the socket's end; it returns false if the socket
// is done for, true at end of file once the FIN is queued.
func (s *socket) streamToStack(writable <-chan struct{}) bool {
	for {
		n, eof, err := s.pairQueued()
		if err != nil {
			return false
		}
		if eof {
			if s.isReady() {
				s.ep.Shutdown(tcpip.ShutdownWrite)
			}
			return true
		}
		select { // the bytes wait in the pair until the socket is connected
		case <-s.ready:
		case <-s.done:
			return false
		}
		var terr tcpip.Error
		s.raw.Control(func(fd uintptr) {
			_, terr = s.ep.Write(&streamPayload{fd: int(fd), n: n}, tcpip.WriteOptions{})
		})
		switch terr.(type) {
		case nil:
		case *tcpip.ErrWouldBlock:
			select {
			case <-writable:
			case <-s.done:
				return false
			}
		default:
			return false // the connection failed
		}
	}
}

// pairQueued waits until the pair holds bytes from the program and
// reports how many, or reports its end of file.
func (s *socket) pairQueued() (n int, eof bool, err error) {
	var perr error
	var one [1]byte
	err = s.raw.Read(func(fd uintptr) bool {
		for {
			n, perr = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
			if perr != nil || n > 0 {
				return true
			}
			m, _, rerr := unix.Recvfrom(int(fd), one[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
			switch {
			case rerr == unix.EINTR || m > 0:
				continue // count it again
			case rerr == unix.EAGAIN:
				return false
			case rerr == nil:
				eof = true
			default:
				perr = rerr
			}
			return true
		}
	})
	if err == nil {
		err = perr
	}
	return n, eof, err
}

// streamPayload is what the pair holds, read by the endpoint into its own
// buffers: n bytes, counted before, that only this reader takes.
type streamPayload struct {
	fd int
	n  int
}

// Len implements tcpip.Payloader.
func (p *streamPayload) Len() int { return p.n }

// Read reads from the pair without waiting. Should the pair hold less than
// counted, the payload ends there (io.EOF), and the endpoint sends what it
// got.
func (p *streamPayload) Read(b []byte) (int, error) {
	if p.n <= 0 {
		return 0, io.EOF
	}
	if len(b) == 0 {
		return 0, nil // a probe for end of file (buffer.View.ReadFrom)
	}
	b = b[:min(len(b), p.n)]
	for {
		m, err := unix.Read(p.fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil || m <= 0 {
			p.n = 0
			return 0, io.EOF
		}
		p.n -= m
		return m, nil
	}
}

// pairHoldMax is the longest piece pairWriter holds back to write with
// the next one: a received super-frame's payload starts with the few
// bytes left in its headers' chunk (rxViews), which would otherwise be a
// write (and a wake-up of the program) of their own.
const pairHoldMax = 4 << 10

var holdBufs = sync.Pool{New: func() any { b := make([]byte, 0, pairHoldMax); return &b }}

// errPairFull ends a pairWriter's write when the pair takes no more now.
var errPairFull = errors.New("the pair is full")

// pairWriter is the io.Writer the endpoint reads a stream's bytes into:
// it writes them straight to the pair, without a buffer of ours between.
// A write the pair takes only in part ends with errPairFull and the count
// it took, and the endpoint keeps the rest queued (gVisor consumes what
// the writer took, exactly). Pieces shorter than pairHoldMax are held and
// written together with the next; flush writes what is held.
type pairWriter struct {
	fd   int
	held *[]byte // nil when nothing is held
	err  error   // the pair failed (the program's end is gone)
}

// Write implements io.Writer.
func (w *pairWriter) Write(b []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if len(b) < pairHoldMax && w.heldLen()+len(b) <= pairHoldMax {
		if w.held == nil {
			w.held = holdBufs.Get().(*[]byte)
		}
		*w.held = append(*w.held, b...)
		return len(b), nil
	}
	n, err := w.writev(b)
	if err != nil {
		return 0, err
	}
	if h := w.heldLen(); h > 0 { // the held bytes did not all go
		return 0, errPairFull
	}
	if n < len(b) {
		return n, errPairFull
	}
	return n, nil
}

func (w *pairWriter) heldLen() int {
	if w.held == nil {
		return 0
	}
	return len(*w.held)
}

// flush writes what is held; it reports whether nothing is held any more.
func (w *pairWriter) flush() bool {
	if w.heldLen() == 0 || w.err != nil {
		return w.heldLen() == 0
	}
	w.writev(nil)
	return w.heldLen() == 0
}

// writev writes the held bytes and then b in one call, and drops what of
// the held bytes went. It returns how much of b went; errPairFull's
// EAGAIN is no error here.
func (w *pairWriter) writev(b []byte) (int, error) {
	iov := make([][]byte, 0, 2)
	h := w.heldLen()
	if h > 0 {
		iov = append(iov, *w.held)
	}
	if len(b) > 0 {
		iov = append(iov, b)
	}
	var n int
	var err error
	for {
		n, err = unix.Writev(w.fd, iov)
		if err != unix.EINTR {
			break
		}
	}
	switch {
	case err == unix.EAGAIN:
		n = 0
	case err != nil:
		w.err = err
		return 0, err
	}
	if h > 0 {
		taken := min(n, h)
		*w.held = append((*w.held)[:0], (*w.held)[taken:]...)
		n -= taken
		if len(*w.held) == 0 {
			holdBufs.Put(w.held)
			w.held = nil
		}
	}
	return n, nil
}

// release gives back the held buffer; what it held is lost (the socket is
// done for).
func (w *pairWriter) release() {
	if w.held != nil {
		*w.held = (*w.held)[:0]
		holdBufs.Put(w.held)
		w.held = nil
	}
}

// streamToPair moves what a stream's endpoint holds to the pair, written
// by the endpoint's read itself (pairWriter). more says whether it read
// something (so there may be more); ok false ends the direction. When the
// pair is full it waits until it takes more, or the socket closes.
func (s *socket) streamToPair(w *pairWriter) (more, ok bool) {
	var res tcpip.ReadResult
	var terr tcpip.Error
	err := s.raw.Write(func(fd uintptr) bool {
		w.fd = int(fd)
		if !w.flush() {
			return w.err != nil // wait until the pair takes the held bytes
		}
		res, terr = s.ep.Read(w, tcpip.ReadOptions{})
		w.flush() // what it holds goes now if the pair has room, else next time
		_, bad := terr.(*tcpip.ErrBadBuffer)
		return !bad || w.err != nil // the pair was full before the first byte: wait
	})
	if err != nil || w.err != nil {
		return false, false
	}
	switch terr.(type) {
	case nil:
		return res.Count > 0 || w.heldLen() > 0, true
	case *tcpip.ErrWouldBlock:
		return w.heldLen() > 0, true
	case *tcpip.ErrClosedForReceive:
		s.conn.CloseWrite() // FIN from the peer: the program reads EOF
		return false, false
	}
	s.close() // reset, timed out: the program's reads end
	return false, false
}
