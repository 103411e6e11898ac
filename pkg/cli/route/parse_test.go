package route

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// hosts is a resolver that knows two names and never asks the network.
func hosts(name string, family int) (netip.Addr, bool) {
	switch {
	case name == "gw.test" && family == 4:
		return netip.MustParseAddr("10.0.0.1"), true
	case name == "far.test" && family == 4:
		return netip.MustParseAddr("10.99.0.1"), true
	case name == "gw.test" && family == 6:
		return netip.MustParseAddr("fc00::1"), true
	}
	return netip.Addr{}, false
}

func testParse(args []string) (*request, error) { return parseWith(args, hosts) }

func TestParseRoute(t *testing.T) {
	const (
		ugs = api.RTF_GATEWAY | api.RTF_STATIC
		us  = api.RTF_STATIC
	)
	tests := []struct {
		args    string
		family  int
		dest    string
		host    bool
		gateway string
		ifname  string
		flags   int
		mtu     int
	}{
		{"add -net 10.1.0.0/16 10.0.0.1", 4, "10.1.0.0/16", false, "10.0.0.1", "", ugs, 0},
		{"add -net 10.1 10.0.0.1", 4, "10.1.0.0/16", false, "10.0.0.1", "", ugs, 0},
		{"add -net 10 10.0.0.1", 4, "10.0.0.0/8", false, "10.0.0.1", "", ugs, 0},
		{"add -net 192.168.1 10.0.0.1", 4, "192.168.1.0/24", false, "10.0.0.1", "", ugs, 0},
		{"add -net 10.1.0.0 10.0.0.1", 4, "10.1.0.0/16", false, "10.0.0.1", "", ugs, 0},
		{"add 10.0.0.0 10.0.0.1", 4, "10.0.0.0/8", false, "10.0.0.1", "", ugs, 0},
		{"add 192.168.7.0 10.0.0.1", 4, "192.168.7.0/24", false, "10.0.0.1", "", ugs, 0},
		{"add 10.1.0.0 10.0.0.1", 4, "10.1.0.0/32", true, "10.0.0.1", "", ugs | api.RTF_HOST, 0},
		{"add 10.1.2.3/24 10.0.0.1", 4, "10.1.2.0/24", false, "10.0.0.1", "", ugs, 0},
		{"add -host 10.9.9.9 10.0.0.1", 4, "10.9.9.9/32", true, "10.0.0.1", "", ugs | api.RTF_HOST, 0},
		{"add -host 10.9.9.9/32 10.0.0.1", 4, "10.9.9.9/32", true, "10.0.0.1", "", ugs | api.RTF_HOST, 0},
		{"add default 10.0.0.1", 4, "0.0.0.0/0", false, "10.0.0.1", "", ugs, 0},
		{"add -net 10.2.0.0 10.0.0.1 255.255.255.0", 4, "10.2.0.0/24", false, "10.0.0.1", "", ugs, 0},
		{"add -net 10.2.0.0 -netmask 255.255.0.0 10.0.0.1", 4, "10.2.0.0/16", false, "10.0.0.1", "", ugs, 0},
		{"add -net 10.2.0.0 -prefixlen 20 10.0.0.1", 4, "10.2.0.0/20", false, "10.0.0.1", "", ugs, 0},
		{"add -net 10.3/16 -interface 10.0.0.2", 4, "10.3.0.0/16", false, "10.0.0.2", "", us, 0},
		{"add -net 10.3/16 -interface virt0", 4, "10.3.0.0/16", false, "", "virt0", us, 0},
		{"add -net 10.3/16 10.0.0.2 0", 4, "10.3.0.0/16", false, "10.0.0.2", "", us, 0},
		{"add -net 10.1/16 10.0.0.1 -reject", 4, "10.1.0.0/16", false, "10.0.0.1", "", ugs | api.RTF_REJECT, 0},
		{"add -net 10.1/16 127.0.0.1 -blackhole", 4, "10.1.0.0/16", false, "127.0.0.1", "", ugs | api.RTF_BLACKHOLE, 0},
		{"add -net 10.1/16 10.0.0.1 -reject -noreject", 4, "10.1.0.0/16", false, "10.0.0.1", "", ugs, 0},
		{"add -net 10.0.0.1/32 -link -cloning -iface virt0", 4, "10.0.0.1/32", false, "", "virt0", us | api.RTF_CONNECTED, 0},
		{"add -net 10.0.3.0/24 -connected -link -iface virt0", 4, "10.0.3.0/24", false, "", "virt0", us | api.RTF_CONNECTED, 0},
		{"add -net 10.3/16 10.0.0.1 -ifp virt1 -mtu 1400", 4, "10.3.0.0/16", false, "10.0.0.1", "virt1", ugs, 1400},
		{"add -net 10.3/16 10.1 -nostatic", 4, "10.3.0.0/16", false, "10.0.0.1", "", api.RTF_GATEWAY, 0},
		{"add -inet6 fc00:1::/64 fc00::1", 6, "fc00:1::/64", false, "fc00::1", "", ugs, 0},
		{"add -inet6 default fe80::1%virt0", 6, "::/0", false, "fe80::1", "virt0", ugs, 0},
		{"add -inet6 2001:db8:1:: fc00::1", 6, "2001:db8:1::/64", false, "fc00::1", "", ugs, 0},
		{"add -inet6 fc00:5::1 fc00::1", 6, "fc00:5::1/128", true, "fc00::1", "", ugs | api.RTF_HOST, 0},
		{"add -inet6 -net fc00:5:: -prefixlen 48 fc00::1", 6, "fc00:5::/48", false, "fc00::1", "", ugs, 0},
		{"delete -net 10.1/16", 4, "10.1.0.0/16", false, "", "", us, 0},
		{"get 10.1.2.3", 4, "10.1.2.3/32", true, "", "", us | api.RTF_HOST, 0},
		{"change -net 10.1.0.0/16 10.0.0.3", 4, "10.1.0.0/16", false, "10.0.0.3", "", ugs, 0},
		{"add far.test gw.test", 4, "10.99.0.1/32", true, "10.0.0.1", "", ugs | api.RTF_HOST, 0},
		{"add -inet6 default gw.test", 6, "::/0", false, "fc00::1", "", ugs, 0},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			r, err := testParse(strings.Fields(tt.args))
			if err != nil {
				t.Fatal(err)
			}
			got := r.route
			if r.family != tt.family || got.Dest != tt.dest || r.host != tt.host || got.Gateway != tt.gateway ||
				got.Interface != tt.ifname || got.Flags&^api.RTF_HOST != tt.flags&^api.RTF_HOST ||
				got.Flags&api.RTF_HOST != tt.flags&api.RTF_HOST || got.MTU != tt.mtu {
				t.Errorf("got family %d %+v host=%v, want family %d dest %s host=%v gateway %q interface %q flags %#x mtu %d",
					r.family, got, r.host, tt.family, tt.dest, tt.host, tt.gateway, tt.ifname, tt.flags, tt.mtu)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		args  string
		usage string // the usage error's message, "-" for none; "" for an explained error
		msg   string
	}{
		{"", "-", ""},
		{"frob", "botched keyword: frob", ""},
		{"-x add", "unknown option -- x", ""},
		{"add -net 10.1/16 10.0.0.1 -frob", "botched keyword: frob", ""},
		{"add -net 10.1/16 -netmask", "botched keyword: netmask", ""},
		{"add -net", "", "missing destination specification"},
		{"add -net 10.1/16", "", "missing gateway specification"},
		{"add -host -net 10.1 10.0.0.1", "", "-host and -net conflict"},
		{"add -net 10.1/40 10.0.0.1", "", "40: bad value"},
		{"add -net 10.1/16 10.0.0.1 255.0.255.0", "", "255.0.255.0: bad value"},
		{"add -link 10.1/16 virt0", "", "-link: only inet and inet6 routes"},
		{"add default -ifa fc00::1 10.0.0.1", "", "fc00::1: bad value"},
		{"add -net 10.1/16 10.0.0.1 -hopcount 3", "", "-hopcount: the stack keeps no route metrics but the MTU"},
		{"add -inet6 fc00:1::/64 zz:zz::1::", "", "zz:zz::1::: bad value"},
		{"add nowhere.test gw.test", "", "nowhere.test: bad value"},
		{"add -net 10.1/16 nowhere.test", "", "nowhere.test: bad value"},
		{"add -net 10.1/16 10.0.0.1 x", "-", ""},
		{"monitor -c", "botched keyword: -c", ""},
		{"monitor -n 1", "botched keyword: -n", ""},
		{"show frob", "botched keyword: frob", ""},
		{"show -frob", "botched keyword: -frob", ""},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			_, err := testParse(strings.Fields(tt.args))
			var ue *cli.UsageError
			var ex *api.Explained
			switch {
			case tt.usage != "":
				want := tt.usage
				if want == "-" {
					want = ""
				}
				if !errors.As(err, &ue) || ue.Msg != want {
					t.Errorf("got %v, want a usage error saying %q", err, tt.usage)
				}
			case !errors.As(err, &ex) || ex.Msg != tt.msg:
				t.Errorf("got %v, want %q", err, tt.msg)
			}
		})
	}
}

func TestParseShow(t *testing.T) {
	r, err := testParse([]string{"-nL", "show", "-inet6", "-host"})
	if err != nil {
		t.Fatal(err)
	}
	if r.cmd != "show" || !r.numeric || !r.noLink || r.showFamily != 6 || r.showFlags != api.RTF_HOST {
		t.Errorf("got %+v", r)
	}
	r, err = testParse([]string{"-f"})
	if err != nil || r.cmd != "flush" {
		t.Errorf("-f alone: got %+v, %v; want flush", r, err)
	}
	r, err = testParse([]string{"-f", "add", "default", "10.0.0.1"})
	if err != nil || r.cmd != "add" || !r.flushFirst {
		t.Errorf("-f add: got %+v, %v; want add after a flush", r, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"add -net 10.1/16 10.0.0.1", "add -inet6 default fe80::1%virt0",
		"get 10.1.2.3", "add 10.0.0.0 10.0.0.1 255.255.0.0 -mtu 1400", "-nq show -inet6 -host",
		"add -net 10.3/16 -interface virt0", "delete -net 10 -prefixlen 8"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := parseWith(strings.Fields(line), hosts)
		if err == nil && r.route.Dest != "" {
			if _, perr := netip.ParsePrefix(r.route.Dest); perr != nil {
				t.Fatalf("%q: destination %q does not parse: %v", line, r.route.Dest, perr)
			}
		}
	})
}

// TestParseChangeKind checks that route change replaces the kind of a
// route, as NetBSD's does (t_change.sh route_change_reject2blackhole):
// the reject and blackhole flags not given are cleared.
func TestParseChangeKind(t *testing.T) {
	tests := []struct {
		args           string
		flags, cleared int
	}{
		{"change 10.1.1.1 127.0.0.1 -blackhole", api.RTF_BLACKHOLE, api.RTF_REJECT},
		{"change default -reject", api.RTF_REJECT, api.RTF_BLACKHOLE},
		{"change default -noreject", 0, api.RTF_REJECT | api.RTF_BLACKHOLE},
		{"add 10.1.1.1 127.0.0.1 -blackhole", api.RTF_BLACKHOLE, 0},
	}
	for _, tt := range tests {
		r, err := testParse(strings.Fields(tt.args))
		if err != nil {
			t.Fatalf("%s: %v", tt.args, err)
		}
		kind := api.RTF_REJECT | api.RTF_BLACKHOLE
		if got := r.route.Flags & kind; got != tt.flags || r.route.FlagsClear != tt.cleared {
			t.Errorf("%s: got flags %#x clear %#x, want %#x clear %#x", tt.args, got, r.route.FlagsClear, tt.flags, tt.cleared)
		}
	}
}

// TestParseProxy checks that -proxy asks for RTF_ANNOUNCE, which netstat
// shows as p (t_flags.sh and t_flags6.sh route_flags_announce).
func TestParseProxy(t *testing.T) {
	tests := []struct {
		args string
		want int
	}{
		{"add -net 10.0.0.0/24 10.0.0.1 -proxy", api.RTF_ANNOUNCE},
		{"add -inet6 -net fc00::/64 fc00::1 -proxy", api.RTF_ANNOUNCE},
		{"add -host 10.0.0.60 -interface 10.0.0.2 -proxy", api.RTF_ANNOUNCE},
		{"add -net 10.0.0.0/24 10.0.0.1", 0},
	}
	for _, tt := range tests {
		r, err := testParse(strings.Fields(tt.args))
		if err != nil {
			t.Fatalf("%s: got %v, want success", tt.args, err)
		}
		if got := r.route.Flags & api.RTF_ANNOUNCE; got != tt.want {
			t.Errorf("%s: got RTF_ANNOUNCE %#x, want %#x", tt.args, got, tt.want)
		}
	}
}
