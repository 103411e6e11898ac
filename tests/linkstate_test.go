package tests

import (
	"strconv"
	"strings"
	"testing"
)

// ifStatus returns the status line rifconfig prints for ifname.
func (e *env) ifStatus(ifname string) string {
	out := e.mustRif(ifname)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "\tstatus: ") {
			return strings.TrimPrefix(line, "\tstatus: ")
		}
	}
	return "(none) in\n" + out
}

// waitStatus polls rifconfig until ifname's status is want.
func (e *env) waitStatus(ifname, want string) {
	e.t.Helper()
	e.waitFor("status of "+ifname+" becomes "+want, func() (bool, string) {
		got := e.ifStatus(ifname)
		return got == want, got
	})
}

// outputErrors returns ifname's output error count as rifconfig -v and
// rnetstat -i show it, failing the test if they disagree.
func (e *env) outputErrors(ifname string) int {
	e.t.Helper()
	fromIf := 0
	for _, line := range strings.Split(e.mustRif("-v", ifname), "\n") {
		if !strings.HasPrefix(line, "\toutput: ") {
			continue
		}
		for _, part := range strings.Split(strings.TrimPrefix(line, "\toutput: "), ", ") {
			if f := strings.Fields(part); len(f) == 2 && strings.HasPrefix(f[1], "error") {
				fromIf, _ = strconv.Atoi(f[0])
			}
		}
	}
	out := e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rnetstat"), "-i", "-I", ifname)
	fromNetstat := -1
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 5 && f[0] == ifname {
			fromNetstat, _ = strconv.Atoi(f[len(f)-2]) // Oerrs
			break
		}
	}
	if fromIf != fromNetstat {
		e.t.Fatalf("%s output errors: rifconfig -v says %d, rnetstat -i says %d\n%s", ifname, fromIf, fromNetstat, out)
	}
	return fromIf
}

// linkEnv is a server whose virt0 (10.0.0.2/24) is bound to tap0
// (10.0.0.1/24 on the host side), made persistent beforehand if asked;
// traffic has been checked both ways.
func linkEnv(t *testing.T, persistent bool) *env {
	t.Helper()
	e := newEnv(t)
	e.startServer()
	if persistent {
		e.ip("tuntap", "add", "tap0", "mode", "tap")
	}
	e.mustRif("virt0", "create", "inet", "10.0.0.2/24", "up")
	e.hostSide("tap0", "10.0.0.1/24")
	e.waitStatus("virt0", "active")
	e.ping("10.0.0.2")
	if r := e.run([]string{"RUMP_SERVER=" + e.url}, bin("rping"), "-n", "-c", "1", "10.0.0.1"); r.code != 0 {
		t.Fatalf("rping 10.0.0.1 with carrier: got %v, want a reply", r)
	}
	return e
}

// TestLinkTapDeleted deletes the host tap under a running virt0: the
// status goes to no carrier, the kernel's pings fail and count output
// errors. A persistent tap added again is reattached (active, traffic
// flows); a tap the server made stays gone.
func TestLinkTapDeleted(t *testing.T) {
	for _, tt := range []struct {
		name       string
		persistent bool
	}{
		{"created by the server", false},
		{"persistent", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := linkEnv(t, tt.persistent)
			before := e.outputErrors("virt0")
			e.ip("link", "del", "tap0")
			e.waitStatus("virt0", "no carrier")
			e.rpingFails(e.url, "10.0.0.1")
			if got := e.outputErrors("virt0"); got <= before {
				t.Errorf("output errors after pinging without carrier: got %d, want more than %d", got, before)
			}
			if !tt.persistent {
				e.wantLink("tap0", false)
				if got := e.ifStatus("virt0"); got != "no carrier" {
					t.Errorf("status of virt0 with its own tap deleted: got %q, want %q", got, "no carrier")
				}
				return
			}
			e.ip("tuntap", "add", "tap0", "mode", "tap")
			e.hostSide("tap0", "10.0.0.1/24")
			e.waitStatus("virt0", "active")
			e.ping("10.0.0.2")
		})
	}
}

// TestLinkTapDownUp sets the host side of tap0 down under a running
// virt0 (no carrier, the kernel's pings fail as output errors) and up
// again (active, traffic flows).
func TestLinkTapDownUp(t *testing.T) {
	e := linkEnv(t, false)
	before := e.outputErrors("virt0")
	e.ip("link", "set", "tap0", "down")
	e.waitStatus("virt0", "no carrier")
	e.rpingFails(e.url, "10.0.0.1")
	if got := e.outputErrors("virt0"); got <= before {
		t.Errorf("output errors after pinging without carrier: got %d, want more than %d", got, before)
	}
	e.ip("link", "set", "tap0", "up")
	e.waitStatus("virt0", "active")
	e.ping("10.0.0.2")
}
