package tests

// IPv4 duplicate address detection and gratuitous ARP between real
// rump_server processes on a shmif bus, checked as NetBSD's
// tests/net/arp/t_dad.sh and t_arp.sh check them: the bus read back with
// shmif_dumpbus and tcpdump.

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit"
)

// busDump returns the bus's frames as tcpdump prints them.
func (e *env) busDump(bus string) string {
	e.t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		testkit.Skip(e.t, "no tcpdump in PATH (apt-get install tcpdump; scripts/setup.sh does): %v", err)
	}
	return e.mustRun(nil, "bash", "-o", "pipefail", "-c",
		fmt.Sprintf("%s -p - %s | tcpdump -n -r - 2>/dev/null", bin("shmif_dumpbus"), bus))
}

// arpRequest is the tcpdump line of an ARP request (t_dad's make_pkt_str).
func arpRequest(target, sender string) string {
	return fmt.Sprintf("ARP, Request who-has %s tell %s, length 28", target, sender)
}

// addrLine returns the rifconfig line of addr, or "".
func addrLine(out, addr string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "inet "+addr+"/") {
			return l
		}
	}
	return ""
}

// TestInetDADBasic follows t_dad dad_basic with NetBSD's default
// net.inet.ip.dad_count (3): the first address, given while the interface
// is down, does no DAD and is announced; an alias given once it is up is
// TENTATIVE, probed from 0.0.0.0, then announced and usable.
func TestInetDADBasic(t *testing.T) {
	e := newEnv(t)
	e.inetDAD = true
	bus := filepath.Join(e.dir, "bus")
	a := "unix://" + filepath.Join(e.dir, "a")
	e.startServerAt(a)
	if got := e.mustRun([]string{"RUMP_SERVER=" + a}, bin("rsysctl"), "-n", "net.inet.ip.dad_count"); got != "3\n" {
		t.Errorf("net.inet.ip.dad_count: got %q, want 3", got)
	}
	e.mustRifAt(a, "shmif0", "create")
	e.mustRifAt(a, "shmif0", "linkstr", bus)
	e.mustRifAt(a, "shmif0", "inet", "10.0.0.1/24")
	e.mustRifAt(a, "shmif0", "inet", "10.0.0.2/24", "alias")
	e.mustRifAt(a, "shmif0", "up")
	out := e.mustRifAt(a, "shmif0")
	if l := addrLine(out, "10.0.0.1"); l == "" || strings.Contains(l, "TENTATIVE") {
		t.Errorf("primary address: got %q, want it listed, not TENTATIVE", l)
	}
	if l := addrLine(out, "10.0.0.2"); !strings.Contains(l, "flags 0x1<TENTATIVE>") {
		t.Errorf("alias right after adding: got %q, want flags 0x1<TENTATIVE>", l)
	}
	e.mustRifAt(a, "-w", "20")
	if l := addrLine(e.mustRifAt(a, "shmif0"), "10.0.0.2"); !strings.HasSuffix(l, "flags 0") {
		t.Errorf("alias after rifconfig -w: got %q, want flags 0", l)
	}
	e.waitFor("the alias's announcement on the bus", func() (bool, string) {
		d := e.busDump(bus)
		return strings.Contains(d, arpRequest("10.0.0.2", "10.0.0.2")), d
	})
	d := e.busDump(bus)
	for _, c := range []struct {
		line string
		want bool
	}{
		{arpRequest("10.0.0.2", "0.0.0.0"), true},  // DAD probes for the alias
		{arpRequest("10.0.0.1", "0.0.0.0"), false}, // no DAD for the primary address
		{arpRequest("10.0.0.1", "10.0.0.1"), true}, // which is announced at once
	} {
		if strings.Contains(d, c.line) != c.want {
			t.Errorf("bus has %q: got %v, want %v\n%s", c.line, !c.want, c.want, d)
		}
	}
	if n := strings.Count(d, arpRequest("10.0.0.2", "0.0.0.0")); n != 3 {
		t.Errorf("got %d probes for 10.0.0.2, want 3 (dad_count)", n)
	}
}

// TestInetDADDuplicated follows t_dad dad_duplicated: an alias another
// kernel on the bus has becomes DUPLICATED; a unique one does not.
func TestInetDADDuplicated(t *testing.T) {
	e := newEnv(t)
	e.inetDAD = true
	bus := filepath.Join(e.dir, "bus")
	a, b := e.busKernel("a", bus, 1), e.busKernel("b", bus, 2)
	e.mustRifAt(a, "-w", "20")
	e.mustRifAt(b, "-w", "20")
	if l := addrLine(e.mustRifAt(a, "shmif0"), "10.1.0.1"); strings.Contains(l, "DUPLICATED") {
		t.Errorf("primary address: got %q, want not DUPLICATED", l)
	}
	e.mustRifAt(a, "shmif0", "inet", "10.1.0.2", "alias")
	e.waitFor("10.1.0.2 DUPLICATED on a", func() (bool, string) {
		l := addrLine(e.mustRifAt(a, "shmif0"), "10.1.0.2")
		return regexp.MustCompile(`flags 0x2<DUPLICATED>$`).MatchString(l), l
	})
	e.mustRifAt(a, "shmif0", "inet", "10.1.0.11", "alias")
	e.mustRifAt(a, "-w", "20")
	if l := addrLine(e.mustRifAt(a, "shmif0"), "10.1.0.11"); !strings.HasSuffix(l, "flags 0") {
		t.Errorf("unique alias: got %q, want flags 0", l)
	}
}

// TestGratuitousARPWithoutDAD follows t_arp arp_garp_without_dad: with
// net.inet.ip.dad_count 0 an address given to an interface that is up is
// announced at once.
func TestGratuitousARPWithoutDAD(t *testing.T) {
	e := newEnv(t)
	e.inetDAD = true
	bus := filepath.Join(e.dir, "bus")
	a := "unix://" + filepath.Join(e.dir, "a")
	e.startServerAt(a)
	if got := e.mustRun([]string{"RUMP_SERVER=" + a}, bin("rsysctl"), "-w", "net.inet.ip.dad_count=0"); !strings.Contains(got, "3 -> 0") {
		t.Errorf("rsysctl -w net.inet.ip.dad_count=0: got %q, want 3 -> 0", got)
	}
	e.mustRifAt(a, "shmif0", "create")
	e.mustRifAt(a, "shmif0", "linkstr", bus)
	e.mustRifAt(a, "shmif0", "up")
	e.mustRifAt(a, "shmif0", "inet", "10.0.0.3/24")
	e.mustRifAt(a, "shmif0", "inet", "10.0.0.4/24", "alias")
	d := e.busDump(bus)
	for _, ip := range []string{"10.0.0.3", "10.0.0.4"} {
		if !strings.Contains(d, arpRequest(ip, ip)) {
			t.Errorf("bus: no %q\n%s", arpRequest(ip, ip), d)
		}
	}
}
