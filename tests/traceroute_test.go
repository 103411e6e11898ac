package tests

// rtraceroute and rtraceroute6 across three kernels in a line: A and the
// router B share one shmif bus, B and C another. The probes leave A's own
// stack; the lines show B, then C, in NetBSD's form; a destination behind
// a blackhole route on B shows B, then nothing.

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// traceLine is three kernels A — B — C and their addresses.
type traceLine struct {
	*env
	a, b, c string // server urls
}

// shmifAt puts ifname of the server at url on bus with the two addresses.
func (e *env) shmifAt(url, ifname, bus, v4, v6 string) {
	e.t.Helper()
	e.mustRifAt(url, ifname, "create")
	e.mustRifAt(url, ifname, "linkstr", bus)
	e.mustRifAt(url, ifname, "inet", v4, "up")
	e.mustRifAt(url, ifname, "inet6", v6)
}

// mustToolAt runs a rump tool against url and fails the test unless it
// exits 0.
func (e *env) mustToolAt(url, tool string, args ...string) string {
	e.t.Helper()
	r := e.toolAt(url, tool, args...)
	if r.code != 0 {
		e.t.Fatalf("RUMP_SERVER=%s %s %s: got %v, want exit 0", url, tool, strings.Join(args, " "), r)
	}
	return r.stdout
}

// newTraceLine builds A (10.1.0.1, fd01::1) — (10.1.0.2, fd01::2) B
// (10.2.0.2, fd02::2) — (10.2.0.3, fd02::3) C, with B forwarding both
// families, A and C routing through B, and 10.9/16 and fd09::/64
// blackholed on B.
func newTraceLine(t *testing.T) traceLine {
	e := newEnv(t)
	bus1, bus2 := filepath.Join(e.dir, "bus1"), filepath.Join(e.dir, "bus2")
	l := traceLine{env: e, a: "unix://" + filepath.Join(e.dir, "a"), b: "unix://" + filepath.Join(e.dir, "b"),
		c: "unix://" + filepath.Join(e.dir, "c")}
	for _, u := range []string{l.a, l.b, l.c} {
		e.startServerAt(u)
	}
	e.shmifAt(l.a, "shmif0", bus1, "10.1.0.1/24", "fd01::1/64")
	e.shmifAt(l.b, "shmif0", bus1, "10.1.0.2/24", "fd01::2/64")
	e.shmifAt(l.b, "shmif1", bus2, "10.2.0.2/24", "fd02::2/64")
	e.shmifAt(l.c, "shmif0", bus2, "10.2.0.3/24", "fd02::3/64")
	e.mustToolAt(l.b, "rsysctl", "-w", "net.inet.ip.forwarding=1", "net.inet6.ip6.forwarding=1")
	for _, rt := range []struct {
		url  string
		args []string
	}{
		{l.a, []string{"add", "default", "10.1.0.2"}},
		{l.a, []string{"add", "-inet6", "default", "fd01::2"}},
		{l.c, []string{"add", "default", "10.2.0.2"}},
		{l.c, []string{"add", "-inet6", "default", "fd02::2"}},
		{l.b, []string{"add", "-net", "10.9/16", "127.0.0.1", "-blackhole"}},
		{l.b, []string{"add", "-inet6", "fd09::", "-prefixlen", "64", "::1", "-blackhole"}},
	} {
		e.mustToolAt(rt.url, "rroute", rt.args...)
	}
	e.waitUsableAt(l.a, "shmif0")
	e.waitUsableAt(l.b, "shmif0")
	e.waitUsableAt(l.b, "shmif1")
	e.waitUsableAt(l.c, "shmif0")
	return l
}

// rtts are the round-trip times in a hop line, which vary.
var rtts = regexp.MustCompile(`  [0-9]+\.[0-9]{3} ms`)

func TestTraceroute(t *testing.T) {
	l := newTraceLine(t)
	for _, tt := range []struct {
		tool   string
		args   []string
		stdout string
		stderr string
	}{
		{"rtraceroute", []string{"-n", "-q", "1", "-w", "2", "10.2.0.3"},
			" 1  10.1.0.2  T ms\n 2  10.2.0.3  T ms\n",
			"traceroute to 10.2.0.3 (10.2.0.3), 64 hops max, 40 byte packets\n"},
		{"rtraceroute", []string{"-I", "-n", "-q", "1", "-w", "2", "10.2.0.3"},
			" 1  10.1.0.2  T ms\n 2  10.2.0.3  T ms\n",
			"traceroute to 10.2.0.3 (10.2.0.3), 64 hops max, 40 byte packets\n"},
		{"rtraceroute", []string{"-n", "-q", "2", "-w", "2", "-m", "3", "10.9.0.1"},
			" 1  10.1.0.2  T ms  T ms\n 2  * *\n 3  * *\n",
			"traceroute to 10.9.0.1 (10.9.0.1), 3 hops max, 40 byte packets\n"},
		{"rtraceroute6", []string{"-n", "-q", "1", "-w", "2", "fd02::3"},
			" 1  fd01::2  T ms\n 2  fd02::3  T ms\n",
			"traceroute6 to fd02::3 (fd02::3) from fd01::1, 64 hops max, 20 byte packets\n"},
		{"rtraceroute6", []string{"-I", "-n", "-q", "1", "-w", "2", "fd02::3"},
			" 1  fd01::2  T ms\n 2  fd02::3  T ms\n",
			"traceroute6 to fd02::3 (fd02::3) from fd01::1, 64 hops max, 20 byte packets\n"},
		{"rtraceroute6", []string{"-n", "-q", "1", "-w", "2", "-m", "3", "fd09::1"},
			" 1  fd01::2  T ms\n 2  *\n 3  *\n",
			"traceroute6 to fd09::1 (fd09::1) from fd01::1, 3 hops max, 20 byte packets\n"},
	} {
		r := l.toolAt(l.a, tt.tool, tt.args...)
		got := rtts.ReplaceAllString(r.stdout, "  T ms")
		if r.code != 0 || got != tt.stdout || r.stderr != tt.stderr {
			t.Errorf("RUMP_SERVER=A %s %s: got %v, want exit 0, stdout %q (T an RTT), stderr %q",
				tt.tool, strings.Join(tt.args, " "), r, tt.stdout, tt.stderr)
		}
	}
}
