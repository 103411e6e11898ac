package tests

// IPv6 DAD probes on the wire, as NetBSD's ndp t_dad dad_basic and
// dad_count look for them in a bus dump: each neighbour solicitation
// carries a nonce option (RFC 7527), as NetBSD 10's nd6_dad_ns_output
// sends it, so the frame is 86 bytes and the ICMPv6 message 32.

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit"
)

// busDumpE is busDump with link-level headers (tcpdump -e).
func (e *env) busDumpE(bus string) string {
	e.t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		testkit.Skip(e.t, "no tcpdump in PATH (apt-get install tcpdump; scripts/setup.sh does): %v", err)
	}
	return e.mustRun(nil, "bash", "-o", "pipefail", "-c",
		fmt.Sprintf("%s -p - %s | tcpdump -n -e -r - 2>/dev/null", bin("shmif_dumpbus"), bus))
}

// dadProbe is the tcpdump -e line of a DAD probe for fc00::id, from its
// destination MAC on.
func dadProbe(id int) string {
	return fmt.Sprintf("33:33:ff:00:00:%02x, ethertype IPv6 (0x86dd), length 86: :: > ff02::1:ff00:%x: "+
		"ICMP6, neighbor solicitation, who has fc00::%x, length 32", id, id, id)
}

func TestInet6DADProbes(t *testing.T) {
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	a := "unix://" + filepath.Join(e.dir, "a")
	e.startServerAt(a)
	e.mustRifAt(a, "shmif0", "create")
	e.mustRifAt(a, "shmif0", "linkstr", bus)
	e.mustRifAt(a, "shmif0", "inet6", "fc00::1")
	e.mustRifAt(a, "shmif0", "inet6", "fc00::2")
	e.mustRifAt(a, "shmif0", "up")
	e.mustRifAt(a, "-w", "10")
	e.mustRifAt(a, "shmif0", "inet6", "fc00::3")
	e.mustRifAt(a, "-w", "10")
	e.mustRun([]string{"RUMP_SERVER=" + a}, bin("rsysctl"), "-w", "-q", "net.inet6.ip6.dad_count=8")
	e.mustRifAt(a, "shmif0", "inet6", "fc00::4")
	e.mustRifAt(a, "-w", "20")
	d := e.busDumpE(bus)
	for _, c := range []struct {
		id, probes int
	}{
		{1, 0}, // the primary address, given while down: no DAD (as dad_basic)
		{2, 1}, // the alias: one probe with dad_count 1
		{3, 1}, // added while up
		{4, 8}, // dad_count 8 (as dad_count)
	} {
		if got := strings.Count(d, dadProbe(c.id)); got != c.probes {
			t.Errorf("probes for fc00::%x: got %d, want %d lines %q\n%s", c.id, got, c.probes, dadProbe(c.id), d)
		}
	}
}
