// Package ktest starts an in-process rump kernel behind a real control
// socket for tests of the command-line tools, without root: virt
// interfaces are bound to in-memory wires instead of host taps.
//
// It is for tests only and must not be imported by product code.
package ktest

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/ctlserver"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// Client starts a kernel (every component) serving on a socket in a
// temporary directory, stops both when the test ends, and returns a client
// for it.
func Client(t testing.TB) *client.Client {
	t.Helper()
	k, err := rump.New(rump.Options{OpenTap: func(string) (rump.FrameDevice, error) {
		a, _ := framepipe.New()
		return a, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return Serve(t, k)
}

// Serve serves k on a socket in a temporary directory until the test ends
// and returns a client for it.
func Serve(t testing.TB, k *rump.Kernel) *client.Client {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	s := ctlserver.New(k, nil)
	go s.Serve(l)
	t.Cleanup(func() { l.Close() })
	return &client.Client{URL: "unix://" + path}
}
