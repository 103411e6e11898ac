package rumphijack

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/hijack"
)

// closeCount is a session that counts its closes.
type closeCount struct {
	hijack.Backend
	closed chan struct{}
}

func (c *closeCount) Close() error          { close(c.closed); return nil }
func (c *closeCount) Listen(int, int) error { return nil }

func TestPending(t *testing.T) {
	tests := []struct {
		name    string
		openErr error
		want    error
	}{
		{"opened", nil, nil},
		{"failed", syscall.ECONNREFUSED, syscall.ECONNREFUSED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			b := &closeCount{closed: make(chan struct{})}
			open := func(context.Context, string) (hijack.Backend, error) {
				<-release
				if tt.openErr != nil {
					return nil, tt.openErr
				}
				return b, nil
			}
			p := openPending(context.Background(), "unix:///x", open)
			got := make(chan error, 1)
			go func() { got <- p.Listen(1, 5) }()
			select {
			case err := <-got:
				t.Fatalf("Listen returned %v before the session was open", err)
			default:
			}
			close(release)
			if err := <-got; !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPendingCloseBeforeOpen(t *testing.T) {
	release := make(chan struct{})
	b := &closeCount{closed: make(chan struct{})}
	p := openPending(context.Background(), "unix:///x", func(context.Context, string) (hijack.Backend, error) {
		<-release
		return b, nil
	})
	go p.Listen(1, 5) // the first call starts the open
	<-p.started
	if err := p.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}
	close(release)
	select {
	case <-b.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("got the session left open, want it closed once opened")
	}
}

// TestPendingNeverNeeded checks that a program that makes no trapped call
// never opens the session, and that its end does not wait for one.
func TestPendingNeverNeeded(t *testing.T) {
	opened := make(chan struct{}, 1)
	p := openPending(context.Background(), "unix:///x", func(context.Context, string) (hijack.Backend, error) {
		opened <- struct{}{}
		return nil, syscall.ECONNREFUSED
	})
	if err := p.Close(); err != nil {
		t.Errorf("Close: got %v, want nil", err)
	}
	if err, ok := p.result(); err != nil || ok {
		t.Errorf("result: got %v, %v, want nil, false", err, ok)
	}
	if _, err := p.wait(); err == nil {
		t.Error("a call after Close: got a session, want an error")
	}
	select {
	case <-opened:
		t.Error("got the session opened, want it never opened")
	default:
	}
}
