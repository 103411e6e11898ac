package client_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// TestSessionEndedByServer: when the server ends a session (rump_server
// went away), calls fail with ENETDOWN, not with the EPIPE of a session the
// client closed itself: a hijacked program blocked in accept then reports
// that its network is down.
func TestSessionEndedByServer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
		}
		c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + api.SocketUpgrade + "\r\n\r\n"))
		r.ReadString('\n') // the first request, then the server goes
		c.Close()
	}()
	c := &client.Client{URL: "unix://" + path}
	s, err := c.OpenSockets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct {
		name string
		call func() error
	}{
		{"accept while it ends", func() error {
			_, _, _, err := s.Accept(context.Background(), 1, false)
			return err
		}},
		{"getsockname after", func() error { _, err := s.SockName(1); return err }},
	} {
		if err := tt.call(); !errors.Is(err, syscall.ENETDOWN) {
			t.Errorf("%s: got %v, want ENETDOWN", tt.name, err)
		}
	}
}

// TestSetOptNoWaitInOrder: an option set without waiting is set before a
// request sent after it is answered, however quickly they follow.
func TestSetOptNoWaitInOrder(t *testing.T) {
	_, cs := busPair(t)
	s, err := cs[0].OpenSockets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id, f, err := s.Socket(4, api.SockStream)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const tcpNoDelay = 1
	for i := range 200 {
		want := i % 2
		if err := s.SetOptNoWait(id, syscall.IPPROTO_TCP, tcpNoDelay, want, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetOpt(id, syscall.IPPROTO_TCP, tcpNoDelay)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("round %d: got TCP_NODELAY %d, want %d", i, got, want)
		}
	}
}

// TestAcceptNamesLocal: accept's reply says the new socket's own address.
func TestAcceptNamesLocal(t *testing.T) {
	_, cs := busPair(t)
	s, err := cs[1].OpenSockets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lid, lf, err := s.Socket(4, api.SockStream)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if _, err := s.Bind(lid, netip.MustParseAddrPort("10.9.0.2:7")); err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(lid, 4); err != nil {
		t.Fatal(err)
	}
	c, err := cs[0].Dial("tcp4", "10.9.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, f, peer, local, err := s.AcceptNames(context.Background(), lid, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := local.String(), "10.9.0.2:7"; got != want {
		t.Errorf("local: got %s, want %s", got, want)
	}
	if got, want := peer.String(), c.LocalAddr().String(); got != want {
		t.Errorf("peer: got %s, want %s", got, want)
	}
}
