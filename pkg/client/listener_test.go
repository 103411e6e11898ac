package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// poll waits, with a generous deadline, until cond holds.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openSession opens c's socket session, whose goroutines stay while it
// is open, so that those a test leaves can be counted.
func openSession(t *testing.T, c *client.Client) {
	t.Helper()
	pc, err := c.ListenPacket("udp4", ":0")
	if err != nil {
		t.Fatal(err)
	}
	pc.Close()
}

// acceptResult runs Accept (or AcceptContext with ctx) in a goroutine.
func acceptResult(l *client.Listener, ctx context.Context) <-chan error {
	ch := make(chan error, 1)
	go func() {
		c, err := l.AcceptContext(ctx)
		if c != nil {
			c.Close()
		}
		ch <- err
	}()
	return ch
}

// wait returns what ch delivers, failing the test if nothing comes.
func wait(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Accept still waiting after 10s")
		return nil
	}
}

// TestAcceptEnds ends a waiting Accept each way it can end, and checks
// that the kernel's listening socket is freed and no goroutine is left.
func TestAcceptEnds(t *testing.T) {
	ks, cs := busPair(t)
	openSession(t, cs[1])
	tests := []struct {
		name string
		end  func(l *client.Listener, cancel context.CancelFunc)
		want error
	}{
		{"close", func(l *client.Listener, _ context.CancelFunc) { l.Close() }, net.ErrClosed},
		{"deadline", func(l *client.Listener, _ context.CancelFunc) { l.SetDeadline(time.Now()) }, os.ErrDeadlineExceeded},
		{"context", func(_ *client.Listener, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"context errno", func(_ *client.Listener, cancel context.CancelFunc) { cancel() }, syscall.ECANCELED},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			nl, err := cs[1].Listen("tcp4", fmt.Sprintf("10.9.0.2:%d", 100+i))
			if err != nil {
				t.Fatal(err)
			}
			l := nl.(*client.Listener)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			got := acceptResult(l, ctx)
			tt.end(l, cancel)
			err = wait(t, got)
			if !errors.Is(err, tt.want) {
				t.Errorf("Accept: got %v, want %v", err, tt.want)
			}
			var ne net.Error
			if tt.want == os.ErrDeadlineExceeded && (!errors.As(err, &ne) || !ne.Timeout()) {
				t.Errorf("Accept past the deadline: got %v, want a timeout", err)
			}
			l.Close()
			poll(t, "sockets left", func() bool { return len(ks[1].Sockets()) == 0 })
			poll(t, "goroutines left", func() bool { return runtime.NumGoroutine() <= before })
		})
	}
}

// TestAcceptAfterDeadline checks that an Accept past the deadline fails at
// once and that clearing the deadline makes the listener accept again.
func TestAcceptAfterDeadline(t *testing.T) {
	_, cs := busPair(t)
	nl, err := cs[1].Listen("tcp4", "10.9.0.2:90")
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	l := nl.(*client.Listener)
	l.SetDeadline(time.Now().Add(-time.Second))
	if _, err := l.Accept(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Accept past the deadline: got %v, want %v", err, os.ErrDeadlineExceeded)
	}
	l.SetDeadline(time.Time{})
	got := acceptResult(l, context.Background())
	c, err := cs[0].Dial("tcp4", "10.9.0.2:90")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := wait(t, got); err != nil {
		t.Errorf("Accept without a deadline: got %v, want a connection", err)
	}
	l.Close()
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: got %v, want %v", err, net.ErrClosed)
	}
	if err := l.SetDeadline(time.Time{}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("SetDeadline after Close: got %v, want %v", err, net.ErrClosed)
	}
}

// TestDialContextCancelFreesSocket cancels a connect to an address no
// host answers, and checks that the kernel's half-open socket goes.
func TestDialContextCancelFreesSocket(t *testing.T) {
	ks, cs := busPair(t)
	openSession(t, cs[0])
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan error, 1)
	go func() {
		c, err := cs[0].DialContext(ctx, "tcp4", "10.9.0.9:80")
		if c != nil {
			c.Close()
		}
		got <- err
	}()
	poll(t, "the connecting socket", func() bool { return connecting(ks[0]) })
	cancel()
	err := wait(t, got)
	if !errors.Is(err, syscall.ECANCELED) || !errors.Is(err, context.Canceled) {
		t.Errorf("DialContext: got %v, want ECANCELED and context.Canceled", err)
	}
	poll(t, "sockets left", func() bool { return len(ks[0].Sockets()) == 0 })
	poll(t, "goroutines left", func() bool { return runtime.NumGoroutine() <= before })
}

// connecting reports whether k has a socket a connect is under way on.
func connecting(k *rump.Kernel) bool {
	for _, s := range k.Sockets() {
		if s.State == "SYN_SENT" {
			return true
		}
	}
	return false
}
