package ifconfig

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// xoDoc renders interfaces the way --libxo does.
func xoDoc(t *testing.T, opt xo.Options, ifs []api.Interface, o formatOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	p := newPrinter(&request{xo: opt}, &b)
	for _, ifc := range ifs {
		p.status(ifc, o)
	}
	if err := p.finish(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestXOGolden(t *testing.T) {
	json1 := xo.Options{Style: xo.JSON}
	names := func(a netip.Addr) string {
		if a.String() == "127.0.0.1" {
			return "localhost"
		}
		return a.String()
	}
	tests := []struct {
		name string
		opt  xo.Options
		ifs  []api.Interface
		o    formatOptions
	}{
		{"xo-all", json1, []api.Interface{lo0, virt0, virt1}, formatOptions{}},
		{"xo-all-verbose-pretty", xo.Options{Style: xo.JSON, Pretty: true},
			[]api.Interface{lo0, virt0, virt1}, formatOptions{verbose: true}},
		{"xo-lifetimes-names", xo.Options{Style: xo.JSON, Pretty: true}, []api.Interface{virt2},
			formatOptions{verbose: true, human: true, lifetimes: true, name: names}},
		{"xo-inet-only", json1, []api.Interface{virt0}, formatOptions{family: "inet"}},
		{"xo-xml", xo.Options{Style: xo.XML, Pretty: true}, []api.Interface{virt0, virt2}, formatOptions{}},
		{"xo-none", json1, nil, formatOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden.Check(t, tt.name, xoDoc(t, tt.opt, tt.ifs, tt.o))
		})
	}
}

// The decoded form of the documented keys, for the round trip.
type xoAddr struct {
	Address      string   `json:"address"`
	PrefixLength int      `json:"prefix-length"`
	Netmask      string   `json:"netmask"`
	Destination  string   `json:"destination"`
	Broadcast    string   `json:"broadcast"`
	Flags        int      `json:"flags"`
	FlagNames    []string `json:"flag-names"`
	ScopeID      *int     `json:"scope-id"`
	Pltime       *uint32  `json:"pltime"`
	Vltime       *uint32  `json:"vltime"`
	Preference   int      `json:"preference"`
}

type xoIf struct {
	Name       string            `json:"name"`
	Index      int               `json:"index"`
	Flags      int               `json:"flags"`
	FlagNames  []string          `json:"flag-names"`
	Metric     int               `json:"metric"`
	MTU        int               `json:"mtu"`
	Caps       int               `json:"capabilities"`
	Enabled    int               `json:"enabled"`
	Address    string            `json:"address"`
	Link       []string          `json:"link"`
	Linkstr    string            `json:"linkstr"`
	Status     string            `json:"status"`
	LinkState  string            `json:"link-state"`
	Statistics map[string]uint64 `json:"statistics"`
	Inet6      []xoAddr          `json:"inet6"`
	Inet       []xoAddr          `json:"inet"`
}

// TestXORoundTrip decodes the JSON and checks that it holds what the
// interfaces hold: every value the text shows.
func TestXORoundTrip(t *testing.T) {
	ifs := []api.Interface{lo0, virt0, virt1, virt2}
	out := xoDoc(t, xo.Options{Style: xo.JSON}, ifs, formatOptions{verbose: true, lifetimes: true})
	var doc struct {
		Ifconfig struct {
			Interface []xoIf `json:"interface"`
		} `json:"ifconfig"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("got invalid JSON %v:\n%s", err, out)
	}
	got := doc.Ifconfig.Interface
	if len(got) != len(ifs) {
		t.Fatalf("got %d interfaces, want %d", len(got), len(ifs))
	}
	for i, ifc := range ifs {
		g := got[i]
		var links []string
		for _, l := range ifc.LinkAddrs {
			links = append(links, l.Addr)
		}
		want := xoIf{Name: ifc.Name, Index: ifc.Index, Flags: ifc.Flags, Metric: ifc.Metric, MTU: ifc.MTU,
			Caps: ifc.Capabilities, Enabled: ifc.CapEnabled, Address: ifc.Address, Link: links, Linkstr: ifc.Linkstr,
			Status:    map[string]string{api.LinkStateUp: "active", api.LinkStateDown: "no carrier"}[ifc.LinkState],
			LinkState: ifc.LinkState, FlagNames: g.FlagNames, Statistics: g.Statistics, Inet: g.Inet, Inet6: g.Inet6}
		if !reflect.DeepEqual(g, want) {
			t.Errorf("%s: got %+v, want %+v", ifc.Name, g, want)
		}
		if s := g.Statistics; s["input-bytes"] != ifc.Stats.IBytes || s["output-packets"] != ifc.Stats.OPackets ||
			s["collisions"] != ifc.Stats.Collisions || s["input-queue-drops"] != ifc.Stats.IQDrops || len(s) != 10 {
			t.Errorf("%s: got statistics %v, want those of %+v", ifc.Name, s, ifc.Stats)
		}
		if gf, wf := strings.Join(g.FlagNames, ","), formatBits(ifc.Flags, api.IfFlagNames); !strings.Contains(wf, "<"+gf+">") && ifc.Flags != 0 {
			t.Errorf("%s: got flag-names %q, want those of %s", ifc.Name, gf, wf)
		}
		checkAddrs(t, ifc.Name+" inet", g.Inet, ifc.Inet, nil)
		checkAddrs(t, ifc.Name+" inet6", g.Inet6, ifc.Inet6, &ifc)
	}
}

func checkAddrs(t *testing.T, what string, got []xoAddr, want []api.IfAddr, scoped *api.Interface) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d addresses, want %d", what, len(got), len(want))
	}
	for i, a := range want {
		g := got[i]
		p := netip.MustParsePrefix(a.Addr)
		if g.Address != p.Addr().String() || g.PrefixLength != p.Bits() || g.Flags != a.Flags ||
			g.Broadcast != a.Broadcast || g.Destination != a.Dest || g.Preference != a.Preference {
			t.Errorf("%s %d: got %+v, want %+v", what, i, g, a)
		}
		if scoped != nil && p.Addr().IsLinkLocalUnicast() && (g.ScopeID == nil || *g.ScopeID != scoped.Index) {
			t.Errorf("%s %s: got scope-id %v, want %d", what, a.Addr, g.ScopeID, scoped.Index)
		}
		if a.Pltime != nil && (g.Pltime == nil || *g.Pltime != *a.Pltime || g.Vltime == nil || *g.Vltime != *a.Vltime) {
			t.Errorf("%s %s: got lifetimes %v %v, want %d %d", what, a.Addr, g.Pltime, g.Vltime, *a.Pltime, *a.Vltime)
		}
	}
}

func TestXOMain(t *testing.T) {
	c := kernelClient(t)
	noInetDAD(t, c)
	tests := []struct {
		args       string
		wantOut    string
		wantErr    string
		wantStatus int
	}{
		{"--libxo json -l", `{"ifconfig": {"interface": [{"name": "lo0"}]}}` + "\n", "", 0},
		{"--libxo=json -C", `{"ifconfig": {"cloner": ["gre", "gif", "wg", "l2tp", "tap", "vlan", "bridge", "shmif", "virt", "lo"]}}` + "\n", "", 0},
		{"--libxo json -l -d", `{"ifconfig": {"interface": []}}` + "\n", "", 0},
		{"--libxo json virt0 create inet 10.0.0.2/24 up", "", "", 0},
		{"--libxo json -s virt0", "", "", 0},
		{"--libxo json virt0 inet", `{"ifconfig": {"interface": [{"name": "virt0", "index": 2, "flags": 34883, ` +
			`"flag-names": ["UP", "BROADCAST", "RUNNING", "SIMPLEX", "MULTICAST"], "metric": 0, "mtu": 1500, ` +
			`"address": "$MAC", "status": "active", "inet": [{"address": "10.0.0.2", "prefix-length": 24, ` +
			`"netmask": "255.255.255.0", "broadcast": "10.0.0.255", "flags": 0, "flag-names": [], "preference": 0}]}]}}` + "\n", "", 0},
		{"--libxo xml -l", "<ifconfig><interface><name>lo0</name></interface><interface><name>virt0</name></interface></ifconfig>\n", "", 0},
		{"--libxo text -l", "lo0 virt0\n", "", 0},
		{"--libxo html -l", "", "rifconfig: unknown libxo option value 'html'\nusage: rifconfig", 1},
		{"--libxo", "", "usage: rifconfig", 1},
		{"--libxo json -l -v", "", "usage: rifconfig", 1},
		{"--libxo json virt9", "", "rifconfig: SIOCGIFFLAGS virt9: Device not configured\n", 1},
	}
	mac := ""
	for _, tt := range tests {
		out, errs, st := runMain(c, strings.Fields(tt.args)...)
		if mac == "" && strings.Contains(out, `"address": "b2:`) {
			mac = out[strings.Index(out, `"address": "`)+12:][:17]
		}
		want := strings.ReplaceAll(tt.wantOut, "$MAC", mac)
		if out != want || st != tt.wantStatus || !strings.Contains(errs, tt.wantErr) || tt.wantErr == "" && errs != "" {
			t.Errorf("rifconfig %s: got %q, %q, %d; want %q, %q, %d", tt.args, out, errs, st, want, tt.wantErr, tt.wantStatus)
		}
		if strings.HasPrefix(tt.args, "--libxo json") && out != "" && !json.Valid([]byte(out)) {
			t.Errorf("rifconfig %s: got invalid JSON %s", tt.args, out)
		}
	}
	var b bytes.Buffer
	Main(&cli.Tool{Name: "rifconfig", Stdout: &b, Stderr: &b}, c, []string{"--libxo", "json", "-a", "-v"})
	if !json.Valid(b.Bytes()) || !strings.Contains(b.String(), `"statistics": {"input-packets": `) {
		t.Errorf("--libxo json -a -v: got %s, want valid JSON with statistics", b.String())
	}
}
