package ifconfig

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
	}
}

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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			for _, ifc := range tt.ifs {
				writeStatus(&b, ifc, tt.opts)
			}
			golden(t, tt.name, b.Bytes())
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
