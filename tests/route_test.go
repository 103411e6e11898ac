package tests

// rroute and rnetstat -r against a real server: connected routes follow
// the addresses, and a static route through a gateway in the namespace
// makes an address of the namespace reachable from the kernel.

import (
	"regexp"
	"strings"
	"testing"
)

// rtool runs one of the rump tools (rroute, rnetstat, rarp, rndp) against
// the default server.
func (e *env) rtool(name string, args ...string) result {
	return e.run([]string{"RUMP_SERVER=" + e.url}, append([]string{bin(name)}, args...)...)
}

// mustTool runs a rump tool and fails the test unless it exits 0 with
// nothing on stderr; it returns stdout.
func (e *env) mustTool(name string, args ...string) string {
	e.t.Helper()
	r := e.rtool(name, args...)
	if r.code != 0 || r.stderr != "" {
		e.t.Fatalf("%s %s: got %v, want exit 0 and no stderr", name, strings.Join(args, " "), r)
	}
	return r.stdout
}

// wantMatch fails the test unless out matches (or, with want false, does
// not match) the multi-line regexp re.
func wantMatch(t *testing.T, what, out, re string, want bool) {
	t.Helper()
	if regexp.MustCompile("(?m)"+re).MatchString(out) != want {
		t.Fatalf("%s: got\n%s\nwant a line matching %q: %v", what, out, re, want)
	}
}

func TestConnectedRoutesFollowAddresses(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt0", "inet", "10.0.7.2/24", "up")
	e.mustRif("virt0", "inet6", "fc00:7::2/64")
	out := e.mustTool("rnetstat", "-rn")
	wantMatch(t, "rnetstat -rn", out, `^10\.0\.7/24 +link#2 +UC +- +- +- +virt0$`, true)
	wantMatch(t, "rnetstat -rn", out, `^fc00:7::/64 +link#2 +UC +- +- +- +virt0$`, true)
	wantMatch(t, "rnetstat -rn", out, `^10\.0\.7\.2 +link#2 +UHl +- +- +33624 +lo0$`, true)
	wantMatch(t, "rnetstat -rn", out, `^127\.0\.0\.1 +link#1 +UHl +- +- +33624 +lo0$`, true)
	wantMatch(t, "rnetstat -rn", out, `^127/8 `, false)
	wantMatch(t, "rroute -n show", e.mustTool("rroute", "-n", "show"), `^10\.0\.7/24 +link#2 +U +- +- +- +virt0$`, true)

	e.mustRif("virt0", "inet", "10.0.7.2", "-alias")
	e.mustRif("virt0", "inet6", "fc00:7::2", "-alias")
	out = e.mustTool("rnetstat", "-rn")
	wantMatch(t, "rnetstat -rn after -alias", out, `^10\.0\.7/24 `, false)
	wantMatch(t, "rnetstat -rn after -alias", out, `^fc00:7::/64 `, false)
	if r := e.rtool("rroute", "delete", "127.0.0.1"); r.code != 1 ||
		r.stderr != "rroute: writing to routing socket: entry in use\n" || r.stdout != "delete host 127.0.0.1: entry in use\n" {
		t.Errorf("rroute delete of a local route: got %v", r)
	}
}

// TestRouteViaGateway gives the namespace an address on no link the
// kernel knows and pings the kernel from it: the replies need the kernel's
// route through the namespace's end of the tap.
func TestRouteViaGateway(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt0", "inet", "10.0.8.2/24", "up")
	e.mustRif("virt0", "inet6", "fc00:8::2/64")
	e.hostSide("tap0", "10.0.8.1/24")
	e.hostSide("tap0", "fc00:8::1/64")
	e.ip("addr", "add", "10.55.0.1/24", "dev", "tap0")
	e.ip("addr", "add", "fc00:55::1/64", "dev", "tap0", "nodad")
	e.waitNoTentative("virt0")
	pingFrom := func(src, dst string) result {
		argv := []string{"ping", "-c", "2", "-i", "0.2", "-W", "1", "-I", src, dst}
		if strings.Contains(dst, ":") {
			argv = append([]string{"ping", "-6"}, argv[1:]...)
		}
		return e.run(nil, argv...)
	}
	tests := []struct {
		family             []string
		net, gw, src, dst  string
		added, show, getRe string
	}{
		{nil, "10.55.0.0/24", "10.0.8.1", "10.55.0.1", "10.0.8.2",
			"add net 10.55.0.0/24: gateway 10.0.8.1\n", `^10\.55\.0/24 +10\.0\.8\.1 +UGS +- +- +- +virt0$`,
			`(?s)destination: 10\.55\.0\.0\n +mask: 255\.255\.255\.0\n +gateway: 10\.0\.8\.1\n local addr: 10\.0\.8\.2\n +interface: virt0\n +flags: 0x843<UP,GATEWAY,DONE,STATIC>`},
		{[]string{"-inet6"}, "fc00:55::/64", "fc00:8::1", "fc00:55::1", "fc00:8::2",
			"add net fc00:55::/64: gateway fc00:8::1\n", `^fc00:55::/64 +fc00:8::1 +UGS +- +- +- +virt0$`,
			`(?s)destination: fc00:55::\n +mask: ffff:ffff:ffff:ffff::\n +gateway: fc00:8::1\n local addr: fc00:8::2\n`},
	}
	for _, tt := range tests {
		if r := pingFrom(tt.src, tt.dst); r.code == 0 {
			t.Fatalf("ping -I %s %s before the route: got %v, want no replies", tt.src, tt.dst, r)
		}
		args := append(append([]string{"add"}, tt.family...), "-net", tt.net, tt.gw)
		if out := e.mustTool("rroute", args...); out != tt.added {
			t.Errorf("rroute %s: got %q, want %q", strings.Join(args, " "), out, tt.added)
		}
		wantMatch(t, "rnetstat -rn", e.mustTool("rnetstat", "-rn"), tt.show, true)
		get := append(append([]string{"-n", "get"}, tt.family...), tt.src)
		wantMatch(t, "rroute get", e.mustTool("rroute", get...), tt.getRe, true)
		if r := pingFrom(tt.src, tt.dst); r.code != 0 || !strings.Contains(r.stdout, " 0% packet loss") {
			t.Errorf("ping -I %s %s with the route: got %v, want every reply", tt.src, tt.dst, r)
		}
		if r := e.rtool("rroute", args...); r.code != 1 || !strings.HasSuffix(r.stdout, ": File exists\n") {
			t.Errorf("second rroute add: got %v, want File exists", r)
		}
		del := append(append([]string{"delete"}, tt.family...), "-net", tt.net)
		e.mustTool("rroute", del...)
		if r := pingFrom(tt.src, tt.dst); r.code == 0 {
			t.Errorf("ping -I %s %s after rroute delete: got %v, want no replies", tt.src, tt.dst, r)
		}
	}
	// A gateway on no link of the kernel is refused.
	if r := e.rtool("rroute", "add", "default", "192.0.2.1"); r.code != 1 ||
		r.stderr != "rroute: writing to routing socket: Network is unreachable\n" {
		t.Errorf("rroute add via an unreachable gateway: got %v", r)
	}
	e.mustTool("rroute", "add", "default", "10.0.8.1")
	if out := e.mustTool("rroute", "-n", "flush"); out != "default              10.0.8.1             done\n" {
		t.Errorf("rroute flush: got %q", out)
	}
}

// TestRejectAndBlackholeRoutes sends real traffic into a -reject and a
// -blackhole route, from the kernel itself and through it from the
// namespace: a reject route answers a local sender with "No route to
// host" and a forwarded packet with an ICMP unreachable; a blackhole
// route drops both without a word. (NetBSD's unreachable is code 1, host;
// the stack's is code 0, net: doc/design.md.) Deleting the connected route makes
// its link unreachable until it is added back.
func TestRejectAndBlackholeRoutes(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt0", "inet", "10.0.9.2/24", "up")
	e.hostSide("tap0", "10.0.9.1/24")
	e.ip("route", "add", "10.66.0.0/16", "via", "10.0.9.2")
	e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rsysctl"), "-w", "net.inet.ip.forwarding=1")
	e.ping("10.0.9.2")
	hostPing := func() result { return e.run(nil, "ping", "-n", "-c", "1", "-W", "2", "10.66.0.1") }
	rping := func() result { return e.rtool("rping", "-n", "-c", "1", "-w", "1", "10.66.0.1") }

	e.mustTool("rroute", "add", "-net", "10.66.0.0/16", "10.0.9.1", "-reject")
	wantMatch(t, "rnetstat -rn", e.mustTool("rnetstat", "-rn"), `^10\.66/16 +10\.0\.9\.1 +UGRS +- +- +- +virt0$`, true)
	if r := rping(); r.code == 0 || !strings.Contains(r.stderr, "No route to host") {
		t.Errorf("rping through a reject route: got %v, want No route to host", r)
	}
	if r := hostPing(); r.code == 0 || !strings.Contains(r.stdout, "From 10.0.9.2 icmp_seq=1 Destination Net Unreachable") {
		t.Errorf("forwarded ping into a reject route: got %v, want Destination Net Unreachable from 10.0.9.2", r)
	}

	if out := e.mustTool("rroute", "change", "-net", "10.66.0.0/16", "-blackhole", "-noreject"); out != "change net 10.66.0.0/16\n" {
		t.Errorf("rroute change -blackhole: got %q", out)
	}
	wantMatch(t, "rnetstat -rn", e.mustTool("rnetstat", "-rn"), `^10\.66/16 +10\.0\.9\.1 +UGBS +- +- +- +virt0$`, true)
	if r := rping(); r.code == 0 || r.stderr != "" || !strings.Contains(r.stdout, "100.0% packet loss") {
		t.Errorf("rping through a blackhole route: got %v, want silent 100.0%% packet loss", r)
	}
	if r := hostPing(); r.code == 0 || strings.Contains(r.stdout, "Unreachable") {
		t.Errorf("forwarded ping into a blackhole route: got %v, want no answer at all", r)
	}

	// The connected route: deleted, the link is unreachable; added back
	// with -connected, reachable again.
	e.mustTool("rroute", "delete", "-net", "10.0.9.0/24")
	if r := e.rtool("rping", "-n", "-c", "1", "-w", "1", "10.0.9.1"); r.code == 0 {
		t.Errorf("rping after the connected route was deleted: got %v, want a failure", r)
	}
	e.mustTool("rroute", "add", "-net", "10.0.9.0/24", "-connected", "-link", "-iface", "virt0")
	wantMatch(t, "rnetstat -rn", e.mustTool("rnetstat", "-rn"), `^10\.0\.9/24 +link#2 +UCS +- +- +- +virt0$`, true)
	if r := e.rtool("rping", "-n", "-c", "1", "-w", "2", "10.0.9.1"); r.code != 0 {
		t.Errorf("rping after add -connected: got %v, want a reply", r)
	}
}
