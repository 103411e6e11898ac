package ifconfig

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestParse(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		name string
		args []string
		want *request
	}{
		{"no args", nil, &request{mode: modeShowAll}},
		{"-a inet6", []string{"-a", "inet6"}, &request{mode: modeShowAll, family: "inet6"}},
		{"-au", []string{"-au"}, &request{mode: modeShowAll, onlyUp: true}},
		{"-l -d", []string{"-l", "-d"}, &request{mode: modeList, onlyDown: true}},
		{"-C", []string{"-C"}, &request{mode: modeCloners}},
		{"show", []string{"virt0"}, &request{mode: modeShow, ifname: "virt0"}},
		{"show by index", []string{"1"}, &request{mode: modeShow, ifname: "1", byIndex: true, index: 1}},
		{"link family shown", []string{"lo0", "link"}, &request{mode: modeShow, ifname: "lo0", family: "link"}},
		{"alias before the address", []string{"shmif0", "alias", "10.0.0.11/24"}, &request{
			mode: modeConfigure, ifname: "shmif0",
			addr: &addrSpec{family: "inet", addr: a("10.0.0.11"), prefixlen: 24, alias: true},
		}},
		{"inet alias before the address", []string{"virt0", "inet", "alias", "10.0.0.12", "netmask", "255.255.255.0"}, &request{
			mode: modeConfigure, ifname: "virt0", family: "inet",
			addr: &addrSpec{family: "inet", addr: a("10.0.0.12"), prefixlen: 24, maskSet: true, alias: true},
		}},
		{"show -v", []string{"-v", "virt0", "inet"}, &request{mode: modeShow, ifname: "virt0", family: "inet", verbose: true}},
		{"-s IF", []string{"-s", "virt0"}, &request{mode: modeCarrier, ifname: "virt0", skipNoCarrier: true}},
		{"create", []string{"virt0", "create"}, &request{mode: modeConfigure, ifname: "virt0", create: true}},
		{"create then address", []string{"virt1", "create", "inet", "10.0.0.1/24", "up"}, &request{
			mode: modeConfigure, ifname: "virt1", family: "inet", create: true,
			addr:    &addrSpec{family: "inet", addr: a("10.0.0.1"), prefixlen: 24},
			actions: []action{{what: "flags", setFlags: api.IFF_UP}},
		}},
		{"destroy", []string{"virt0", "destroy"}, &request{mode: modeConfigure, ifname: "virt0", destroy: true}},
		{"inet addr up", []string{"virt0", "inet", "10.0.0.2/24", "up"}, &request{
			mode: modeConfigure, ifname: "virt0", family: "inet",
			addr:    &addrSpec{family: "inet", addr: a("10.0.0.2"), prefixlen: 24},
			actions: []action{{what: "flags", setFlags: api.IFF_UP}},
		}},
		{"bare addr netmask hex", []string{"virt0", "10.0.0.2", "netmask", "0xffff0000"}, &request{
			mode: modeConfigure, ifname: "virt0",
			addr: &addrSpec{family: "inet", addr: a("10.0.0.2"), prefixlen: 16, maskSet: true},
		}},
		{"netmask dotted alias", []string{"virt0", "inet", "10.0.0.9", "netmask", "255.255.255.128", "alias"}, &request{
			mode: modeConfigure, ifname: "virt0", family: "inet",
			addr: &addrSpec{family: "inet", addr: a("10.0.0.9"), prefixlen: 25, maskSet: true, alias: true},
		}},
		{"inet6 prefixlen", []string{"virt0", "inet6", "fc00::2", "prefixlen", "48"}, &request{
			mode: modeConfigure, ifname: "virt0", family: "inet6",
			addr: &addrSpec{family: "inet6", addr: a("fc00::2"), prefixlen: 48, maskSet: true},
		}},
		{"inferred inet6", []string{"virt0", "fc00::2/64"}, &request{
			mode: modeConfigure, ifname: "virt0",
			addr: &addrSpec{family: "inet6", addr: a("fc00::2"), prefixlen: 64},
		}},
		{"broadcast", []string{"virt0", "10.0.0.2/24", "broadcast", "10.0.0.127"}, &request{
			mode: modeConfigure, ifname: "virt0",
			addr: &addrSpec{family: "inet", addr: a("10.0.0.2"), prefixlen: 24, broadcast: "10.0.0.127"},
		}},
		{"delete addr", []string{"virt0", "inet", "10.0.0.2", "delete"}, &request{
			mode: modeConfigure, ifname: "virt0", family: "inet",
			remove: &removeSpec{family: "inet", addr: a("10.0.0.2")},
		}},
		{"-alias first inet6", []string{"virt0", "inet6", "-alias"}, &request{
			mode: modeConfigure, ifname: "virt0", family: "inet6",
			remove: &removeSpec{family: "inet6"},
		}},
		{"mtu metric linkstr", []string{"virt0", "mtu", "0x500", "metric", "2", "linkstr", "tap9", "-linkstr", "down"}, &request{
			mode: modeConfigure, ifname: "virt0",
			actions: []action{{what: "mtu", n: 1280}, {what: "metric", n: 2}, {what: "linkstr", s: "tap9"},
				{what: "linkstr"}, {what: "flags", clrFlags: api.IFF_UP}},
		}},
		{"-arp", []string{"virt0", "-arp"}, &request{
			mode: modeConfigure, ifname: "virt0",
			actions: []action{{what: "flags", setFlags: api.IFF_NOARP}},
		}},
		{"link active", []string{"virt0", "link", "b2:0a:00:0b:0e:01", "active"}, &request{
			mode: modeConfigure, ifname: "virt0", family: "link",
			link: &linkSpec{mac: "b2:0a:00:0b:0e:01", active: true},
		}},
		{"link delete", []string{"virt0", "link", "b2:0a:00:0b:0e:01", "delete"}, &request{
			mode: modeConfigure, ifname: "virt0", family: "link",
			link: &linkSpec{mac: "b2:0a:00:0b:0e:01", remove: true},
		}},
		{"inet6 modifiers", []string{"virt0", "inet6", "fc00::", "eui64", "anycast", "pltime", "10", "vltime", "0x20", "preference", "2"}, &request{
			mode: modeConfigure, ifname: "virt0", family: "inet6",
			addr: &addrSpec{family: "inet6", addr: a("fc00::"), prefixlen: -1, eui64: true,
				flags: api.IN6_IFF_ANYCAST, pltime: u32(10), vltime: u32(32), preference: 2},
		}},
		{"dstormask", []string{"virt0", "10.0.0.1", "255.255.0.0"}, &request{
			mode: modeConfigure, ifname: "virt0",
			addr: &addrSpec{family: "inet", addr: a("10.0.0.1"), prefixlen: -1, dstormask: "255.255.0.0"},
		}},
		{"capabilities", []string{"virt0", "ip4csum", "-tso4", "tcp6csum-rx"}, &request{
			mode: modeConfigure, ifname: "virt0",
			capSet: api.IFCAP_CSUM_IPv4_Rx | api.IFCAP_CSUM_IPv4_Tx | api.IFCAP_CSUM_TCPv6_Rx, capClr: api.IFCAP_TSOv4,
		}},
		{"-w -W", []string{"-w", "5", "-W", "0"}, &request{mode: modeWait, wait: 5 * time.Second, detached: true}},
		{"-hLmN", []string{"-hLmN", "virt0"}, &request{mode: modeShow, ifname: "virt0", human: true, lifetimes: true, media: true, names: true}},
		{"link flags", []string{"virt0", "link0", "-link1", "debug"}, &request{
			mode: modeConfigure, ifname: "virt0",
			actions: []action{{what: "flags", setFlags: api.IFF_LINK0}, {what: "flags", clrFlags: api.IFF_LINK1},
				{what: "flags", setFlags: api.IFF_DEBUG}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(tt.args)
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.args, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parse(%q):\ngot  %+v\nwant %+v", tt.args, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		usage bool
	}{
		{"-l and -C", []string{"-l", "-C"}, true},
		{"-l and -a", []string{"-l", "-a"}, true},
		{"-C and -v", []string{"-C", "-v"}, true},
		{"-C with name", []string{"-C", "virt0"}, true},
		{"unknown flag", []string{"-Q"}, true},
		{"long name", []string{"abcdefghijklmnop0"}, true},
		{"unknown keyword", []string{"virt0", "10.0.0.1", "frobnicate"}, true},
		{"missing mtu arg", []string{"virt0", "mtu"}, true},
		{"-b without -a", []string{"-b", "virt0"}, true},
		{"-v with configure", []string{"-v", "virt0", "up"}, true},
		{"create and destroy", []string{"virt0", "create", "destroy"}, true},
		{"unknown family", []string{"-a", "inet7"}, true},
		{"atalk", []string{"virt0", "atalk", "1.2"}, false},
		{"bad address", []string{"virt0", "inet", "10.0.0.300"}, false},
		{"inet6 address as inet", []string{"virt0", "inet", "fc00::1"}, false},
		{"bad prefix", []string{"virt0", "10.0.0.1/33"}, false},
		{"noncontiguous netmask", []string{"virt0", "10.0.0.1", "netmask", "255.0.255.0"}, false},
		{"netmask without address", []string{"virt0", "netmask", "255.0.0.0"}, false},
		{"bad mtu", []string{"virt0", "mtu", "big"}, false},
		{"-w with -v", []string{"-w", "1", "-v"}, true},
		{"-C and -L", []string{"-C", "-L"}, true},
		{"-L with configure", []string{"-L", "virt0", "up"}, true},
		{"active without link", []string{"virt0", "10.0.0.1", "active"}, false},
		{"bad mac", []string{"virt0", "link", "b2:0a"}, false},
		{"link without address", []string{"virt0", "link", "active"}, true},
		{"anycast on inet", []string{"virt0", "10.0.0.1", "anycast"}, false},
		{"eui64 filled", []string{"virt0", "inet6", "fc00::1", "eui64"}, false},
		{"bad second operand", []string{"virt0", "10.0.0.1", "bogus"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.args)
			if err == nil {
				t.Fatalf("parse(%q): got no error", tt.args)
			}
			var ue *cli.UsageError
			if errors.As(err, &ue) != tt.usage {
				t.Errorf("parse(%q): got %v (usage %v), want usage %v", tt.args, err, errors.As(err, &ue), tt.usage)
			}
		})
	}
}

func TestAtalkSaysNotSupported(t *testing.T) {
	_, err := parse([]string{"virt0", "atalk", "1.2"})
	if err == nil || !contains(err.Error(), "not supported") {
		t.Errorf("got %v, want a message containing \"not supported\"", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func FuzzParse(f *testing.F) {
	f.Add("virt0 inet 10.0.0.2/24 up")
	f.Add("-a inet6")
	f.Add("virt0 inet6 fe80::1%virt0 prefixlen 64 alias")
	f.Fuzz(func(t *testing.T, line string) {
		parse(splitWords(line)) // must not panic
	})
}

func splitWords(s string) []string { return strings.Fields(s) }
