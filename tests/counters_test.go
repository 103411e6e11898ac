package tests

// Counters that add up: a router kernel's netstat -s counts what it
// forwards, a bridge kernel's ifconfig -v and netstat -i count what the
// bridge passes.

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// counter finds the number in front of what in out, or -1.
func counter(out, what string) int {
	m := regexp.MustCompile(`(?m)^\s*(\d+) ` + regexp.QuoteMeta(what)).FindStringSubmatch(out)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestRouterNetstatCountsForwarded(t *testing.T) {
	const pings = 5
	r := newRouter(t)
	r.mustRun([]string{"RUMP_SERVER=" + r.url}, bin("rsysctl"), "-w", "net.inet.ip.forwarding=1")
	r.mustIn(r.a, "ping", "-c", strconv.Itoa(pings), "-i", "0.2", "-W", "2", "10.0.2.1")
	out := r.mustRun([]string{"RUMP_SERVER=" + r.url}, bin("rnetstat"), "-s", "-p", "ip")
	if n := counter(out, "packets forwarded"); n < 2*pings {
		t.Errorf("rnetstat -s -p ip: got %d packets forwarded, want at least %d (requests and replies)\n%s", n, 2*pings, out)
	}
	if n := counter(out, "packets sent from this host"); n >= pings {
		t.Errorf("rnetstat -s -p ip: got %d packets sent from this host, want fewer than %d\n%s", n, pings, out)
	}
}

func TestBridgeInterfaceCounters(t *testing.T) {
	const pings = 5
	e := newEnv(t)
	bus1, bus2 := filepath.Join(e.dir, "bus1"), filepath.Join(e.dir, "bus2")
	a, c := e.busKernel("a", bus1, 1), e.busKernel("c", bus2, 3)
	b := e.bridgeKernel("b", nil, bus1, bus2)
	for _, u := range []string{a, c} {
		e.waitUsableAt(u, "shmif0")
	}
	e.mustRifAt(b, "bridge0", "create")
	e.mustBrAt(b, "bridge0", "add", "shmif0", "shmif1", "up")
	e.waitReach(a, "10.1.0.3")
	for _, ifname := range []string{"bridge0", "shmif0", "shmif1"} {
		e.mustRifAt(b, "-z", ifname)
	}
	e.rpingOK(a, "10.1.0.3", pings)

	v := e.mustRifAt(b, "-v", "bridge0")
	for _, dir := range []string{"input", "output"} {
		n := -1
		if m := regexp.MustCompile(`\t` + dir + `: (\d+) packets?, `).FindStringSubmatch(v); m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		if n < 2*pings {
			t.Errorf("rifconfig -v bridge0: %s: got %d packets, want at least %d\n%s", dir, n, 2*pings, v)
		}
	}
	out := e.toolAt(b, "rnetstat", "-inv").stdout // -v: names are not cut to 5 characters
	for _, ifname := range []string{"bridge0", "shmif0", "shmif1"} {
		var fields []string
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == ifname && strings.Contains(l, "<Link>") {
				fields = f
			}
		}
		// Name Mtu Network [Address] Ipkts Ierrs Opkts Oerrs Colls
		if len(fields) < 8 {
			t.Errorf("rnetstat -inv: no <Link> line for %s\n%s", ifname, out)
			continue
		}
		ipkts, _ := strconv.Atoi(fields[len(fields)-5])
		opkts, _ := strconv.Atoi(fields[len(fields)-3])
		if ipkts < pings || opkts < pings {
			t.Errorf("rnetstat -inv %s: got %d in, %d out, want at least %d each\n%s", ifname, ipkts, opkts, pings, out)
		}
	}
}
