package client_test

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

// TestSocketNoWait: a socket made without waiting (the client makes the
// pair and numbers it) is usable by the requests sent right after it, and
// one the server could not make is told to done, its later requests
// failing with EBADF.
func TestSocketNoWait(t *testing.T) {
	_, cs := busPair(t)
	ctx := context.Background()
	srv, err := cs[1].OpenSockets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The listener lives while its end is open: dropped, the end would be
	// closed by its finalizer whenever the collector ran, and the
	// listener with it.
	lid, lf, err := srv.Socket(4, "stream")
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if _, err := srv.Bind(lid, netip.MustParseAddrPort("10.9.0.2:7")); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(lid, 4); err != nil {
		t.Fatal(err)
	}
	cli, err := cs[0].OpenSockets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	for _, tt := range []struct {
		name    string
		family  int
		typ     string
		wantErr syscall.Errno // told to done
	}{
		{"stream", 4, "stream", 0},
		{"another stream", 4, "stream", 0},
		{"a type the kernel lacks", 4, "raw", syscall.EPROTONOSUPPORT},
	} {
		told := make(chan error, 1)
		id, f, err := cli.SocketNoWait(tt.family, tt.typ, func(err error) { told <- err })
		if err != nil {
			t.Fatalf("%s: SocketNoWait: %v", tt.name, err)
		}
		if id >= 0 {
			t.Errorf("%s: got socket number %d, want a negative one", tt.name, id)
		}
		_, cerr := cli.Connect(ctx, id, netip.MustParseAddrPort("10.9.0.2:7"))
		var got error
		select {
		case got = <-told:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: done was not told", tt.name)
		}
		if tt.wantErr != 0 {
			if !errors.Is(got, tt.wantErr) || !errors.Is(cerr, syscall.EBADF) {
				t.Errorf("%s: got done %v, connect %v; want %v, EBADF", tt.name, got, cerr, tt.wantErr)
			}
			f.Close()
			continue
		}
		if got != nil || cerr != nil {
			t.Fatalf("%s: got done %v, connect %v; want neither", tt.name, got, cerr)
		}
		_, af, _, err := srv.Accept(ctx, lid, true)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("ping"))
		buf := make([]byte, 4)
		if _, err := io.ReadFull(af, buf); err != nil || string(buf) != "ping" {
			t.Errorf("%s: got %q, %v; want ping", tt.name, buf, err)
		}
		f.Close()
		af.Close()
	}
}
