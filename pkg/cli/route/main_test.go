package route

import (
	"bytes"
	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

func runMain(c *client.Client, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := Main(&cli.Tool{Name: "rroute", Stdout: &out, Stderr: &errb}, func() Backend { return c }, args)
	return out.String(), errb.String(), st
}

// randomMAC matches the random byte of virt's MAC in a link-local address
// (b2:0a:RR:0b:0e:NN) and the column padding after it, which vary with
// it: golden files show RR and one blank.
var randomMAC = regexp.MustCompile(`(fe80::b00a:)[0-9a-f]{0,2}(ff:fe0b:e[0-9a-f]{2}%virt0) +`)

func TestMainAgainstKernel(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	c := ktest.Client(t)
	if _, err := c.Set("net.inet6.ip6.dad_count", 0); err != nil { // no tentative source addresses
		t.Fatal(err)
	}
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"10.0.0.2/24", "fc00::2/64"} {
		if err := c.AddAddr("virt0", api.IfAddr{Addr: a}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		args       string
		wantOut    string // regexp, or "golden:NAME"
		wantErr    string
		wantStatus int
	}{
		{"add -net 10.1.0.0/16 10.0.0.1", "^add net 10.1.0.0/16: gateway 10.0.0.1\n$", "", 0},
		{"add -net 10.1.0.0/16 10.0.0.1", "^add net 10.1.0.0/16: gateway 10.0.0.1: File exists\n$",
			"^rroute: writing to routing socket: File exists\n$", 1},
		{"-q add -net 10.1.0.0/16 10.0.0.1", "^$", "^rroute: writing to routing socket: File exists\n$", 1},
		{"add default 10.0.0.1", "^add net default: gateway 10.0.0.1\n$", "", 0},
		{"add -host 10.9.9.9 10.0.0.1", "^add host 10.9.9.9: gateway 10.0.0.1\n$", "", 0},
		{"add -net 10.3/16 -interface 10.0.0.2", "^add net 10.3/16: gateway 10.0.0.2\n$", "", 0},
		{"add -net 10.5/16 -interface virt0 -mtu 1280", "^add net 10.5/16: gateway virt0\n$", "", 0},
		{"add -inet6 fc00:1::/64 fc00::1", "^add net fc00:1::/64: gateway fc00::1\n$", "", 0},
		{"add -inet6 default fe80::1%virt0", "^add net default: gateway fe80::1%virt0\n$", "", 0},
		{"add -net 10.4/16 192.168.9.9", "^add net 10.4/16: gateway 192.168.9.9: Network is unreachable\n$",
			"^rroute: writing to routing socket: Network is unreachable\n$", 1},
		{"add -net 10.4/16 10.0.0.1 -reject", "^add net 10.4/16: gateway 10.0.0.1\n$", "", 0},
		{"add -net 10.6/16 127.0.0.1 -blackhole", "^add net 10.6/16: gateway 127.0.0.1\n$", "", 0},
		{"-n show", "golden:show", "", 0},
		{"-n show -inet6", "golden:show-inet6", "", 0},
		{"-n get 10.1.2.3", "golden:get", "", 0},
		{"-n get 10.0.0.77", "golden:get-connected", "", 0},
		{"-n get -inet6 fc00:1::5", "golden:get-inet6", "", 0},
		{"-n get 172.16.0.1", "^   route to: 172.16.0.1\ndestination: default\n       mask: default\n    gateway: 10.0.0.1\n", "", 0},
		{"-n get -inet6 fe80::5%virt0", "(?s)^   route to: fe80::5%virt0\ndestination: fe80::%virt0\n.* local addr: fe80::b00a:[0-9a-f:]+%virt0\n  interface: virt0\n", "", 0},
		{"-n get -inet6 fe80::5", "^$", "^rroute: writing to routing socket: not in table\n$", 1},
		{"-ns get 10.9.9.9", "^10.0.0.1\n$", "", 0},
		{"-ns get 10.0.0.7", "^$", "", 1},
		{"change -net 10.1.0.0/16 10.0.0.3", "^change net 10.1.0.0/16: gateway 10.0.0.3\n$", "", 0},
		{"change -net 10.7.0.0/16 10.0.0.3", "^change net 10.7.0.0/16: gateway 10.0.0.3: not in table\n$",
			"^rroute: writing to routing socket: not in table\n$", 1},
		{"delete -net 10.1.0.0/16", "^delete net 10.1.0.0/16\n$", "", 0},
		{"delete -net 10.1.0.0/16", "^delete net 10.1.0.0/16: not in table\n$",
			"^rroute: writing to routing socket: not in table\n$", 1},
		{"delete 10.0.0.2", "^delete host 10.0.0.2: entry in use\n$",
			"^rroute: writing to routing socket: entry in use\n$", 1},
		{"delete -net 10.0.0.0/24", "^delete net 10.0.0.0/24\n$", "", 0},
		{"-n get 10.0.0.77", "(?m)^destination: default$", "", 0},
		{"add -net 10.0.0.0/24 -connected -link -iface virt0", "^add net 10.0.0.0/24: gateway virt0\n$", "", 0},
		{"-n get 10.0.0.77", "golden:get-connected-readded", "", 0},
		{"-n flush -inet6", "golden:flush-inet6", "", 0},
		{"-n flush", "golden:flush", "", 0},
		{"-n get 172.16.0.1", "^$", "^rroute: writing to routing socket: not in table\n$", 1},
		{"-n show", "golden:show-flushed", "", 0},
		{"frob", "^$", "^rroute: botched keyword: frob\nUsage: rroute \\[-dfLnqSsTtv\\] cmd \\[\\[-<qualifers>\\] args\\]\n$", 1},
	}
	for _, s := range steps {
		out, errs, st := runMain(c, strings.Fields(s.args)...)
		if name, ok := strings.CutPrefix(s.wantOut, "golden:"); ok {
			golden.Check(t, name, []byte(randomMAC.ReplaceAllString(out, "${1}RR$2 ")))
		} else if !regexp.MustCompile(s.wantOut).MatchString(out) {
			t.Errorf("rroute %s: stdout %q, want =~ %q", s.args, out, s.wantOut)
		}
		if st != s.wantStatus || (s.wantErr == "" && errs != "") || (s.wantErr != "" && !regexp.MustCompile(s.wantErr).MatchString(errs)) {
			t.Errorf("rroute %s: got status %d, stderr %q; want %d, stderr =~ %q", s.args, st, errs, s.wantStatus, s.wantErr)
		}
	}
}

func TestNoServer(t *testing.T) {
	t.Setenv(client.EnvServer, "")
	var out, errb bytes.Buffer
	st := Run([]string{"show"}, &out, &errb)
	if st != 1 || errb.String() != "rroute: RUMP_SERVER not set\n" {
		t.Errorf("got status %d, stderr %q; want 1 and RUMP_SERVER not set", st, errb.String())
	}
	url := "unix://" + filepath.Join(t.TempDir(), "none")
	t.Setenv(client.EnvServer, url)
	errb.Reset()
	if st := Run([]string{"-n", "show"}, &out, &errb); st != 1 || errb.String() != "rroute: rump client init: "+url+": No such file or directory (no such socket: is rump_server running?)\n" {
		t.Errorf("no server: got status %d, stderr %q", st, errb.String())
	}
}
