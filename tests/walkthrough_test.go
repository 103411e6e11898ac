package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
)

// TestWalkthrough is the user's first session, step by step: boot, look,
// create virt0, address it, ping it over IPv4 and IPv6, reach its TCP stack,
// add and remove virt1, halt.
func TestWalkthrough(t *testing.T) {
	e := newEnv(t)
	s := e.startServer()

	golden.Check(t, "rifconfig-a-boot", []byte(e.mustRif("-a")))

	e.wantLink("tap0", false)
	e.mustRif("virt0", "create")
	e.wantLink("tap0", true)

	e.mustRif("virt0", "inet", "10.0.0.2/24", "up")
	e.hostSide("tap0", "10.0.0.1/24")
	e.ping("10.0.0.2")
	e.tcpRefused("10.0.0.2", 9)

	e.mustRif("virt0", "inet6", "fc00::2/64")
	e.hostSide("tap0", "fc00::1/64")
	e.waitNoTentative("virt0")
	e.ping("fc00::2")
	e.tcpRefused("fc00::2", 9)

	out := e.mustRif("virt0")
	for _, want := range []string{
		"virt0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n",
		"\tstatus: active\n",
		"\tinet6 fc00::2/64 flags 0\n",
		"\tinet 10.0.0.2/24 broadcast 10.0.0.255 flags 0\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rifconfig virt0: got\n%s\nwant a line %q", out, want)
		}
	}

	e.mustRif("virt1", "create")
	e.wantLink("tap1", true)
	if got, want := e.mustRif("-l"), "lo0 virt0 virt1\n"; got != want {
		t.Errorf("rifconfig -l: got %q, want %q", got, want)
	}
	e.mustRif("virt1", "destroy")
	e.wantLink("tap1", false)
	if got, want := e.mustRif("-l"), "lo0 virt0\n"; got != want {
		t.Errorf("rifconfig -l after destroy: got %q, want %q", got, want)
	}

	e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rhalt"))
	// rhalt returns once the socket is gone; the server closed its taps
	// before it answered.
	if _, err := os.Lstat(e.sock); !os.IsNotExist(err) {
		t.Errorf("socket after rhalt: got %v, want it removed", err)
	}
	e.wantLink("tap0", false)
	e.waitExited(s.pid)
}

// TestWalkthroughScript runs walkthrough.sh, the walk-through as a plain
// shell script, in a fresh namespace.
func TestWalkthroughScript(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(testsDir, "walkthrough.sh"), binDir, e.ns)
	r := runCmd(ctx, cmd, nil)
	t.Logf("walkthrough.sh output:\n%s%s", r.stdout, r.stderr)
	if r.code != 0 {
		t.Fatalf("walkthrough.sh: got exit %d, want 0", r.code)
	}
	if pids := e.nsPids(); len(pids) != 0 {
		t.Errorf("processes left in the namespace after the script: got %v, want none", pids)
	}
	for _, l := range e.links() {
		if l != "lo" {
			t.Errorf("links left in the namespace after the script: got %v, want only lo", e.links())
			break
		}
	}
}
