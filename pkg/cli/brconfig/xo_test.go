package brconfig

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestXOGolden(t *testing.T) {
	tests := []struct {
		name string
		args string
	}{
		{"xo-all", "--libxo json -a"},
		{"xo-status-pretty", "--libxo json,pretty bridge2"},
		{"xo-addr", "--libxo=json bridge0 addr"},
		{"xo-xml", "--libxo xml,pretty bridge0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(bridge0, bridge1, bridge2, api.BridgeStatus{Name: "virt0"})
			out, errs, st := runMain(f, strings.Fields(tt.args)...)
			if st != 0 || errs != "" {
				t.Fatalf("rbrconfig %s: status %d, stderr %q", tt.args, st, errs)
			}
			golden.Check(t, tt.name, []byte(out))
		})
	}
}

type xoMember struct {
	Name      string   `json:"name"`
	Flags     int      `json:"flags"`
	FlagNames []string `json:"flag-names"`
	Port      int      `json:"port"`
	Priority  int      `json:"priority"`
	PathCost  int      `json:"path-cost"`
	State     string   `json:"state"`
}

type xoEntry struct {
	Address   string   `json:"address"`
	Member    string   `json:"member"`
	Expire    int      `json:"expire"`
	Flags     int      `json:"flags"`
	FlagNames []string `json:"flag-names"`
}

type xoBridge struct {
	Name          string     `json:"name"`
	Flags         int        `json:"flags"`
	FlagNames     []string   `json:"flag-names"`
	Priority      int        `json:"priority"`
	HelloTime     int        `json:"hello-time"`
	ForwardDelay  int        `json:"forward-delay"`
	MaxAge        int        `json:"max-age"`
	IPFilter      bool       `json:"ipfilter"`
	IPFilterFlags int        `json:"ipfilter-flags"`
	Member        []xoMember `json:"member"`
	MaxCache      int        `json:"max-cache"`
	Timeout       int        `json:"timeout"`
	CacheEntry    []xoEntry  `json:"cache-entry"`
}

// TestXORoundTrip decodes the JSON and checks it against the bridges.
func TestXORoundTrip(t *testing.T) {
	bridges := []api.BridgeStatus{bridge0, bridge1, bridge2}
	out, _, st := runMain(newFake(bridges...), "--libxo", "json", "-a")
	var doc struct {
		Brconfig struct {
			Bridge []xoBridge `json:"bridge"`
		} `json:"brconfig"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || st != 0 {
		t.Fatalf("got status %d, invalid JSON %v:\n%s", st, err, out)
	}
	if len(doc.Brconfig.Bridge) != len(bridges) {
		t.Fatalf("got %d bridges, want %d", len(doc.Brconfig.Bridge), len(bridges))
	}
	for i, b := range bridges {
		ipf := 0
		if b.IPFilter {
			ipf = ipfUseIPF
		}
		want := xoBridge{Name: b.Name, Flags: b.Flags, Priority: b.Priority, HelloTime: b.HelloTime,
			ForwardDelay: b.FwdDelay, MaxAge: b.MaxAge, IPFilter: b.IPFilter, IPFilterFlags: ipf,
			MaxCache: b.MaxAddr, Timeout: b.Timeout, Member: []xoMember{}, CacheEntry: []xoEntry{},
			FlagNames: stringsOf(bitNames(b.Flags, api.IfFlagNames))}
		for _, m := range b.Members {
			state := ""
			if m.Flags&api.IFBIF_STP != 0 {
				state = m.State
			}
			want.Member = append(want.Member, xoMember{Name: m.Name, Flags: m.Flags, Port: m.Port,
				Priority: m.Priority, PathCost: m.PathCost, State: state,
				FlagNames: stringsOf(bitNames(m.Flags, memberFlagNames))})
		}
		for _, a := range b.Cache {
			want.CacheEntry = append(want.CacheEntry, xoEntry{Address: macString(a.MAC), Member: a.Member,
				Expire: a.Expire, Flags: a.Flags, FlagNames: stringsOf(bitNames(a.Flags, cacheFlagNames))})
		}
		if got := doc.Brconfig.Bridge[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got\n%+v\nwant\n%+v", b.Name, got, want)
		}
	}
}

func stringsOf(vs []any) []string {
	ss := []string{}
	for _, v := range vs {
		ss = append(ss, v.(string))
	}
	return ss
}

func TestXOMain(t *testing.T) {
	tests := []struct {
		args       string
		wantOut    string
		wantErr    string
		wantStatus int
	}{
		{"--libxo json -a", `{"brconfig": {"bridge": []}}` + "\n", "", 0},
		{"--libxo json bridge5 up", "", "", 0},
		{"--libxo json bridge5", `{"brconfig": {"bridge": [{"name": "bridge5", "flags": 0, "flag-names": [], ` +
			`"priority": 0, "hello-time": 0, "forward-delay": 0, "max-age": 0, "ipfilter": false, "ipfilter-flags": 0, ` +
			`"member": [], "max-cache": 0, "timeout": 0, "cache-entry": []}]}}` + "\n", "", 0},
		{"--libxo json bridge5 addr", `{"brconfig": {"bridge": [{"name": "bridge5", "cache-entry": []}]}}` + "\n", "", 0},
		{"--libxo json bridge9", "", "rbrconfig: unable to get interface flags: Device not configured\n", 1},
		{"--libxo html -a", "", "rbrconfig: unknown libxo option value 'html'\nusage:", 1},
		{"--libxo", "", "usage:", 1},
		{"--libxo text -a", "", "", 0},
	}
	for _, tt := range tests {
		f := newFake()
		if !strings.HasSuffix(tt.args, "-a") {
			f = newFake(api.BridgeStatus{Name: "bridge5"})
		}
		out, errs, st := runMain(f, strings.Fields(tt.args)...)
		if out != tt.wantOut || st != tt.wantStatus || !strings.Contains(errs, tt.wantErr) || tt.wantErr == "" && errs != "" {
			t.Errorf("rbrconfig %s: got %q, %q, %d; want %q, %q, %d", tt.args, out, errs, st, tt.wantOut, tt.wantErr, tt.wantStatus)
		}
	}
}
