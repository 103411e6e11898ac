package rumphijack

import (
	"context"
	"net/netip"
	"os"
	"sync"

	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/hijack"
)

var _ hijack.Backend = (*client.Sockets)(nil)

// openSession opens the server's socket session.
func openSession(ctx context.Context, url string) (hijack.Backend, error) {
	c := &client.Client{URL: url}
	return c.OpenSockets(ctx)
}

// pending is a session being opened while the program starts: opening
// it is a round trip to the server, starting the program a fork and an
// exec, and neither needs the other until the program's first trapped
// call, which waits here for the session.
type pending struct {
	done chan struct{} // closed when the open has ended
	b    hijack.Backend
	err  error

	mu     sync.Mutex
	closed bool
}

// openPending starts opening the session of url with open.
func openPending(ctx context.Context, url string, open Opener) *pending {
	p := &pending{done: make(chan struct{})}
	go func() {
		b, err := open(ctx, url)
		p.mu.Lock()
		p.b, p.err = b, err
		closed := p.closed
		p.mu.Unlock()
		close(p.done)
		if closed && err == nil {
			b.Close() // nobody is left to use it
		}
	}()
	return p
}

// wait returns the session once it is open.
func (p *pending) wait() (hijack.Backend, error) {
	<-p.done
	return p.b, p.err
}

// Close closes the session without waiting for an open still under way;
// that one closes it when it ends.
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

func (p *pending) Accept(ctx context.Context, id int, wait bool) (int, *os.File, netip.AddrPort, error) {
	b, err := p.wait()
	if err != nil {
		return 0, nil, netip.AddrPort{}, err
	}
	return b.Accept(ctx, id, wait)
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

func (p *pending) GetOpt(id, level, name int) (int, error) {
	b, err := p.wait()
	if err != nil {
		return 0, err
	}
	return b.GetOpt(id, level, name)
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
