package tests

// rtraceroute and rtraceroute6 across kernels in a line on shmif buses:
// A — B — C with one router, A — R1 — R2 — C with two. The probes leave
// A's own stack; the lines show each router, then C, in NetBSD's form; a
// destination behind a blackhole route on B shows B, then nothing.

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// traceLine is kernels in a line, A — routers — C, and their addresses.
type traceLine struct {
	*env
	a, c    string   // server urls of the ends
	routers []string // server urls, from A's side
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

// chainAddr is the address of kernel k (0 is A) on bus b of a line:
// 10.b.0.(k+1) and fd0b::(k+1).
func chainAddr(b, k int) (v4, v6 string) {
	return fmt.Sprintf("10.%d.0.%d", b, k+1), fmt.Sprintf("fd0%d::%d", b, k+1)
}

// newTraceChain builds A — R1 — ... — Rn — C on shmif buses 1 to n+1:
// kernel k (A is 0, C is n+1) is on bus k with its shmif0 and on bus k+1
// with its last shmif, at chainAddr(bus, k). The routers forward both
// families and have routes to every bus through their neighbours; A and C
// route through theirs.
func newTraceChain(t *testing.T, n int) traceLine {
	e := newEnv(t)
	url := func(name string) string { return "unix://" + filepath.Join(e.dir, name) }
	bus := func(b int) string { return filepath.Join(e.dir, fmt.Sprintf("bus%d", b)) }
	l := traceLine{env: e, a: url("a"), c: url("c")}
	for i := 1; i <= n; i++ {
		l.routers = append(l.routers, url(fmt.Sprintf("r%d", i)))
	}
	kernels := append(append([]string{l.a}, l.routers...), l.c)
	for _, u := range kernels {
		e.startServerAt(u)
	}
	for k, u := range kernels {
		ifs := 0
		for _, b := range []int{k, k + 1} {
			if b < 1 || b > n+1 {
				continue
			}
			v4, v6 := chainAddr(b, k)
			e.shmifAt(u, fmt.Sprintf("shmif%d", ifs), bus(b), v4+"/24", v6+"/64")
			ifs++
		}
	}
	for k, u := range kernels {
		var routes [][]string
		switch {
		case k == 0:
			v4, v6 := chainAddr(1, 1)
			routes = [][]string{{"add", "default", v4}, {"add", "-inet6", "default", v6}}
		case k == n+1:
			v4, v6 := chainAddr(k, k-1)
			routes = [][]string{{"add", "default", v4}, {"add", "-inet6", "default", v6}}
		default:
			e.mustToolAt(u, "rsysctl", "-w", "net.inet.ip.forwarding=1", "net.inet6.ip6.forwarding=1")
			for b := 1; b <= n+1; b++ {
				var gw4, gw6 string
				switch {
				case b < k:
					gw4, gw6 = chainAddr(k, k-1)
				case b > k+1:
					gw4, gw6 = chainAddr(k+1, k+1)
				default:
					continue
				}
				routes = append(routes, []string{"add", "-net", fmt.Sprintf("10.%d/16", b), gw4},
					[]string{"add", "-inet6", fmt.Sprintf("fd0%d::", b), "-prefixlen", "64", gw6})
			}
		}
		for _, rt := range routes {
			e.mustToolAt(u, "rroute", rt...)
		}
	}
	for k, u := range kernels {
		e.waitUsableAt(u, "shmif0")
		if k != 0 && k != n+1 {
			e.waitUsableAt(u, "shmif1")
		}
	}
	return l
}

// newTraceLine builds A (10.1.0.1, fd01::1) — (10.1.0.2, fd01::2) B
// (10.2.0.2, fd02::2) — (10.2.0.3, fd02::3) C, with B forwarding both
// families, A and C routing through B, and 10.9/16 and fd09::/64
// blackholed on B.
func newTraceLine(t *testing.T) traceLine {
	l := newTraceChain(t, 1)
	b := l.routers[0]
	l.mustToolAt(b, "rroute", "add", "-net", "10.9/16", "127.0.0.1", "-blackhole")
	l.mustToolAt(b, "rroute", "add", "-inet6", "fd09::", "-prefixlen", "64", "::1", "-blackhole")
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

// Two routers: each answers with the address of the interface the probe
// came in by, in both families.
func TestTracerouteTwoRouters(t *testing.T) {
	l := newTraceChain(t, 2)
	for _, tt := range []struct {
		tool   string
		args   []string
		stdout string
		stderr string
	}{
		{"rtraceroute", []string{"-n", "-q", "1", "-w", "2", "10.3.0.4"},
			" 1  10.1.0.2  T ms\n 2  10.2.0.3  T ms\n 3  10.3.0.4  T ms\n",
			"traceroute to 10.3.0.4 (10.3.0.4), 64 hops max, 40 byte packets\n"},
		{"rtraceroute", []string{"-I", "-n", "-q", "2", "-w", "2", "10.3.0.4"},
			" 1  10.1.0.2  T ms  T ms\n 2  10.2.0.3  T ms  T ms\n 3  10.3.0.4  T ms  T ms\n",
			"traceroute to 10.3.0.4 (10.3.0.4), 64 hops max, 40 byte packets\n"},
		{"rtraceroute6", []string{"-n", "-q", "1", "-w", "2", "fd03::4"},
			" 1  fd01::2  T ms\n 2  fd02::3  T ms\n 3  fd03::4  T ms\n",
			"traceroute6 to fd03::4 (fd03::4) from fd01::1, 64 hops max, 20 byte packets\n"},
		{"rtraceroute6", []string{"-I", "-n", "-q", "2", "-w", "2", "fd03::4"},
			" 1  fd01::2  T ms  T ms\n 2  fd02::3  T ms  T ms\n 3  fd03::4  T ms  T ms\n",
			"traceroute6 to fd03::4 (fd03::4) from fd01::1, 64 hops max, 20 byte packets\n"},
	} {
		r := l.toolAt(l.a, tt.tool, tt.args...)
		got := rtts.ReplaceAllString(r.stdout, "  T ms")
		if r.code != 0 || got != tt.stdout || r.stderr != tt.stderr {
			t.Errorf("RUMP_SERVER=A %s %s: got %v, want exit 0, stdout %q (T an RTT), stderr %q",
				tt.tool, strings.Join(tt.args, " "), r, tt.stdout, tt.stderr)
		}
	}
}
