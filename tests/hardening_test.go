package tests

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmallMTUWedgesNothing checks that an MTU below IPv6's minimum of
// 1280, set before or after up, leaves the kernel answering, and that such
// an interface gets no IPv6 link-local address.
func TestSmallMTUWedgesNothing(t *testing.T) {
	tests := []struct {
		name      string
		ifname    string
		steps     [][]string
		linkLocal bool
	}{
		{"virt mtu then up", "virt0", [][]string{{"create"}, {"mtu", "1000"}, {"up"}}, false},
		{"virt up then mtu", "virt0", [][]string{{"create"}, {"up"}, {"mtu", "1000"}}, true},
		{"virt mtu 46 then up", "virt0", [][]string{{"create"}, {"mtu", "46"}, {"up"}}, false},
		{"shmif mtu then up", "shmif0", [][]string{{"create"}, {"linkstr", "BUS"}, {"mtu", "1000"}, {"up"}}, false},
		{"shmif up then mtu", "shmif0", [][]string{{"create"}, {"linkstr", "BUS"}, {"up"}, {"mtu", "1000"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.startServer()
			bus := filepath.Join(e.dir, "bus")
			for _, step := range tt.steps {
				args := append([]string{tt.ifname}, step...)
				for i, a := range args {
					if a == "BUS" {
						args[i] = bus
					}
				}
				r := e.runTimeout(20*time.Second, []string{"RUMP_SERVER=" + e.url}, append([]string{bin("rifconfig")}, args...)...)
				if r.code != 0 || r.stderr != "" {
					t.Fatalf("rifconfig %s: got %v, want exit 0 and no stderr", strings.Join(args, " "), r)
				}
			}
			out := e.mustRif(tt.ifname)
			if !strings.Contains(out, "mtu ") {
				t.Fatalf("rifconfig %s: got %q, want its status", tt.ifname, out)
			}
			if got := strings.Contains(out, "inet6 fe80:"); got != tt.linkLocal {
				t.Errorf("rifconfig %s: link-local address shown: got %v, want %v\n%s", tt.ifname, got, tt.linkLocal, out)
			}
			if got := e.mustRif("-l"); !strings.Contains(got, tt.ifname) {
				t.Errorf("rifconfig -l: got %q, want %s listed", got, tt.ifname)
			}
		})
	}
}

// TestSecondLoopbackKeepsLocalhost checks that lo1 takes nothing from lo0:
// it has no address of its own, and 127.0.0.1 still answers rping.
func TestSecondLoopbackKeepsLocalhost(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("lo1", "create")
	if out := e.mustRif("lo1"); strings.Contains(out, "inet") {
		t.Errorf("rifconfig lo1: got %q, want no address", out)
	}
	for _, tool := range []struct{ name, dst string }{{"rping", "127.0.0.1"}, {"rping6", "::1"}} {
		r := e.rping(tool.name, "-n", "-c", "2", "-i", "0.2", tool.dst)
		e.want(r, tool.name+" -n -c 2 "+tool.dst, 0, `2 packets transmitted, 2 packets received, 0\.0% packet loss`, "")
	}
}

// TestMalformedInterfaceNames checks NetBSD's answer to create and destroy
// of a name no cloner makes (if_clone_lookup fails: EINVAL, printed by
// clone_command), and that nothing is left half-made.
func TestMalformedInterfaceNames(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	const einval = "rifconfig: clone_command: Invalid argument\n"
	tests := []struct{ name, arg string }{
		{"empty", ""},
		{"no unit", "virt"},
		{"no cloner", "0"},
		{"leading zero", "virt01"},
		{"huge unit", "virt99999999999"},
		{"non-ASCII byte", "virt\xff0"},
		{"non-ASCII letter", "virté0"},
		{"unknown cloner", "foo0"},
		{"dot", "vir.t0"},
		{"dotted leaf", "virt0.inet"},
		{"dotted leaf of lo0", "lo0.mtu"},
		{"space", "virt0 "},
	}
	for _, tt := range tests {
		for _, verb := range []string{"create", "destroy"} {
			r := e.rif(tt.arg, verb)
			if r.code != 1 || r.stderr != einval || r.stdout != "" {
				t.Errorf("%s: rifconfig %q %s: got %v, want exit 1 and %q", tt.name, tt.arg, verb, r, einval)
			}
		}
	}
	if got := e.mustRif("-l"); got != "lo0\n" {
		t.Errorf("rifconfig -l after the failures: got %q, want %q", got, "lo0\n")
	}
}
