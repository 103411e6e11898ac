package tests

// rarp and rndp against a real server: the namespace's end of the tap
// shows up in the kernel's neighbour caches after traffic, and deleting
// removes it; static entries are permanent.

import (
	"regexp"
	"strings"
	"testing"
)

func TestNeighborCaches(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt0", "inet", "10.0.9.2/24", "up")
	e.mustRif("virt0", "inet6", "fc00:9::2/64")
	e.hostSide("tap0", "10.0.9.1/24")
	e.hostSide("tap0", "fc00:9::1/64")
	e.waitNoTentative("virt0")
	mac := strings.TrimSpace(e.mustRun(nil, "cat", "/sys/class/net/tap0/address"))
	if !regexp.MustCompile(`^([0-9a-f]{2}:){5}[0-9a-f]{2}$`).MatchString(mac) {
		t.Fatalf("tap0's address: got %q", mac)
	}

	if out := e.mustTool("rarp", "-an"); strings.Contains(out, "10.0.9.1") {
		t.Fatalf("rarp -an before traffic: got %q, want no entry for 10.0.9.1", out)
	}
	e.ping("10.0.9.2")
	want := "? (10.0.9.1) at " + mac + " on virt0\n"
	if out := e.mustTool("rarp", "-an"); !strings.Contains(out, want) {
		t.Fatalf("rarp -an after ping: got %q, want %q", out, want)
	}
	if out := e.mustTool("rarp", "-n", "10.0.9.1"); out != want {
		t.Errorf("rarp -n 10.0.9.1: got %q, want %q", out, want)
	}
	wantMatch(t, "rnetstat -rn", e.mustTool("rnetstat", "-rn", "-f", "inet"),
		`^10\.0\.9\.1 +`+mac+` +UHL +- +- +- +virt0$`, true)
	e.mustTool("rarp", "-d", "10.0.9.1")
	if r := e.rtool("rarp", "-n", "10.0.9.1"); r.code != 1 || r.stderr != "rarp: 10.0.9.1 (10.0.9.1) -- no entry\n" {
		t.Errorf("rarp -n 10.0.9.1 after -d: got %v, want no entry", r)
	}
	e.mustTool("rarp", "-s", "10.0.9.77", "02:00:00:00:00:77")
	if out := e.mustTool("rarp", "-n", "10.0.9.77"); out != "? (10.0.9.77) at 02:00:00:00:00:77 on virt0 permanent\n" {
		t.Errorf("static entry: got %q", out)
	}
	if r := e.rtool("rarp", "-s", "10.0.9.77", "02:00:00:00:00:78"); r.code != 1 ||
		r.stderr != "rarp: writing to routing socket: File exists\n" {
		t.Errorf("second static entry: got %v, want File exists", r)
	}

	e.ping("fc00:9::2")
	line := regexp.MustCompile(`(?m)^fc00:9::1 +` + mac + ` +virt0 \S+ +[RSDP] $`)
	out := e.mustTool("rndp", "-an")
	if !strings.HasPrefix(out, "Neighbor                                Linklayer Address  Netif Expire    S Fl\n") || !line.MatchString(out) {
		t.Fatalf("rndp -an after ping -6: got\n%s\nwant a line for fc00:9::1 at %s", out, mac)
	}
	wantMatch(t, "rnetstat -rn", e.mustTool("rnetstat", "-rn", "-f", "inet6"),
		`^fc00:9::1 +`+mac+` +UHL +- +- +- +virt0$`, true)
	if out := e.mustTool("rndp", "-n", "-d", "fc00:9::1"); !strings.HasSuffix(out, "fc00:9::1 (fc00:9::1) deleted\n") {
		t.Errorf("rndp -d fc00:9::1: got %q", out)
	}
	if out := e.mustTool("rndp", "-an"); line.MatchString(out) {
		t.Errorf("rndp -an after -d: got\n%s\nwant no fc00:9::1", out)
	}
	if r := e.rtool("rndp", "-n", "fc00:9::1"); r.code != 1 || r.stderr != "rndp: fc00:9::1 (fc00:9::1) -- no entry\n" {
		t.Errorf("rndp -n fc00:9::1 after -d: got %v", r)
	}
}
