package ifconfig

import (
	"bytes"
	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"net/netip"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

var lo0 = api.Interface{
	Name: "lo0", Index: 1, Kind: "lo", Flags: 0x8049, MTU: 33624, LinkState: api.LinkStateUp,
	Stats: api.Stats{IPackets: 2, IBytes: 168, OPackets: 2, OBytes: 168},
	Inet6: []api.IfAddr{{Addr: "::1/128", Flags: api.IN6_IFF_NODAD}, {Addr: "fe80::1/64"}},
	Inet:  []api.IfAddr{{Addr: "127.0.0.1/8"}},
}

var virt0 = api.Interface{
	Name: "virt0", Index: 2, Kind: "virt", Flags: 0x8843, MTU: 1500, Address: "b2:0a:5c:0b:0e:00",
	LinkState: api.LinkStateUp,
	Stats: api.Stats{IPackets: 1, IBytes: 1, IMcasts: 1, IErrors: 3, IQDrops: 1,
		OPackets: 12, OBytes: 1130, OMcasts: 4, OErrors: 1, Collisions: 2},
	Inet6: []api.IfAddr{{Addr: "fe80::b00a:5cff:fe0b:e00/64"}, {Addr: "fc00::1/64", Flags: api.IN6_IFF_TENTATIVE}},
	Inet:  []api.IfAddr{{Addr: "10.0.0.3/24", Broadcast: "10.0.0.255"}},
}

var virt1 = api.Interface{
	Name: "virt1", Index: 3, Kind: "virt", Flags: 0x8802, MTU: 1280, Metric: 3, Address: "b2:0a:11:0b:0e:01",
	Linkstr: "tap7", LinkState: api.LinkStateDown,
	Inet: []api.IfAddr{{Addr: "192.168.1.1/24", Broadcast: "192.168.1.255", Flags: api.IN_IFF_DUPLICATED}},
}

func u32(v uint32) *uint32 { return &v }

var virt2 = api.Interface{
	Name: "virt2", Index: 4, Kind: "virt", Flags: 0x88c3, MTU: 1500, Address: "b2:0a:00:0b:0e:77",
	LinkAddrs: []api.LinkAddr{{Addr: "b2:0a:42:0b:0e:02"}}, LinkState: api.LinkStateUp,
	Capabilities: api.IFCAP_CSUM_IPv4_Rx | api.IFCAP_CSUM_IPv4_Tx | api.IFCAP_TSOv4, CapEnabled: api.IFCAP_CSUM_IPv4_Rx,
	Stats: api.Stats{IPackets: 1, IBytes: 1000, OPackets: 3000, OBytes: 1 << 20},
	Inet6: []api.IfAddr{
		{Addr: "fe80::b00a:42ff:fe0b:e02/64"},
		{Addr: "fc00::2/64", Flags: api.IN6_IFF_DEPRECATED, Pltime: u32(0), Vltime: u32(3599)},
		{Addr: "fc00::3/64", Flags: api.IN6_IFF_ANYCAST, Preference: 5},
	},
	Inet: []api.IfAddr{{Addr: "127.0.0.1/8"}},
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		ifs  []api.Interface
		opts formatOptions
	}{
		{"all", []api.Interface{lo0, virt0, virt1}, formatOptions{}},
		{"all-verbose", []api.Interface{lo0, virt0, virt1}, formatOptions{verbose: true}},
		{"inet6-only", []api.Interface{lo0, virt0}, formatOptions{family: "inet6"}},
		{"inet-only", []api.Interface{virt0, virt1}, formatOptions{family: "inet"}},
		{"human-lifetimes", []api.Interface{virt2}, formatOptions{verbose: true, human: true, lifetimes: true}},
		{"names", []api.Interface{virt2}, formatOptions{name: func(a netip.Addr) string {
			if a.String() == "127.0.0.1" {
				return "localhost"
			}
			return a.String()
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			for _, ifc := range tt.ifs {
				writeStatus(&b, ifc, tt.opts)
			}
			golden.Check(t, tt.name, b.Bytes())
		})
	}
}

func TestFormatBits(t *testing.T) {
	tests := []struct {
		v    int
		want string
	}{
		{0, "0"},
		{0x8843, "0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>"},
		{0x8049, "0x8049<UP,LOOPBACK,RUNNING,MULTICAST>"},
		{0x7000, "0x7000<LINK0,LINK1,LINK2>"},
	}
	for _, tt := range tests {
		if got := formatBits(tt.v, api.IfFlagNames); got != tt.want {
			t.Errorf("formatBits(%#x): got %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestHumanize(t *testing.T) {
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "0"}, {1, "1"}, {999, "999"}, {1000, "1.0K"}, {1024, "1.0K"}, {2048, "2.0K"},
		{10239, "10K"}, {50000, "49K"}, {1 << 20, "1.0M"}, {999 << 20, "999M"}, {5 << 30, "5.0G"},
	}
	for _, tt := range tests {
		if got := humanize(tt.n); got != tt.want {
			t.Errorf("humanize(%d): got %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := byteCount(1024, true); got != "1.0K byte" {
		t.Errorf("byteCount(1024, -h): got %q, want \"1.0K byte\"", got)
	}
}
