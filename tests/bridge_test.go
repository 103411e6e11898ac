package tests

// bridge(4) and rbrconfig(8) with real processes: NetBSD's bridge scenarios
// on shmif buses (kernels A and C reach each other only while kernel B
// bridges), the address cache commands, protected ports, a spanning-tree
// loop, and the host scenario (a rump kernel's tap bridged with a veth to a
// "LAN" namespace by rbrconfig on the host).

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// brAt runs rbrconfig against the server at url.
func (e *env) brAt(url string, args ...string) result { return e.toolAt(url, "rbrconfig", args...) }

// mustBrAt runs rbrconfig and fails the test unless it exits 0 with nothing
// on stderr; it returns stdout.
func (e *env) mustBrAt(url string, args ...string) string {
	e.t.Helper()
	r := e.brAt(url, args...)
	if r.code != 0 || r.stderr != "" {
		e.t.Fatalf("RUMP_SERVER=%s rbrconfig %s: got %v, want exit 0 and no stderr", url, strings.Join(args, " "), r)
	}
	return r.stdout
}

var addressLine = regexp.MustCompile(`(?m)^\taddress: ([0-9a-f:]{17})$`)

// macAt returns the interface's MAC address.
func (e *env) macAt(url, ifname string) string {
	e.t.Helper()
	m := addressLine.FindStringSubmatch(e.mustRifAt(url, ifname))
	if m == nil {
		e.t.Fatalf("no address line for %s", ifname)
	}
	return m[1]
}

// rpingFails pings dst once from url and fails the test unless no reply
// comes back.
func (e *env) rpingFails(url, dst string) {
	e.t.Helper()
	tool, deadline := "rping", "-w"
	if strings.Contains(dst, ":") {
		tool, deadline = "rping6", "-X"
	}
	r := e.toolAt(url, tool, "-n", "-c", "2", "-i", "0.2", deadline, "2", dst)
	if r.code == 0 {
		e.t.Fatalf("RUMP_SERVER=%s %s %s: got %v, want no reply", url, tool, dst, r)
	}
}

// waitReach pings dst from url until a reply comes back. The first ping
// after a topology change may be lost with a neighbour resolution that
// started (and failed) before the change.
func (e *env) waitReach(url, dst string) {
	e.t.Helper()
	tool, deadline := "rping", "-w"
	if strings.Contains(dst, ":") {
		tool, deadline = "rping6", "-X"
	}
	e.waitFor(dst+" answers "+url, func() (bool, string) {
		r := e.toolAt(url, tool, "-n", "-c", "1", deadline, "1", dst)
		return r.code == 0, r.String()
	})
}

// bridgeKernel starts a server whose shmif interfaces are on the given
// buses, up, without addresses, and returns its url.
func (e *env) bridgeKernel(name string, args []string, buses ...string) string {
	e.t.Helper()
	url := "unix://" + filepath.Join(e.dir, name)
	e.startServerAt(url, args...)
	for i, bus := range buses {
		ifname := fmt.Sprintf("shmif%d", i)
		e.mustRifAt(url, ifname, "create")
		e.mustRifAt(url, ifname, "linkstr", bus)
		e.mustRifAt(url, ifname, "up")
	}
	return url
}

// cacheLines returns the address cache lines of rbrconfig's output.
func cacheLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if regexp.MustCompile(`^\t+[0-9a-f]{2}(:[0-9a-f]{2}){5} `).MatchString(l) {
			lines = append(lines, strings.TrimLeft(l, "\t"))
		}
	}
	return lines
}

func TestBridgeThreeKernels(t *testing.T) {
	e := newEnv(t)
	bus1, bus2 := filepath.Join(e.dir, "bus1"), filepath.Join(e.dir, "bus2")
	a, c := e.busKernel("a", bus1, 1), e.busKernel("c", bus2, 3)
	b := e.bridgeKernel("b", nil, bus1, bus2)
	e.mustRifAt(b, "shmif0", "inet", "10.1.0.2/24")
	e.mustRifAt(b, "shmif0", "inet6", "fd01::2/64")
	for _, u := range []string{a, b, c} {
		e.waitUsableAt(u, "shmif0")
	}
	macA, macC := e.macAt(a, "shmif0"), e.macAt(c, "shmif0")

	e.rpingFails(a, "10.1.0.3")
	e.mustRifAt(b, "bridge0", "create")
	e.mustBrAt(b, "bridge0", "add", "shmif0", "shmif1", "up")
	e.waitReach(a, "10.1.0.3")
	for _, p := range []struct{ from, to string }{
		{a, "10.1.0.3"}, {a, "fd01::3"}, {c, "10.1.0.1"}, {c, "fd01::1"},
		{c, "10.1.0.2"}, {c, "fd01::2"}, {a, "10.1.0.2"}, // B's member answers on both sides
	} {
		e.rpingOK(p.from, p.to, 2)
	}

	out := e.mustBrAt(b, "bridge0")
	re := "^bridge0: flags=41<UP,RUNNING>\n" +
		"\tConfiguration:\n\t\tpriority 32768 hellotime 2 fwddelay 15 maxage 20\n\t\tipfilter disabled flags 0x0\n" +
		"\tInterfaces:\n\t\tshmif1 flags=3<LEARNING,DISCOVER>\n\t\t\tport \\d+ priority 128\n" +
		"\t\tshmif0 flags=3<LEARNING,DISCOVER>\n\t\t\tport \\d+ priority 128\n" +
		"\tAddress cache \\(max cache: 100, timeout: 1200\\):\n(\t\t[0-9a-f:]{17} shmif[01] 1[12]\\d\\d flags=0<>\n)+$"
	if !regexp.MustCompile(re).MatchString(out) {
		t.Errorf("rbrconfig bridge0: got\n%s\nwant match\n%s", out, re)
	}
	addr := e.mustBrAt(b, "bridge0", "addr")
	for _, want := range []string{macA + " shmif0 ", macC + " shmif1 "} {
		if !strings.Contains(addr, "\t"+want) {
			t.Errorf("rbrconfig bridge0 addr: got %q, want a line starting %q", addr, want)
		}
	}

	e.mustBrAt(b, "bridge0", "deladdr", macA)
	if strings.Contains(e.mustBrAt(b, "bridge0", "addr"), macA) {
		t.Errorf("deladdr %s: entry still there", macA)
	}
	e.mustBrAt(b, "bridge0", "static", "shmif0", "00:aa:aa:aa:aa:aa")
	e.mustBrAt(b, "bridge0", "flush")
	if got := cacheLines(e.mustBrAt(b, "bridge0", "addr")); len(got) != 1 || got[0] != "00:aa:aa:aa:aa:aa shmif0 0 flags=1<STATIC>" {
		t.Errorf("after static and flush: got %q, want only the static entry", got)
	}
	e.mustBrAt(b, "bridge0", "flushall")
	if got := cacheLines(e.mustBrAt(b, "bridge0", "addr")); len(got) != 0 {
		t.Errorf("after flushall: got %q", got)
	}
	e.mustBrAt(b, "bridge0", "timeout", "600")
	e.rpingOK(a, "10.1.0.3", 2)
	out = e.mustBrAt(b, "bridge0")
	if !strings.Contains(out, "(max cache: 100, timeout: 600)") || len(cacheLines(out)) < 2 {
		t.Errorf("after timeout 600 and traffic: got\n%s", out)
	}
	e.mustBrAt(b, "bridge0", "maxaddr", "1")
	out = e.mustBrAt(b, "bridge0")
	if !strings.Contains(out, "(max cache: 1, timeout: 600)") || len(cacheLines(out)) != 1 {
		t.Errorf("after maxaddr 1: got\n%s", out)
	}
	e.mustBrAt(b, "bridge0", "maxaddr", "100")
	e.rpingOK(a, "10.1.0.3", 2)

	// Deleting a member drops its entries and cuts A off from C.
	e.mustBrAt(b, "bridge0", "delete", "shmif1")
	if strings.Contains(e.mustBrAt(b, "bridge0", "addr"), " shmif1 ") {
		t.Errorf("entries of the deleted member remain")
	}
	e.rpingFails(a, "10.1.0.3")

	// Errors as brconfig's.
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"bridge0", "add", "shmif0"}, "rbrconfig: add shmif0: File exists\n"},
		{[]string{"bridge0", "add", "shmif7"}, "rbrconfig: add shmif7: No such file or directory\n"},
		{[]string{"bridge0", "delete", "shmif1"}, "rbrconfig: delete shmif1: No such file or directory\n"},
		{[]string{"bridge0", "bogus"}, "rbrconfig: unknown command: bogus\n"},
		{[]string{"bridge0", "maxaddr"}, "rbrconfig: command maxaddr requires 1 argument(s)\n"},
		{[]string{"bridge0", "hellotime", "0"}, "rbrconfig: hellotime: invalid value: 0\n"},
		{[]string{"bridge7"}, "rbrconfig: unable to get interface flags: Device not configured\n"},
		{[]string{"shmif0"}, "rbrconfig: shmif0 is not a bridge\n"},
	} {
		r := e.brAt(b, tt.args...)
		if r.code != 1 || r.stderr != tt.err {
			t.Errorf("rbrconfig %s: got %v, want exit 1, stderr %q", strings.Join(tt.args, " "), r, tt.err)
		}
	}

	// Destroy while up.
	e.mustRifAt(b, "bridge0", "destroy")
	if got := e.mustRifAt(b, "-l"); strings.Contains(got, "bridge0") {
		t.Errorf("rifconfig -l after destroy: got %q", got)
	}
}

// outputPackets reads the output packet count from rifconfig -v output.
func outputPackets(t *testing.T, out string) int {
	t.Helper()
	m := regexp.MustCompile(`\toutput: (\d+) packets?,`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no output counter in\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestBridgeProtect(t *testing.T) {
	e := newEnv(t)
	var buses []string
	for i := 1; i <= 3; i++ {
		buses = append(buses, filepath.Join(e.dir, fmt.Sprintf("bus%d", i)))
	}
	// No kernel has IPv6, so nothing but the test's own traffic (and
	// ARP) crosses the bridge: the output counters count just that.
	inet := []string{"-l", "rumpnet_shmif", "-l", "rumpnet_bridge", "-l", "rumpnet_netinet"}
	var hosts []string
	for i, n := range []int{1, 3, 4} {
		u := e.bridgeKernel(fmt.Sprintf("h%d", n), inet, buses[i])
		e.mustRifAt(u, "shmif0", "inet", fmt.Sprintf("10.1.0.%d/24", n))
		hosts = append(hosts, u)
	}
	a, c := hosts[0], hosts[1]
	b := e.bridgeKernel("b", inet, buses...)
	e.mustRifAt(b, "bridge0", "create")
	e.mustBrAt(b, "bridge0", "add", "shmif0", "add", "shmif1", "add", "shmif2", "up")
	e.waitReach(a, "10.1.0.3")
	e.rpingOK(a, "10.1.0.4", 1)

	e.mustBrAt(b, "bridge0", "protect", "shmif0", "protect", "shmif1")
	if out := e.mustBrAt(b, "bridge0"); !strings.Contains(out, "shmif0 flags=b<LEARNING,DISCOVER,PROTECTED>") {
		t.Errorf("rbrconfig bridge0 after protect: got\n%s", out)
	}
	e.mustBrAt(b, "bridge0", "flush")
	e.mustRifAt(b, "-z", "shmif1")
	e.mustRifAt(b, "-z", "shmif2")
	// Protected to protected: nothing A sends reaches bus2. The other
	// hosts may still talk there (h4 re-resolving A is flooded from the
	// unprotected shmif2), so count A's own frames on the bus, not
	// shmif1's output.
	sentByA := regexp.MustCompile(`(?m)IP 10\.1\.0\.1 > |tell 10\.1\.0\.1,|Reply 10\.1\.0\.1 is-at`)
	fromA := func() int {
		return len(sentByA.FindAllString(e.busDump(buses[1]), -1))
	}
	before := fromA()
	e.rpingFails(a, "10.1.0.3")
	if got := fromA(); got != before {
		t.Errorf("frames from A on bus2 (behind protected shmif1): got %d more, want none\n%s", got-before, e.busDump(buses[1]))
	}
	if n := outputPackets(t, e.mustRifAt(b, "-v", "shmif2")); n == 0 {
		t.Errorf("shmif2 (unprotected) output after A's broadcasts: got 0 packets, want some")
	}
	e.rpingOK(a, "10.1.0.4", 1) // protected to unprotected passes
	e.rpingOK(c, "10.1.0.4", 1)

	e.mustBrAt(b, "bridge0", "-protect", "shmif1")
	e.waitReach(a, "10.1.0.3")
	if n := outputPackets(t, e.mustRifAt(b, "-v", "shmif1")); n == 0 {
		t.Errorf("shmif1 output after -protect and traffic: got 0 packets")
	}
}

var stpState = regexp.MustCompile(`(?m)^\t\t(shmif\d) flags=7<LEARNING,DISCOVER,STP>\n\t\t\tport \d+ priority 128 path cost 55 (\w+)$`)

// stpStates returns each member's spanning-tree state.
func (e *env) stpStates(url string) map[string]string {
	states := map[string]string{}
	for _, m := range stpState.FindAllStringSubmatch(e.mustBrAt(url, "bridge0"), -1) {
		states[m[1]] = m[2]
	}
	return states
}

func TestBridgeSpanningTreeLoop(t *testing.T) {
	e := newEnv(t)
	busX, busY := filepath.Join(e.dir, "busx"), filepath.Join(e.dir, "busy")
	a, c := e.busKernel("a", busX, 1), e.busKernel("c", busY, 3)
	var bridges []string
	for _, name := range []string{"b1", "b2"} {
		u := e.bridgeKernel(name, nil, busX, busY)
		e.mustRifAt(u, "bridge0", "create")
		e.mustBrAt(u, "bridge0", "hellotime", "1", "fwddelay", "2", "maxage", "6",
			"add", "shmif0", "add", "shmif1", "stp", "shmif0", "stp", "shmif1", "up")
		bridges = append(bridges, u)
	}
	converged := func() (bool, string) {
		var all []string
		blocking := 0
		for _, u := range bridges {
			for ifname, st := range e.stpStates(u) {
				all = append(all, u[len(u)-2:]+"/"+ifname+"="+st)
				if st == "blocking" {
					blocking++
				} else if st != "forwarding" {
					return false, strings.Join(all, " ")
				}
			}
		}
		return len(all) == 4 && blocking == 1, strings.Join(all, " ")
	}
	e.waitFor("spanning tree converges with one blocking port", converged)
	e.waitUsableAt(a, "shmif0")
	e.waitUsableAt(c, "shmif0")
	e.rpingOK(a, "10.1.0.3", 3)
	e.rpingOK(c, "fd01::1", 3)

	// No storm: the members' input counters grow by BPDUs and the pings,
	// not without bound.
	count := func() int {
		n := 0
		for _, u := range bridges {
			for _, ifname := range []string{"shmif0", "shmif1"} {
				n += inputCount(t, e.mustRifAt(u, "-v", ifname))
			}
		}
		return n
	}
	before := count()
	e.rpingOK(a, "10.1.0.3", 2)
	time.Sleep(2 * time.Second)
	if grown := count() - before; grown > 200 {
		t.Errorf("members received %d frames in 2 s of quiet traffic: a broadcast storm", grown)
	}

	// Take down the link that forwards on the bridge with the blocking
	// port: the blocking port takes over.
	var blockedBridge, blockedPort, otherPort string
	for _, u := range bridges {
		for ifname, st := range e.stpStates(u) {
			if st == "blocking" {
				blockedBridge, blockedPort = u, ifname
			}
		}
	}
	otherPort = map[string]string{"shmif0": "shmif1", "shmif1": "shmif0"}[blockedPort]
	e.mustRifAt(blockedBridge, otherPort, "down")
	e.waitFor(blockedPort+" unblocks", func() (bool, string) {
		st := e.stpStates(blockedBridge)
		return st[blockedPort] == "forwarding", fmt.Sprint(st)
	})
	e.rpingOK(a, "10.1.0.3", 2)
}

// The seed's host scenario: a rump kernel's virt0 on tap0, and on the
// host rbrconfig bridges tap0 with a veth em0 whose peer is in a "LAN"
// namespace; the LAN pings the rump kernel.
func TestBridgeHost(t *testing.T) {
	e := newEnv(t)
	lan := e.peerNamespace("lan")
	e.startServer()
	e.mustRif("virt0", "create", "inet", "10.6.0.2/24", "up")
	e.mustRif("virt0", "inet6", "fd06::2/64")
	e.ip("link", "add", "em0", "type", "veth", "peer", "name", "eth0", "netns", lan)
	for _, argv := range [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "addr", "add", "10.6.0.1/24", "dev", "eth0"},
		{"ip", "addr", "add", "fd06::1/64", "dev", "eth0", "nodad"},
		{"ip", "link", "set", "eth0", "up"},
	} {
		e.mustRun(nil, append([]string{"ip", "netns", "exec", lan}, argv...)...)
	}
	e.mustHostRif("bridge0", "create")
	if r := e.run(hostEnv, bin("rbrconfig"), "bridge0", "add", "tap0", "em0", "up"); r.code != 0 || r.stderr != "" {
		t.Fatalf("rbrconfig bridge0 add tap0 em0 up (host): got %v", r)
	}
	e.mustHostRif("tap0", "up")
	e.mustHostRif("em0", "up")
	e.waitNoTentative("virt0")
	for _, dst := range []string{"10.6.0.2", "fd06::2"} {
		argv := []string{"ip", "netns", "exec", lan, "ping", "-c", "3", "-i", "0.2", "-W", "2", dst}
		var r result
		for i := 0; i < 10; i++ { // the host bridge may still be learning
			if r = e.run(nil, argv...); r.code == 0 {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
		if r.code != 0 {
			t.Errorf("%s: got %v", strings.Join(argv, " "), r)
		}
	}
	out := e.run(hostEnv, bin("rbrconfig"), "bridge0")
	vmac := e.macAt(e.url, "virt0")
	if out.code != 0 || !strings.Contains(out.stdout, "\t\ttap0 flags=") || !strings.Contains(out.stdout, "\t\tem0 flags=") ||
		!strings.Contains(out.stdout, vmac+" tap0 ") {
		t.Errorf("rbrconfig bridge0 (host): got %v, want members tap0 and em0 and %s learned on tap0", out, vmac)
	}
}
