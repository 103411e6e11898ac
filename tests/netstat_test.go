package tests

// rnetstat -i and -s against a real server: the interface counters and
// the ICMP histograms count the pings the namespace sends.

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestNetstatCounters(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt0", "inet", "10.0.10.2/24", "up")
	e.mustRif("virt0", "inet6", "fc00:10::2/64")
	e.hostSide("tap0", "10.0.10.1/24")
	e.hostSide("tap0", "fc00:10::1/64")
	e.waitNoTentative("virt0")
	e.mustRif("-z", "virt0")

	out := e.mustTool("rnetstat", "-in", "-I", "virt0")
	if !strings.HasPrefix(out, "Name  Mtu   Network       Address              Ipkts Ierrs    Opkts Oerrs Colls\n") {
		t.Fatalf("rnetstat -in heading: got\n%s", out)
	}
	e.ping("10.0.10.2") // three echo requests
	e.ping("fc00:10::2")

	out = e.mustTool("rnetstat", "-in", "-I", "virt0")
	row := regexp.MustCompile(`(?m)^virt0 1500  10\.0\.10/24 +10\.0\.10\.2 +(\d+) +0 +(\d+) +0 +0$`).FindStringSubmatch(out)
	if row == nil {
		t.Fatalf("rnetstat -in -I virt0: got\n%s\nwant a line for 10.0.10.2", out)
	}
	in, _ := strconv.Atoi(row[1])
	outp, _ := strconv.Atoi(row[2])
	if in < 6 || outp < 6 { // echoes, replies and neighbour traffic
		t.Errorf("virt0 counters after two pings: got %d in, %d out; want at least 6 each", in, outp)
	}
	wantMatch(t, "rnetstat -in", out, `^virt0 1500  <Link> +([0-9a-f]{2}:){5}[0-9a-f]{2} +\d+ +0 +\d+ +0 +0$`, true)

	stats := e.mustTool("rnetstat", "-s")
	for _, re := range []string{
		`(?s)icmp:\n.*\tOutput histogram:\n(\t\t.*\n)*\t\techo reply: 3\n`,
		`(?s)icmp:\n.*\tInput histogram:\n(\t\t.*\n)*\t\techo: 3\n`,
		`(?s)icmp:\n.*\t3 message responses generated\n`,
		`(?s)icmp6:\n.*\tOutput packet histogram:\n(\t\t.*\n)*\t\techo reply: 3\n`,
		`(?s)icmp6:\n.*\tInput packet histogram:\n(\t\t.*\n)*\t\techo: 3\n`,
		`(?s)arp:\n\t\d+ packets? sent\n`,
		`(?m)^ip:\n\t[1-9]\d* total packets received$`,
	} {
		if !regexp.MustCompile(re).MatchString(stats) {
			t.Errorf("rnetstat -s: got\n%s\nwant a match for %q", stats, re)
		}
	}
	if out := e.mustTool("rnetstat", "-s", "-p", "icmp"); !strings.HasPrefix(out, "icmp:\n") || strings.Contains(out, "tcp:") {
		t.Errorf("rnetstat -s -p icmp: got\n%s", out)
	}
	if out := e.mustTool("rnetstat", "-an"); out != "" {
		t.Errorf("rnetstat -an: got %q, want no sockets in a kernel that opened none", out)
	}
}
