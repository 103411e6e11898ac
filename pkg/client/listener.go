package client

// The listener of Listen. A waiting accept is one request of the socket
// session that the kernel answers when a connection comes; ending it early
// needs nothing of the kernel's: the caller stops waiting for the reply,
// which the session then drops, and closing the listening socket makes
// the kernel answer the accept (ECONNABORTED) and free the socket.

import (
	"context"
	"net"
	"os"
	"sync"
	"time"
)

// Listener is a listening socket of the kernel's stack, as Listen
// returns it. Like *net.TCPListener, its Accept returns net.ErrClosed
// once Close is called, also an Accept already waiting, and an error
// wrapping os.ErrDeadlineExceeded once the deadline SetDeadline sets has
// passed.
type Listener struct {
	s    *Sockets
	id   int
	f    *os.File // the listening socket's descriptor: one byte a connection
	addr net.Addr
	once sync.Once
	done chan struct{} // closed by Close

	mu       sync.Mutex
	deadline time.Time
	changed  chan struct{} // closed and replaced when the deadline changes
}

func newListener(s *Sockets, id int, f *os.File, addr net.Addr) *Listener {
	return &Listener{s: s, id: id, f: f, addr: addr, done: make(chan struct{}), changed: make(chan struct{})}
}

// Accept waits for a connection.
func (l *Listener) Accept() (net.Conn, error) {
	return l.AcceptContext(context.Background())
}

// AcceptContext is Accept that also ends, with ctx's error, when ctx does.
func (l *Listener) AcceptContext(ctx context.Context) (net.Conn, error) {
	if err := l.ended(); err != nil {
		return nil, opError("accept", "tcp", l.addr, err)
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go l.watch(actx, cancel)
	nid, f, peer, err := l.s.Accept(actx, l.id, true)
	if err != nil {
		if cause := context.Cause(actx); cause == net.ErrClosed || cause == os.ErrDeadlineExceeded {
			err = cause // rather than ECANCELED, as net's listeners say it
		}
		return nil, opError("accept", "tcp", l.addr, err)
	}
	var one [1]byte
	l.f.Read(one[:]) // the connection's byte, there before the reply
	local, err := l.s.SockName(nid)
	if err != nil {
		local = l.addr.(*net.TCPAddr).AddrPort()
	}
	return fileConn(f, net.TCPAddrFromAddrPort(local), net.TCPAddrFromAddrPort(peer))
}

// ended is the error of an Accept that would end at once: after Close or
// past the deadline; nil otherwise.
func (l *Listener) ended() error {
	select {
	case <-l.done:
		return net.ErrClosed
	default:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.deadline.IsZero() && !time.Now().Before(l.deadline) {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// watch cancels an accept, with the reason as the cause, when the listener
// is closed or its deadline passes; it returns when ctx ends.
func (l *Listener) watch(ctx context.Context, cancel context.CancelCauseFunc) {
	for {
		l.mu.Lock()
		deadline, changed := l.deadline, l.changed
		l.mu.Unlock()
		var timer *time.Timer
		var expired <-chan time.Time
		if !deadline.IsZero() {
			timer = time.NewTimer(time.Until(deadline))
			expired = timer.C
		}
		select {
		case <-l.done:
			cancel(net.ErrClosed)
		case <-expired:
			cancel(os.ErrDeadlineExceeded)
		case <-ctx.Done():
		case <-changed:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// SetDeadline sets when Accept, also one already waiting, gives up; the
// zero time means never.
func (l *Listener) SetDeadline(t time.Time) error {
	select {
	case <-l.done:
		return opError("set", "tcp", l.addr, net.ErrClosed)
	default:
	}
	l.mu.Lock()
	l.deadline = t
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	return nil
}

// Close stops listening and frees the kernel's socket; an Accept waiting
// returns net.ErrClosed at once. Connections already accepted stay open.
func (l *Listener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.s.CloseSocket(l.id)
		l.f.Close()
	})
	return nil
}

// Addr returns the kernel's address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.addr }

var _ net.Listener = (*Listener)(nil)
