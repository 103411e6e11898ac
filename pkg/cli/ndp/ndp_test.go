package ndp

import (
	"bytes"
	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args string
		mode byte
		err  string // "" for success, "usage" for a usage error
	}{
		{"fc00::1", 0, ""},
		{"-n -a", 'a', ""},
		{"-c", 'c', ""},
		{"-d fc00::1", 'd', ""},
		{"-s fc00::1 b2:a0:20:00:00:10 temp", 's', ""},
		{"-f list", 'f', ""},
		{"-a fc00::1", 'a', "usage"},
		{"-a -c", 'a', "usage"},
		{"-s fc00::1", 's', "usage"},
		{"", 0, "usage"},
		{"-A 1", 'A', "-A: repeated display is not supported"},
		{"-i virt0", 'i', "-i: the rump kernel's neighbour discovery settings are not adjustable"},
	}
	for _, tt := range tests {
		r, err := parse(strings.Fields(tt.args))
		var ue *cli.UsageError
		switch {
		case tt.err == "" && (err != nil || r.mode != tt.mode):
			t.Errorf("parse(%q): got mode %q, %v; want mode %q", tt.args, r.mode, err, tt.mode)
		case tt.err == "usage" && !isUsage(err, &ue):
			t.Errorf("parse(%q): got %v, want a usage error", tt.args, err)
		case tt.err != "" && tt.err != "usage" && (err == nil || err.Error() != tt.err):
			t.Errorf("parse(%q): got %v, want %q", tt.args, err, tt.err)
		}
	}
}

func isUsage(err error, ue **cli.UsageError) bool {
	u, ok := err.(*cli.UsageError)
	*ue = u
	return ok
}

func TestSec2str(t *testing.T) {
	for n, want := range map[int]string{0: "0s", 59: "59s", 60: "1m0s", 3601: "1h0m1s", 90061: "1d1h1m1s", 86399: "23h59m59s"} {
		if got := sec2str(n); got != want {
			t.Errorf("sec2str(%d): got %q, want %q", n, got, want)
		}
	}
}

// fake is a kernel with a fixed neighbour cache.
type fake struct{}

func (fake) Neighbors(int) ([]api.Neighbor, error) {
	return []api.Neighbor{
		{Addr: "fc00::1", LinkAddr: "b2:0a:11:0b:0e:01", Interface: "virt0", State: api.NeighborReachable, Expire: 28},
		{Addr: "fc00::7", Interface: "virt0", State: api.NeighborIncomplete, Expire: 1},
		{Addr: "fc00::9", LinkAddr: "b2:a0:20:00:00:10", Interface: "virt0", State: api.NeighborStatic, Permanent: true},
		{Addr: "fe80::b00a:11ff:fe0b:e01", LinkAddr: "b2:0a:11:0b:0e:01", Interface: "virt0", State: api.NeighborStale},
		{Addr: "fe80::b00a:22ff:fe0b:e02", LinkAddr: "b2:0a:22:0b:0e:02", Interface: "virtual123", State: api.NeighborDelay, Expire: 3725},
	}, nil
}
func (fake) AddNeighbor(int, api.Neighbor) error    { return nil }
func (fake) DeleteNeighbor(int, api.Neighbor) error { return nil }

func clock() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.Local) }

func runMain(b Backend, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := Main(&cli.Tool{Name: "rndp", Stdout: &out, Stderr: &errb}, func() Backend { return b }, clock, args)
	return out.String(), errb.String(), st
}

func TestOutputs(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	for _, tt := range []struct{ name, args string }{
		{"all", "-an"}, {"all-stamped", "-ant"}, {"clear", "-cn"}, {"one", "-n fe80::b00a:11ff:fe0b:e01%virt0"},
	} {
		out, errs, st := runMain(fake{}, strings.Fields(tt.args)...)
		if st != 0 || errs != "" {
			t.Fatalf("rndp %s: status %d, stderr %q", tt.args, st, errs)
		}
		golden.Check(t, tt.name, []byte(out))
	}
}

func TestAgainstKernel(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	c := ktest.Client(t)
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAddr("virt0", api.IfAddr{Addr: "fc00::2/64"}); err != nil {
		t.Fatal(err)
	}
	const head = "Neighbor                                Linklayer Address  Netif Expire    S Fl\n"
	steps := []struct {
		args       string
		wantOut    string
		wantErr    string
		wantStatus int
	}{
		// The node's own addresses have no entries, as on NetBSD (t_ndp
		// setup_src_server), but one can be added (ndp_cache_overwriting).
		{"-an", "^" + head + "$", "", 0},
		{"-s fc00::2 b2:a0:20:00:00:10", "^$", "", 0},
		{"-s fc00::2 b2:a0:20:00:00:11", "^$", "^rndp: writing to routing socket: File exists\n$", 1},
		{"-n -d fc00::2", "^" + head + "fc00::2 \\(fc00::2\\) deleted\n$", "", 0},
		{"-s fc00::9 b2:a0:20:00:00:10", "^$", "", 0},
		{"-n fc00::9", "^" + head + "fc00::9 +b2:a0:20:00:00:10 +virt0 permanent R \n$", "", 0},
		{"-s fc00::9 b2:a0:20:00:00:11", "^$", "^rndp: writing to routing socket: File exists\n$", 1},
		{"-s 2001:db8::1 b2:a0:20:00:00:11", "^$", "^rndp: cannot intuit interface index and type for 2001:db8::1\n$", 1},
		{"-s fe80::9 b2:a0:20:00:00:11", "^$", "^rndp: cannot intuit interface index and type for fe80::9\n$", 1},
		{"-s fe80::9%virt0 b2:a0:20:00:00:11 temp", "^$", "", 0},
		{"-n fe80::9%virt0", "^" + head + "fe80::9%virt0 +b2:a0:20:00:00:11 +virt0 (20m0s|19m59s) +R \n$", "", 0},
		{"-s fc00::8 b2:a0:20:00:00:12 proxy", "^$", "^rndp: proxy: the rump kernel does no proxy neighbour discovery\n$", 1},
		{"-s fc00::8 zz", "^$", "^rndp: invalid Ethernet address 'zz'\n$", 1},
		{"-cn", "^$", "", 0}, // static entries, temporary or not, stay
		{"-n -d fe80::9%virt0", "^" + head + "fe80::9%virt0 \\(fe80::9%virt0\\) deleted\n$", "", 0},
		{"-n -d fc00::9", "^" + head + "fc00::9 \\(fc00::9\\) deleted\n$", "", 0},
		{"-n -d fc00::9", "^" + head + "$", "", 0},
		{"-n fc00::9", "^" + head + "$", "^rndp: fc00::9 \\(fc00::9\\) -- no entry\n$", 1},
		{"-x", "^$", "^rndp: unknown option -- x\nUsage: rndp", 1},
	}
	for _, s := range steps {
		out, errs, st := runMain(c, strings.Fields(s.args)...)
		if st != s.wantStatus || !regexp.MustCompile(s.wantOut).MatchString(out) ||
			(s.wantErr == "" && errs != "") || (s.wantErr != "" && !regexp.MustCompile(s.wantErr).MatchString(errs)) {
			t.Errorf("rndp %s:\ngot status %d, stdout %q, stderr %q\nwant status %d, stdout =~ %q, stderr =~ %q",
				s.args, st, out, errs, s.wantStatus, s.wantOut, s.wantErr)
		}
	}
}
