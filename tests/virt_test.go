package tests

import (
	"strings"
	"testing"
)

// TestDestroyRemovesTap checks that destroying virt0, down or up and
// addressed, removes the tap the server created for it.
func TestDestroyRemovesTap(t *testing.T) {
	tests := []struct {
		name  string
		setup [][]string // rifconfig commands after create
	}{
		{"down", nil},
		{"up with addresses", [][]string{
			{"virt0", "inet", "10.0.0.2/24", "up"},
			{"virt0", "inet6", "fc00::2/64"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.startServer()
			e.mustRif("virt0", "create")
			e.wantLink("tap0", true)
			for _, args := range tt.setup {
				e.mustRif(args...)
			}
			e.mustRif("virt0", "destroy")
			e.wantLink("tap0", false)
			if got, want := e.mustRif("-l"), "lo0\n"; got != want {
				t.Errorf("rifconfig -l: got %q, want %q", got, want)
			}
			// The unit can be made again at once.
			e.mustRif("virt0", "create")
			e.wantLink("tap0", true)
		})
	}
}

// TestPersistentTapSurvives binds virt5 to a persistent tap an
// administrator made: traffic flows, and destroy leaves the tap (still
// persistent) in place.
func TestPersistentTapSurvives(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.ip("tuntap", "add", "tap5", "mode", "tap")
	e.hostSide("tap5", "10.0.5.1/24")

	e.mustRif("virt5", "create")
	e.mustRif("virt5", "inet", "10.0.5.2/24", "up")
	e.ping("10.0.5.2")
	e.mustRif("virt5", "destroy")

	e.wantLink("tap5", true)
	if out := e.ip("-d", "link", "show", "dev", "tap5"); !strings.Contains(out, "persist on") {
		t.Errorf("ip -d link show tap5 after destroy: got\n%s\nwant %q", out, "persist on")
	}
	if out := e.ip("addr", "show", "dev", "tap5"); !strings.Contains(out, "10.0.5.1/24") {
		t.Errorf("tap5 addresses after destroy: got\n%s\nwant 10.0.5.1/24 kept", out)
	}

	// Attach again: the same tap still carries traffic.
	e.mustRif("virt5", "create")
	e.mustRif("virt5", "inet", "10.0.5.2/24", "up")
	e.ping("10.0.5.2")
	e.mustRif("virt5", "destroy")
	e.wantLink("tap5", true)
}

// TestLinkstrRebinds moves a down virt0 from tap0 to tap7 with linkstr;
// traffic then flows over tap7. linkstr is refused while up, and a tap that
// cannot be opened leaves the old one bound; -linkstr unbinds (no carrier,
// up fails) until linkstr binds again.
func TestLinkstrRebinds(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	e.wantLink("tap0", true)

	e.mustRif("virt0", "linkstr", "tap7")
	e.wantLink("tap7", true)
	e.wantLink("tap0", false) // the server made tap0, so letting go removes it
	if out := e.mustRif("virt0"); !strings.Contains(out, "\tlinkstr: tap7\n") {
		t.Errorf("rifconfig virt0: got\n%s\nwant a line %q", out, "\tlinkstr: tap7")
	}

	e.mustRif("virt0", "inet", "10.0.7.2/24", "up")
	e.hostSide("tap7", "10.0.7.1/24")
	e.ping("10.0.7.2")
	e.tcpRefused("10.0.7.2", 9)

	r := e.rif("virt0", "linkstr", "tap8")
	if want := "rifconfig: SIOCSLINKSTR: Device busy\n"; r.code != 1 || r.stderr != want {
		t.Errorf("linkstr while up: got %v, want exit 1, stderr %q", r, want)
	}
	e.wantLink("tap8", false)
	e.ping("10.0.7.2")

	// Names that cannot be a tap: the interface keeps tap7.
	e.mustRif("virt0", "down")
	for _, name := range []string{"lo", "tap0123456789abc"} {
		r := e.rif("virt0", "linkstr", name)
		want := "rifconfig: virt0: cannot open " + name + ": Invalid argument\n"
		if name == "lo" {
			want = "rifconfig: virt0: cannot open lo: Invalid argument (lo exists and is a network device, not a tap)\n"
		}
		if r.code != 1 || r.stderr != want {
			t.Errorf("linkstr %s: got %v, want exit 1, stderr %q", name, r, want)
		}
	}
	e.mustRif("virt0", "up")
	e.ping("10.0.7.2")

	// -linkstr: no tap, no carrier, and up fails until a tap is bound.
	e.mustRif("virt0", "down", "-linkstr")
	e.wantLink("tap7", false)
	if out := e.mustRif("virt0"); !strings.Contains(out, "\tstatus: no carrier\n") || strings.Contains(out, "linkstr:") {
		t.Errorf("rifconfig virt0 after -linkstr: got\n%s\nwant %q and no linkstr line", out, "\tstatus: no carrier")
	}
	if r := e.rif("-s", "virt0"); r.code != 1 || r.stdout != "" {
		t.Errorf("rifconfig -s virt0 without a tap: got %v, want exit 1 and no output", r)
	}
	r = e.rif("virt0", "up")
	if want := "rifconfig: SIOCSIFFLAGS: Device not configured\n"; r.code != 1 || r.stderr != want {
		t.Errorf("up without a tap: got %v, want exit 1, stderr %q", r, want)
	}
	e.mustRif("virt0", "linkstr", "tap7", "up")
	e.hostSide("tap7", "10.0.7.1/24")
	e.waitStatus("virt0", "active")
	if r := e.rif("-s", "virt0"); r.code != 0 {
		t.Errorf("rifconfig -s virt0 with a tap up on the host: got %v, want exit 0", r)
	}
	e.ping("10.0.7.2")

	e.mustRif("virt0", "destroy")
	e.wantLink("tap7", false)
}

// TestReceiveFilter sends the kernel frames for another MAC address: virt
// must drop them, so a ping through a wrong neighbour entry goes
// unanswered, and one through the right entry is answered.
func TestReceiveFilter(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt0", "inet", "10.0.0.2/24", "up")
	e.hostSide("tap0", "10.0.0.1/24")
	mac := ""
	for _, line := range strings.Split(e.mustRif("virt0"), "\n") {
		if v, ok := strings.CutPrefix(line, "\taddress: "); ok {
			mac = v
		}
	}
	if !strings.HasPrefix(mac, "b2:0a:") || !strings.HasSuffix(mac, ":0b:0e:00") {
		t.Fatalf("virt0 MAC: got %q, want b2:0a:RR:0b:0e:00", mac)
	}

	e.ip("neigh", "replace", "10.0.0.2", "lladdr", "02:00:00:00:00:99", "dev", "tap0", "nud", "permanent")
	r := e.run(nil, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.0.0.2")
	if r.code == 0 || !strings.Contains(r.stdout, "100% packet loss") {
		t.Errorf("ping with frames to 02:00:00:00:00:99: got %v, want 100%% packet loss", r)
	}
	e.ip("neigh", "replace", "10.0.0.2", "lladdr", mac, "dev", "tap0", "nud", "permanent")
	e.ping("10.0.0.2")
}

// TestHostSideDown creates virt0 while the host side of tap0 is still down:
// the link shows no carrier, frames the kernel sends fail as output errors,
// and once the host side is up the link is active and traffic flows.
func TestHostSideDown(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt0", "inet", "10.0.0.2/24", "up") // sends IPv6 DAD and MLD
	if out := e.mustRif("virt0"); !strings.Contains(out, "\tstatus: no carrier\n") {
		t.Errorf("rifconfig virt0 with the host side down: got\n%s\nwant %q", out, "\tstatus: no carrier")
	}
	e.waitFor("output errors while the host side is down", func() (bool, string) {
		out := e.mustRif("-v", "virt0")
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "\toutput: ") {
				return strings.Contains(line, " error"), line
			}
		}
		return false, out
	})
	e.hostSide("tap0", "10.0.0.1/24")
	e.waitStatus("virt0", "active")
	e.ping("10.0.0.2")
}

// TestTapInUse runs two kernels in one namespace: a tap attached by one
// cannot be taken by the other (EBUSY, with a message that says so and
// suggests linkstr); the second has its virt0 all the same by creating it
// with linkstr naming another tap, and tap0 is free again once the first
// kernel halts.
func TestTapInUse(t *testing.T) {
	e := newEnv(t)
	a := e.startServerAt("unix://" + e.dir + "/a")
	b := e.startServerAt("unix://" + e.dir + "/b")
	e.mustRifAt(a.url, "virt0", "create")

	r := e.rifAt(b.url, "virt0", "create")
	want := "rifconfig: virt0: cannot open tap0: Device busy (tap0 is held open by another process; name another tap with linkstr)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("second kernel's virt0 create: got %v, want exit 1, stderr %q", r, want)
	}
	if got, want := e.mustRifAt(b.url, "-l"), "lo0\n"; got != want {
		t.Errorf("second kernel's rifconfig -l: got %q, want %q", got, want)
	}
	r = e.rifAt(b.url, "virt0", "create", "linkstr", "tap0")
	want = "rifconfig: virt0: cannot open tap0: Device busy (tap0 is held open by another process)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("second kernel's virt0 create linkstr tap0: got %v, want exit 1, stderr %q", r, want)
	}

	// With linkstr the second kernel's virt0 takes tap1; both work.
	e.mustRifAt(b.url, "virt0", "create", "linkstr", "tap1")
	e.mustRifAt(b.url, "virt0", "inet", "10.0.1.2/24", "up")
	if out := e.mustRifAt(b.url, "virt0"); !strings.Contains(out, "\tlinkstr: tap1\n") {
		t.Errorf("second kernel's rifconfig virt0: got\n%s\nwant a line %q", out, "\tlinkstr: tap1")
	}
	e.mustRifAt(a.url, "virt0", "inet", "10.0.0.2/24", "up")
	e.hostSide("tap0", "10.0.0.1/24")
	e.hostSide("tap1", "10.0.1.1/24")
	e.ping("10.0.0.2")
	e.ping("10.0.1.2")

	e.mustRun([]string{"RUMP_SERVER=" + a.url}, bin("rhalt"))
	e.wantLink("tap0", false)
	e.mustRifAt(b.url, "virt0", "destroy")
	e.wantLink("tap1", false)
	e.mustRifAt(b.url, "virt0", "create")
	e.wantLink("tap0", true)
}

// TestDownUp takes an addressed virt0 down and up again: down it answers
// nothing (frames are dropped unless RUNNING), up it answers again with its
// addresses kept.
func TestDownUp(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt0", "inet", "10.0.0.2/24", "up")
	e.mustRif("virt0", "inet6", "fc00::2/64")
	e.hostSide("tap0", "10.0.0.1/24")
	e.hostSide("tap0", "fc00::1/64")
	e.waitNoTentative("virt0")
	e.ping("10.0.0.2")
	e.ping("fc00::2")

	e.mustRif("virt0", "down")
	if got, want := firstLine(e.mustRif("virt0")), "virt0: flags=0x8802<BROADCAST,SIMPLEX,MULTICAST> mtu 1500"; got != want {
		t.Errorf("rifconfig virt0 after down: got %q, want %q", got, want)
	}
	r := e.run(nil, "ping", "-c", "1", "-W", "1", "10.0.0.2")
	if r.code == 0 || !strings.Contains(r.stdout, "100% packet loss") {
		t.Errorf("ping 10.0.0.2 while virt0 is down: got %v, want 100%% packet loss", r)
	}

	e.mustRif("virt0", "up")
	out := e.mustRif("virt0")
	for _, want := range []string{"\tinet 10.0.0.2/24 broadcast 10.0.0.255 flags 0\n", "\tinet6 fc00::2/64 flags "} {
		if !strings.Contains(out, want) {
			t.Errorf("rifconfig virt0 after up: got\n%s\nwant a line %q", out, want)
		}
	}
	e.ping("10.0.0.2")
	e.waitNoTentative("virt0")
	e.ping("fc00::2")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
