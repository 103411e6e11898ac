package rumphijack

import (
	"context"
	"net/netip"
	"os"
	"sync"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/hijack"
)

var _ hijack.Backend = (*client.Sockets)(nil)

// openSession opens the server's socket session.
func openSession(ctx context.Context, url string) (hijack.Backend, error) {
	c := &client.Client{URL: url}
	return c.OpenSockets(ctx)
}

// pending is the session, opened when the program first needs it: a
// program that opens no Internet socket never makes a trapped call, and
// then costs the server nothing and its run no round trip. The first
// trapped call starts the open and waits for it, as do the calls after it.
type pending struct {
	ctx  context.Context
	url  string
	open Opener

	started chan struct{} // closed when the open starts
	done    chan struct{} // closed when the open has ended
	b       hijack.Backend
	err     error

	mu     sync.Mutex
	begun  bool
	closed bool
}

// errSessionClosed answers a call that comes after Close, when the session
// was never opened: it is not opened any more.
var errSessionClosed = syscall.EIO

// openPending returns the session of url, to be opened with open when it
// is first needed.
func openPending(ctx context.Context, url string, open Opener) *pending {
	return &pending{ctx: ctx, url: url, open: open, started: make(chan struct{}), done: make(chan struct{})}
}

// start starts the open unless it has started or the session is closed,
// and reports whether the open has started.
func (p *pending) start() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.begun || p.closed {
		return p.begun
	}
	p.begun = true
	close(p.started)
	go func() {
		b, err := p.open(p.ctx, p.url)
		p.mu.Lock()
		p.b, p.err = b, err
		closed := p.closed
		p.mu.Unlock()
		close(p.done)
		if closed && err == nil {
			b.Close() // nobody is left to use it
		}
	}()
	return true
}

// wait opens the session if nobody has yet and returns it once it is open.
func (p *pending) wait() (hijack.Backend, error) {
	if !p.start() {
		return nil, errSessionClosed
	}
	<-p.done
	return p.b, p.err
}

// result is the open's error, waiting for an open under way; opened is
// false when the session was never needed.
func (p *pending) result() (err error, opened bool) {
	p.mu.Lock()
	begun := p.begun
	p.mu.Unlock()
	if !begun {
		return nil, false
	}
	<-p.done
	return p.err, true
}

// Close closes the session without waiting for an open still under way;
// that one closes it when it ends. A session never opened stays so.
func (p *pending) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	select {
	case <-p.done:
		if p.err == nil {
			return p.b.Close()
		}
	default:
	}
	return nil
}

// The Backend's calls wait for the session and fail with its error.

func (p *pending) Socket(family int, typ string) (int, *os.File, error) {
	b, err := p.wait()
	if err != nil {
		return 0, nil, err
	}
	return b.Socket(family, typ)
}

func (p *pending) SocketNoWait(family int, typ string, done func(error)) (int, *os.File, error) {
	b, err := p.wait()
	if err != nil {
		return 0, nil, err
	}
	return b.SocketNoWait(family, typ, done)
}

func (p *pending) Bind(id int, addr netip.AddrPort) (netip.AddrPort, error) {
	b, err := p.wait()
	if err != nil {
		return netip.AddrPort{}, err
	}
	return b.Bind(id, addr)
}

func (p *pending) Listen(id, backlog int) error {
	b, err := p.wait()
	if err != nil {
		return err
	}
	return b.Listen(id, backlog)
}

func (p *pending) ConnectEnd(ctx context.Context, id int, addr netip.AddrPort, end *os.File) (netip.AddrPort, error) {
	b, err := p.wait()
	if err != nil {
		return netip.AddrPort{}, err
	}
	return b.ConnectEnd(ctx, id, addr, end)
}

func (p *pending) Connect(ctx context.Context, id int, addr netip.AddrPort) (netip.AddrPort, error) {
	b, err := p.wait()
	if err != nil {
		return netip.AddrPort{}, err
	}
	return b.Connect(ctx, id, addr)
}

func (p *pending) AcceptNames(ctx context.Context, id int, wait bool) (int, *os.File, netip.AddrPort, netip.AddrPort, error) {
	b, err := p.wait()
	if err != nil {
		return 0, nil, netip.AddrPort{}, netip.AddrPort{}, err
	}
	return b.AcceptNames(ctx, id, wait)
}

func (p *pending) SockName(id int) (netip.AddrPort, error) {
	b, err := p.wait()
	if err != nil {
		return netip.AddrPort{}, err
	}
	return b.SockName(id)
}

func (p *pending) PeerName(id int) (netip.AddrPort, error) {
	b, err := p.wait()
	if err != nil {
		return netip.AddrPort{}, err
	}
	return b.PeerName(id)
}

func (p *pending) SetOpt(id, level, name, value int) error {
	b, err := p.wait()
	if err != nil {
		return err
	}
	return b.SetOpt(id, level, name, value)
}

func (p *pending) SetOptNoWait(id, level, name, value int, done func(error)) error {
	b, err := p.wait()
	if err != nil {
		return err
	}
	return b.SetOptNoWait(id, level, name, value, done)
}

func (p *pending) GetOpt(id, level, name int) (int, error) {
	b, err := p.wait()
	if err != nil {
		return 0, err
	}
	return b.GetOpt(id, level, name)
}

func (p *pending) SetOptBytes(id, level, name int, value []byte) error {
	b, err := p.wait()
	if err != nil {
		return err
	}
	return b.SetOptBytes(id, level, name, value)
}

func (p *pending) GetOptBytes(id, level, name int) ([]byte, error) {
	b, err := p.wait()
	if err != nil {
		return nil, err
	}
	return b.GetOptBytes(id, level, name)
}

func (p *pending) IfName(index int) (string, error) {
	b, err := p.wait()
	if err != nil {
		return "", err
	}
	return b.IfName(index)
}

func (p *pending) IfIndex(name string) (int, error) {
	b, err := p.wait()
	if err != nil {
		return 0, err
	}
	return b.IfIndex(name)
}

func (p *pending) Shutdown(id, how int) error {
	b, err := p.wait()
	if err != nil {
		return err
	}
	return b.Shutdown(id, how)
}

func (p *pending) CloseSocket(id int) error {
	b, err := p.wait()
	if err != nil {
		return err
	}
	return b.CloseSocket(id)
}
