package ping_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/conform"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
)

// knownDifferences are the cases where rumpnet does not yet behave as
// NetBSD does: case → why. A case listed here that starts conforming fails
// the test, so the list shrinks as the kernel catches up.
var knownDifferences = map[string]string{}

// One interface with 10.0.0.1/24, up; nothing else on its wire.
var up = []string{"ifconfig virt0 create", "ifconfig virt0 inet 10.0.0.1/24", "ifconfig virt0 up"}

// pc runs the setup on a fresh kernel, then tool (ping or ping6) with args.
func pc(name, tool, args string) conform.Case {
	return conform.Case{Name: name, Args: args, Run: conform.Script(ktest.Client, tool, up...)}
}

// twoKernels is NetBSD's t_ping2 basic: two kernels on one shmif bus,
// 1.2.3.4 and 1.2.3.5; the first runs ping with args.
func twoKernels(t *testing.T, args []string) conform.Result {
	bus := filepath.Join(t.TempDir(), "bus")
	a, b := ktest.Client(t), ktest.Client(t)
	for c, addr := range map[string]string{"a": "1.2.3.4", "b": "1.2.3.5"} {
		k := a
		if c == "b" {
			k = b
		}
		for _, s := range []string{"ifconfig shmif0 create", "ifconfig shmif0 linkstr " + bus, "ifconfig shmif0 inet " + addr} {
			if r := conform.Sh(t, k, s); r.Status != 0 {
				t.Fatalf("setup %q: status %d, stderr %q", s, r.Status, r.Stderr)
			}
		}
	}
	return conform.Sh(t, a, "ping "+strings.Join(args, " "))
}

func TestNetBSDConformance(t *testing.T) {
	cases := []conform.Case{
		pc("own-header", "ping", "-n -c 1 10.0.0.1"),
		pc("own-reply", "ping", "-n -c 1 10.0.0.1"),
		pc("own-summary", "ping", "-n -c 1 10.0.0.1"),
		pc("own-round-trip", "ping", "-n -c 1 10.0.0.1"),
		pc("localhost", "ping", "-n -c 1 127.0.0.1"),
		pc("quiet", "ping", "-q -n -c 1 10.0.0.1"),
		pc("no-timing", "ping", "-n -c 1 -s 0 10.0.0.1"),
		pc("no-answer", "ping", "-n -c 1 -w 2 10.0.0.2"),
		pc("usage", "ping", "-n"),
		{Name: "two-kernels", Args: "-n -c 1 -w 10 1.2.3.5", Run: twoKernels},
		pc("ping6-header", "ping6", "-n -c 1 ::1"),
		pc("ping6-reply", "ping6", "-n -c 1 ::1"),
		pc("ping6-summary", "ping6", "-n -c 1 ::1"),
	}
	conform.Run(t, cases, knownDifferences)
}
