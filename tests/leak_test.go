package tests

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// leakSlack is how much the server's fd and goroutine counts may exceed
// their baseline after the cycles (a lazily started helper, a second
// keep-alive connection).
const leakSlack = 2

// serverCounts reads a server's open fds (/proc) and goroutines (the
// debug.goroutines node).
func serverCounts(c *client.Client, pid int) (fds, goroutines int, err error) {
	fds, err = fdCount(pid)
	if err != nil {
		return 0, 0, err
	}
	n, err := c.Get("debug.goroutines")
	if err != nil {
		return 0, 0, err
	}
	if err := json.Unmarshal(n.Value, &goroutines); err != nil {
		return 0, 0, fmt.Errorf("debug.goroutines value %s: %v", n.Value, err)
	}
	return fds, goroutines, nil
}

// TestCreateDestroyNoLeak runs 100 create/configure/destroy cycles of
// virt0, then failed creates, then short-lived clients, and checks that the
// server's fds and goroutines do not grow.
func TestCreateDestroyNoLeak(t *testing.T) {
	e := newEnv(t)
	s := e.startServer()
	c := s.c
	const cycles = 100

	cycle := func(i int) {
		t.Helper()
		if err := c.CreateInterface("virt0"); err != nil {
			t.Fatalf("cycle %d: create virt0: got %v, want success", i, err)
		}
		if err := c.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
			t.Fatalf("cycle %d: add 10.0.0.2/24: got %v, want success", i, err)
		}
		if err := c.SetFlags("virt0", api.IFF_UP); err != nil {
			t.Fatalf("cycle %d: up: got %v, want success", i, err)
		}
		if err := c.DestroyInterface("virt0"); err != nil {
			t.Fatalf("cycle %d: destroy virt0: got %v, want success", i, err)
		}
	}
	// One warm-up cycle starts whatever the server starts lazily.
	cycle(0)
	fds0, gr0, err := serverCounts(c, s.pid)
	if err != nil {
		t.Fatalf("baseline: %v", err)
	}
	for i := 1; i <= cycles; i++ {
		cycle(i)
	}
	e.wantLink("tap0", false)
	if got, want := e.mustRif("-l"), "lo0\n"; got != want {
		t.Errorf("rifconfig -l after the cycles: got %q, want %q", got, want)
	}
	// Goroutines of a destroyed interface may end asynchronously; poll
	// until the counts are back within the slack, and log them.
	settle := func(after string) {
		t.Helper()
		var fds, gr int
		e.waitFor("fd and goroutine counts settle after "+after, func() (bool, string) {
			fds, gr, err = serverCounts(c, s.pid)
			if err != nil {
				return false, err.Error()
			}
			return fds <= fds0+leakSlack && gr <= gr0+leakSlack,
				fmt.Sprintf("fds %d (baseline %d), goroutines %d (baseline %d), slack %d", fds, fds0, gr, gr0, leakSlack)
		})
		t.Logf("after %s: fds %d -> %d, goroutines %d -> %d", after, fds0, fds, gr0, gr)
	}
	settle(fmt.Sprintf("%d create/address/up/destroy cycles", cycles))

	// Failed creates leak nothing either: tap1 is a tun (not tap) device,
	// so attaching to it fails after /dev/net/tun was opened.
	e.ip("tuntap", "add", "tap1", "mode", "tun")
	for i := 0; i < 20; i++ {
		if err := c.CreateInterface("virt1"); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("create virt1 on a tun device: got %v, want EINVAL", err)
		}
	}
	settle("20 failed creates")

	// Clients that come and go (one connection each) leave nothing behind.
	for i := 0; i < 50; i++ {
		e.mustRif("-l")
	}
	settle("50 rifconfig runs")
}
