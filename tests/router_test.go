package tests

// A rump kernel as a router between two host namespaces: virt0's tap is
// moved into namespace A, virt1's into namespace B, and A reaches B only
// through the kernel, only while it forwards.

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// router is the topology: A (10.0.1.1, fd01::1) — tap0/virt0 (10.0.1.2,
// fd01::2) [rump] virt1/tap1 (10.0.2.2, fd02::2) — B (10.0.2.1, fd02::1).
type router struct {
	*env
	a, b string // namespace names
}

func (e *env) peerNamespace(tag string) string {
	e.t.Helper()
	name := e.ns + "-" + tag
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		e.t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	e.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			e.t.Errorf("cleanup: ip netns del %s: %v: %s", name, err, out)
		}
	})
	return name
}

// in runs argv in namespace ns.
func (r *router) in(ns string, argv ...string) result {
	return r.run(nil, append([]string{"ip", "netns", "exec", ns}, argv...)...)
}

func (r *router) mustIn(ns string, argv ...string) {
	r.t.Helper()
	if res := r.in(ns, argv...); res.code != 0 {
		r.t.Fatalf("in %s: %s: got %v", ns, strings.Join(argv, " "), res)
	}
}

func newRouter(t *testing.T) *router {
	e := newEnv(t)
	r := &router{env: e, a: e.peerNamespace("a"), b: e.peerNamespace("b")}
	e.startServer()
	e.mustRif("virt0", "create", "inet", "10.0.1.2/24", "up")
	e.mustRif("virt0", "inet6", "fd01::2/64")
	e.mustRif("virt1", "create", "inet", "10.0.2.2/24", "up")
	e.mustRif("virt1", "inet6", "fd02::2/64")
	for _, side := range []struct{ tap, ns, v4, v6, gw4, gw6 string }{
		{"tap0", r.a, "10.0.1.1/24", "fd01::1/64", "10.0.1.2", "fd01::2"},
		{"tap1", r.b, "10.0.2.1/24", "fd02::1/64", "10.0.2.2", "fd02::2"},
	} {
		e.ip("link", "set", side.tap, "netns", side.ns)
		r.mustIn(side.ns, "ip", "link", "set", "lo", "up")
		r.mustIn(side.ns, "ip", "addr", "add", side.v4, "dev", side.tap)
		r.mustIn(side.ns, "ip", "addr", "add", side.v6, "dev", side.tap, "nodad")
		r.mustIn(side.ns, "ip", "link", "set", side.tap, "up")
		r.mustIn(side.ns, "ip", "route", "add", "default", "via", side.gw4)
		r.mustIn(side.ns, "ip", "-6", "route", "add", "default", "via", side.gw6)
	}
	e.mustRif("-w", "10")
	return r
}

func (r *router) pings(from, to string) bool {
	argv := []string{"ping", "-c", "2", "-i", "0.2", "-W", "1", to}
	if strings.Contains(to, ":") {
		argv = append([]string{"ping", "-6"}, argv[1:]...)
	}
	return r.in(from, argv...).code == 0
}

func TestForwarding(t *testing.T) {
	r := newRouter(t)
	// The router itself answers from both sides.
	for _, p := range [][2]string{{r.a, "10.0.1.2"}, {r.a, "fd01::2"}, {r.b, "10.0.2.2"}, {r.b, "fd02::2"}} {
		if !r.pings(p[0], p[1]) {
			t.Fatalf("ping %s from its own side: no reply", p[1])
		}
	}
	// IPv4 forwarding is on from boot, as in NetBSD's rump kernels
	// (built with GATEWAY); IPv6 forwarding is off.
	if !r.pings(r.a, "10.0.2.1") {
		t.Errorf("A cannot reach B over IPv4 with net.inet.ip.forwarding at its default")
	}
	if r.pings(r.a, "fd02::1") {
		t.Fatalf("A reaches fd02::1 while the kernel does not forward IPv6")
	}
	if out := r.mustRun([]string{"RUMP_SERVER=" + r.url}, bin("rsysctl"), "-w", "net.inet.ip.forwarding=0"); out != "net.inet.ip.forwarding: 1 -> 0\n" {
		t.Errorf("rsysctl -w net.inet.ip.forwarding=0: got %q", out)
	}
	if r.pings(r.a, "10.0.2.1") {
		t.Fatalf("A reaches 10.0.2.1 while the kernel does not forward")
	}
	if out := r.mustRun([]string{"RUMP_SERVER=" + r.url}, bin("rsysctl"), "-w", "net.inet.ip.forwarding=1"); out != "net.inet.ip.forwarding: 0 -> 1\n" {
		t.Errorf("rsysctl -w net.inet.ip.forwarding=1: got %q", out)
	}
	if !r.pings(r.a, "10.0.2.1") {
		t.Errorf("A cannot reach B over IPv4 with net.inet.ip.forwarding=1")
	}
	if r.pings(r.a, "fd02::1") {
		t.Errorf("A reaches B over IPv6 with only IPv4 forwarding on")
	}
	r.mustRun([]string{"RUMP_SERVER=" + r.url}, bin("rsysctl"), "-w", "net.inet6.ip6.forwarding=1")
	if !r.pings(r.a, "fd02::1") {
		t.Errorf("A cannot reach B over IPv6 with net.inet6.ip6.forwarding=1")
	}
	// traceroute shows the rump kernel as the first hop.
	for _, tt := range []struct{ argv []string }{
		{[]string{"traceroute", "-n", "-q", "1", "-w", "2", "-m", "3", "10.0.2.1"}},
		{[]string{"traceroute", "-6", "-n", "-q", "1", "-w", "2", "-m", "3", "fd02::1"}},
	} {
		res := r.in(r.a, tt.argv...)
		hop1, hop2 := "10.0.1.2", "10.0.2.1"
		if strings.Contains(tt.argv[len(tt.argv)-1], ":") {
			hop1, hop2 = "fd01::2", "fd02::1"
		}
		if res.code != 0 || !strings.Contains(res.stdout, " 1  "+hop1+" ") || !strings.Contains(res.stdout, " 2  "+hop2+" ") {
			t.Errorf("%s: got %v, want hop 1 %s and hop 2 %s", strings.Join(tt.argv, " "), res, hop1, hop2)
		}
	}
	r.mustRun([]string{"RUMP_SERVER=" + r.url}, bin("rsysctl"), "-w", "net.inet.ip.forwarding=0")
	if r.pings(r.a, "10.0.2.1") {
		t.Errorf("A still reaches B after net.inet.ip.forwarding=0")
	}
}

// TestTTL checks that net.inet.ip.ttl and net.inet6.ip6.hlim show in the
// packets the kernel sends.
func TestTTL(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create", "inet", "10.0.0.2/24", "up")
	e.mustRif("virt0", "inet6", "fc00::2/64")
	e.hostSide("tap0", "10.0.0.1/24")
	e.ip("addr", "add", "fc00::1/64", "dev", "tap0", "nodad")
	e.mustRif("-w", "10")
	for _, tt := range []struct{ node, addr string }{
		{"net.inet.ip.ttl", "10.0.0.2"},
		{"net.inet6.ip6.hlim", "fc00::2"},
	} {
		e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rsysctl"), "-w", tt.node+"=33")
		argv := []string{"ping", "-c", "1", "-W", "2", tt.addr}
		if strings.Contains(tt.addr, ":") {
			argv = append([]string{"ping", "-6"}, argv[1:]...)
		}
		out := e.mustRun(nil, argv...)
		want := "ttl=33"
		if strings.Contains(tt.addr, ":") {
			want = "ttl=33" // iputils prints the hop limit as ttl
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s=33, then %s: got %q, want %s", tt.node, strings.Join(argv, " "), out, want)
		}
	}
	// IPv6 DAD off: a new address is usable at once.
	e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rsysctl"), "-w", "net.inet6.ip6.dad_count=0")
	e.mustRif("virt0", "inet6", "fc00::3/64")
	if out := e.mustRif("virt0", "inet6"); strings.Contains(out, "fc00::3/64 flags 0x2<TENTATIVE>") {
		t.Errorf("dad_count=0: got %q, want fc00::3 not tentative", out)
	}
	// IPv4 DAD on: a new address is tentative first, then usable.
	e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rsysctl"), "-w", "net.inet.ip.dad_count=1")
	e.mustRif("virt0", "inet", "10.0.0.5/24", "alias")
	if out := e.mustRif("virt0", "inet"); !strings.Contains(out, "10.0.0.5/24 broadcast 10.0.0.255 flags 0x1<TENTATIVE>") {
		t.Errorf("dad_count=1: got %q, want 10.0.0.5 TENTATIVE", out)
	}
	e.mustRif("-w", "10")
	e.ping("10.0.0.5")
	// The namespace holds 10.0.0.1: the kernel finds it duplicated.
	e.mustRif("virt0", "inet", "10.0.0.1/24", "alias")
	e.waitFor("10.0.0.1 DUPLICATED", func() (bool, string) {
		out := e.mustRif("virt0", "inet")
		return strings.Contains(out, "10.0.0.1/24 broadcast 10.0.0.255 flags 0x2<DUPLICATED>"), out
	})
}

// TestRouterTransfers: TCP through the kernel as a router arrives intact
// in both directions, both families, with every link at MTU 1500 or 65520
// and with B's side narrower than A's (A learns B's MTU from the router's
// ICMP errors). The kernel counts the packets it forwards: at least one
// per MTU's worth of data each way.
func TestRouterTransfers(t *testing.T) {
	const size = 8 << 20
	r := newRouter(t)
	r.mustRun([]string{"RUMP_SERVER=" + r.url}, bin("rsysctl"), "-w", "net.inet6.ip6.forwarding=1")
	serveEcho(t, r.b, ":5001")
	tests := []struct {
		name        string
		addr, proto string
		mtuA, mtuB  int
	}{
		{"inet mtu 1500", "10.0.2.1:5001", "ip", 1500, 1500},
		{"inet mtu 65520", "10.0.2.1:5001", "ip", 65520, 65520},
		{"inet mtu 65520 to 1500", "10.0.2.1:5001", "ip", 65520, 1500},
		{"inet6 mtu 1500", "[fd02::1]:5001", "ip6", 1500, 1500},
		{"inet6 mtu 65520", "[fd02::1]:5001", "ip6", 65520, 65520},
		{"inet6 mtu 65520 to 1500", "[fd02::1]:5001", "ip6", 65520, 1500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, l := range []struct {
				virt, ns, tap string
				mtu           int
			}{{"virt0", r.a, "tap0", tt.mtuA}, {"virt1", r.b, "tap1", tt.mtuB}} {
				r.mustRif(l.virt, "mtu", strconv.Itoa(l.mtu))
				r.mustIn(l.ns, "ip", "link", "set", l.tap, "mtu", strconv.Itoa(l.mtu))
			}
			// Routes keep what they learnt of the path: start afresh.
			r.in(r.a, "ip", "route", "flush", "cache")
			r.in(r.a, "ip", "-6", "route", "flush", "cache")
			forwarded := func() int {
				out := r.mustRun([]string{"RUMP_SERVER=" + r.url}, bin("rnetstat"), "-s", "-p", tt.proto)
				return counter(out, "packets forwarded")
			}
			before := forwarded()
			echoCheck(t, dialIn(t, r.a, "tcp", tt.addr), size)
			want := 2 * size / min(tt.mtuA, tt.mtuB)
			if n := forwarded() - before; n < want {
				t.Errorf("rnetstat -s -p %s: got %d more packets forwarded, want at least %d", tt.proto, n, want)
			}
		})
	}
}
