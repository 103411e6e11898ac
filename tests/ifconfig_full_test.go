package tests

// The full ifconfig(8) keyword set against a real rump kernel, with traffic
// from the namespace's side of the tap where a keyword changes what goes on
// the wire.

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// virtUp starts a server with virt0 at 10.0.0.2/24 on tap0, the namespace's
// side at 10.0.0.1/24, and checks that ping works.
func virtUp(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create", "inet", "10.0.0.2/24", "up")
	e.hostSide("tap0", "10.0.0.1/24")
	e.ping("10.0.0.2")
	return e
}

// pingFails pings once with a short wait and fails the test if a reply
// comes back.
func (e *env) pingFails(addr string) {
	e.t.Helper()
	r := e.run(nil, "ping", "-c", "2", "-i", "0.2", "-W", "1", addr)
	if r.code == 0 {
		e.t.Fatalf("ping %s: got %v, want no reply", addr, r)
	}
}

func TestArpOff(t *testing.T) {
	e := virtUp(t)
	e.mustRif("virt0", "-arp")
	if out := e.mustRif("virt0"); !strings.Contains(out, "NOARP") {
		t.Fatalf("rifconfig virt0 after -arp: got %q, want NOARP", out)
	}
	e.ip("neigh", "flush", "dev", "tap0")
	e.pingFails("10.0.0.2")
	e.mustRif("virt0", "arp")
	e.ping("10.0.0.2")
}

func TestLinkAddressActivation(t *testing.T) {
	e := virtUp(t)
	const next = "b2:0a:00:0b:0e:99"
	e.mustRif("virt0", "link", next)
	out := e.mustRif("virt0")
	if !strings.Contains(out, "\tlink "+next+"\n") {
		t.Fatalf("after link %s: got %q, want an inactive link line", next, out)
	}
	e.mustRif("virt0", "link", next, "active")
	out = e.mustRif("virt0")
	if !strings.Contains(out, "\taddress: "+next+"\n") {
		t.Fatalf("after link %s active: got %q, want it as address", next, out)
	}
	// The gratuitous ARP updates the namespace's neighbour entry.
	e.waitFor("the neighbour entry for 10.0.0.2 changes to "+next, func() (bool, string) {
		out := e.ip("neigh", "show", "10.0.0.2", "dev", "tap0")
		return strings.Contains(out, next), out
	})
	e.ping("10.0.0.2")
	if r := e.rif("virt0", "link", next, "delete"); r.code != 1 || r.stderr != "rifconfig: SIOCDLIFADDR: Device busy\n" {
		t.Errorf("delete the active link address: got %v, want exit 1 and SIOCDLIFADDR: Device busy", r)
	}
}

var inputPacketsRE = regexp.MustCompile(`\tinput: (\d+) packets?`)

func inputCount(t *testing.T, out string) int {
	t.Helper()
	m := inputPacketsRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no input line in %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestCountersAndZero(t *testing.T) {
	e := virtUp(t) // 3 pings, plus ARP
	before := inputCount(t, e.mustRif("-v", "virt0"))
	if before < 3 {
		t.Fatalf("input packets after 3 pings: got %d, want at least 3", before)
	}
	zeroed := e.mustRif("-z", "virt0")
	if got := inputCount(t, zeroed); got < before {
		t.Errorf("-z prints the counters before zeroing: got %d, want at least %d", got, before)
	}
	if after := inputCount(t, e.mustRif("-v", "virt0")); after >= before {
		t.Errorf("input packets after -z: got %d, want fewer than %d", after, before)
	}
	human := e.mustRif("-h", "-v", "virt0")
	if !regexp.MustCompile(`\tinput: \d+ packets?, [0-9.]+[KMG]? bytes?`).MatchString(human) {
		t.Errorf("-h -v: got %q", human)
	}
}

func TestWaitForDAD(t *testing.T) {
	e := virtUp(t)
	e.ip("addr", "add", "fc00::1/64", "dev", "tap0", "nodad")
	e.mustRif("virt0", "inet6", "fc00::2/64")
	if out := e.mustRif("virt0", "inet6"); !strings.Contains(out, "fc00::2/64 flags 0x2<TENTATIVE>") {
		t.Fatalf("new inet6 address: got %q, want TENTATIVE", out)
	}
	e.mustRif("-w", "10")
	if out := e.mustRif("virt0", "inet6"); strings.Contains(out, "TENTATIVE") {
		t.Fatalf("after -w: got %q, want no TENTATIVE", out)
	}
	e.ping("fc00::2")
}

func TestInet6Modifiers(t *testing.T) {
	e := virtUp(t)
	e.ip("addr", "add", "fc00:1::1/64", "dev", "tap0", "nodad")
	e.mustRif("virt0", "inet6", "fc00:1::", "eui64", "pltime", "2", "vltime", "4")
	e.mustRif("-w", "10")
	out := e.mustRif("-L", "virt0", "inet6")
	m := regexp.MustCompile(`\tinet6 (fc00:1::b00a:[0-9a-f:]+)/64 flags 0 pltime [0-2] vltime [0-4]\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("-L after eui64 pltime 2 vltime 4: got %q", out)
	}
	eui := m[1]
	e.ping(eui)
	e.waitFor(eui+" becomes deprecated", func() (bool, string) {
		out := e.mustRif("virt0", "inet6")
		return strings.Contains(out, eui+"/64 flags 0x10<DEPRECATED>"), out
	})
	e.waitFor(eui+" is removed when vltime runs out", func() (bool, string) {
		out := e.mustRif("virt0", "inet6")
		return !strings.Contains(out, eui), out
	})
	e.pingFails(eui)
}

func TestNetmaskForms(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"virt0", "10.0.0.2", "255.255.0.0"}, "\tinet 10.0.0.2/16 broadcast 10.0.255.255 flags 0\n"},
		{[]string{"virt0", "inet", "10.0.0.2", "netmask", "0xffffff00"}, "\tinet 10.0.0.2/24 broadcast 10.0.0.255 flags 0\n"},
		{[]string{"virt0", "10.0.0.2", "prefixlen", "25", "broadcast", "10.0.0.127"}, "\tinet 10.0.0.2/25 broadcast 10.0.0.127 flags 0\n"},
	}
	e := virtUp(t)
	for _, tt := range tests {
		e.mustRif(tt.args...)
		if out := e.mustRif("virt0", "inet"); !strings.HasSuffix(out, tt.want) {
			t.Errorf("rifconfig %s: got %q, want it to end with %q", strings.Join(tt.args, " "), out, tt.want)
		}
		e.ping("10.0.0.2")
	}
}
