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
	"io"

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
