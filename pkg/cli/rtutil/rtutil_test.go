package rtutil

import (
	"bytes"
	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"net/netip"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestInetAton(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for invalid
	}{
		{"10.0.0.1", "10.0.0.1"}, {"10.1", "10.0.0.1"}, {"10.1.2", "10.1.0.2"}, {"167772161", "10.0.0.1"},
		{"0x0a.0.0.1", "10.0.0.1"}, {"012.0.0.1", "10.0.0.1"}, {"10.256", "10.0.1.0"},
		{"256.0.0.1", ""}, {"10.0.0.256", ""}, {"1.2.3.4.5", ""}, {"10..1", ""}, {"abc", ""}, {"", ""},
		{"09.1.1.1", ""},
	}
	for _, tt := range tests {
		a, ok := InetAton(tt.in)
		got := ""
		if ok {
			got = a.String()
		}
		if got != tt.want {
			t.Errorf("InetAton(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestInetNetwork(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"10", 10, true}, {"10.1", 0x0a01, true}, {"192.168.1", 0xc0a801, true},
		{"10.1.0.0", 0x0a010000, true}, {"0x7f", 0x7f, true}, {"300", 0, false}, {"a.b", 0, false},
	}
	for _, tt := range tests {
		got, ok := InetNetwork(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("InetNetwork(%q): got %#x, %v; want %#x, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func named(a netip.Addr) string {
	switch a.String() {
	case "127.0.0.1", "::1":
		return "localhost"
	case "10.0.0.1":
		return "gw"
	}
	return ""
}

func TestNames(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{Netname(netip.MustParsePrefix("0.0.0.0/0"), "", nil), "default"},
		{Netname(netip.MustParsePrefix("0.0.0.0/1"), "", nil), "0/1"},
		{Netname(netip.MustParsePrefix("127.0.0.0/8"), "", nil), "127/8"},
		{Netname(netip.MustParsePrefix("10.1.0.0/16"), "", nil), "10.1/16"},
		{Netname(netip.MustParsePrefix("10.1.16.0/20"), "", nil), "10.1.16/20"},
		{Netname(netip.MustParsePrefix("10.0.2.0/24"), "", nil), "10.0.2/24"},
		{Netname(netip.MustParsePrefix("192.168.1.128/25"), "", nil), "192.168.1.128/25"},
		{Netname(netip.MustParsePrefix("::/0"), "", nil), "default"},
		{Netname(netip.MustParsePrefix("fe80::/64"), "virt0", nil), "fe80::%virt0/64"},
		{Netname(netip.MustParsePrefix("::1/128"), "lo0", named), "localhost/128"},
		{Netname(netip.MustParsePrefix("fc00::/64"), "virt0", named), "fc00::/64"},
		{Routename(netip.MustParseAddr("0.0.0.0"), "", nil), "default"},
		{Routename(netip.MustParseAddr("127.0.0.1"), "", named), "localhost"},
		{Routename(netip.MustParseAddr("10.0.0.9"), "", named), "10.0.0.9"},
		{Routename(netip.MustParseAddr("fe80::1"), "lo0", nil), "fe80::1%lo0"},
		{FlagLetters(api.RTF_UP | api.RTF_GATEWAY | api.RTF_STATIC), "UGS"},
		{FlagLetters(api.RTF_UP | api.RTF_HOST | api.RTF_LLDATA | api.RTF_STATIC), "UHLS"},
		{FlagLetters(api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL), "UHl"},
		{FlagNames(api.RTF_UP | api.RTF_GATEWAY | api.RTF_DONE | api.RTF_STATIC), "<UP,GATEWAY,DONE,STATIC>"},
		{FlagNames(api.RTF_UP | api.RTF_DONE | api.RTF_CONNECTED), "<UP,DONE,CONNECTED>"},
		{FlagNames(api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL), "<UP,HOST,LOCAL>"},
		{FlagNames(0), "none"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

var tables = []Table{
	{Family: 4, Routes: []api.Route{
		{Dest: "0.0.0.0/0", Gateway: "10.0.0.1", Interface: "virt0", Index: 2, Flags: api.RTF_UP | api.RTF_GATEWAY | api.RTF_STATIC},
		{Dest: "10.0.0.0/24", Interface: "virt0", Index: 2, Flags: api.RTF_UP | api.RTF_CONNECTED},
		{Dest: "10.9.0.0/16", Gateway: "10.0.0.2", Interface: "virt0", Index: 2, Flags: api.RTF_UP | api.RTF_STATIC, MTU: 1400},
		{Dest: "10.0.0.2/32", Interface: "lo0", Link: "virt0", Index: 2, Flags: api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL, MTU: 33624},
		{Dest: "10.66.0.0/16", Gateway: "10.0.0.1", Interface: "virt0", Index: 2,
			Flags: api.RTF_UP | api.RTF_GATEWAY | api.RTF_REJECT | api.RTF_STATIC},
		{Dest: "10.67.0.0/16", Gateway: "127.0.0.1", Interface: "lo0", Index: 1,
			Flags: api.RTF_UP | api.RTF_GATEWAY | api.RTF_BLACKHOLE | api.RTF_STATIC, MTU: 33624},
		{Dest: "127.0.0.1/32", Interface: "lo0", Link: "lo0", Index: 1, Flags: api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL, MTU: 33624},
	}, Neighbors: []api.Neighbor{
		{Addr: "10.0.0.1", LinkAddr: "b2:0a:11:0b:0e:01", Interface: "virt0", Index: 2, State: api.NeighborReachable},
		{Addr: "10.0.0.9", LinkAddr: "b2:a0:20:00:00:10", Interface: "virt0", Index: 2, State: api.NeighborStatic, Permanent: true},
		{Addr: "10.0.0.7", Interface: "virt0", Index: 2, State: api.NeighborIncomplete},
		{Addr: "10.0.0.8", LinkAddr: "b2:a0:20:00:00:08", Interface: "virt0", Index: 2, State: api.NeighborStatic, Expire: 1100},
	}},
	{Family: 6, Routes: []api.Route{
		{Dest: "::1/128", Interface: "lo0", Index: 1, Flags: api.RTF_UP | api.RTF_HOST, MTU: 33624},
		{Dest: "fc00::/64", Interface: "virt0", Index: 2, Flags: api.RTF_UP | api.RTF_CONNECTED},
		{Dest: "fc00:1234:5678:9abc::/64", Gateway: "fc00::1234:5678:9abc:def0", Interface: "virt0", Index: 2,
			Flags: api.RTF_UP | api.RTF_GATEWAY | api.RTF_STATIC},
		{Dest: "fe80::/64", Interface: "virt0", Index: 2, Flags: api.RTF_UP | api.RTF_CONNECTED},
		{Dest: "fe80::b00a:11ff:fe0b:e02/128", Interface: "lo0", Link: "virt0", Index: 2,
			Flags: api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL, MTU: 33624},
	}, Neighbors: []api.Neighbor{
		{Addr: "fe80::b00a:11ff:fe0b:e01", LinkAddr: "b2:0a:11:0b:0e:01", Interface: "virt0", Index: 2, State: api.NeighborStale},
	}},
}

func TestPrintTables(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"netstat-rn", Options{Interesting: ^0}},
		{"netstat-r", Options{Interesting: ^0, Resolve: named}},
		{"netstat-rnL", Options{Interesting: ^0, NoLinkLayer: true}},
		{"netstat-rnv", Options{Interesting: ^0, Verbose: true}},
		{"route-show", Options{Interesting: RouteShowFlags}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		PrintTables(&b, tables, tt.opts)
		golden.Check(t, tt.name, b.Bytes())
	}
	var b bytes.Buffer
	PrintTables(&b, nil, Options{})
	if b.String() != "Routing tables\n" {
		t.Errorf("no tables: got %q", b.String())
	}
}
