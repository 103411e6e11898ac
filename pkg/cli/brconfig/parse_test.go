package brconfig

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestParse(t *testing.T) {
	ch := func(label string, req api.BridgeRequest) step { return step{label: label, req: req} }
	flag := func(m string, bit int, on bool) step {
		return step{req: api.BridgeRequest{Op: api.BridgeMemberFlag, Member: m, Value: bit, On: on}}
	}
	tests := []struct {
		args string
		want *request
	}{
		{"-a", &request{mode: modeShowAll}},
		{"bridge0", &request{mode: modeShow, bridge: "bridge0"}},
		{"bridge12x", &request{mode: modeShow, bridge: "bridge12x"}},
		{"bridge0 up", &request{mode: modeConfigure, bridge: "bridge0", setUp: true, up: true}},
		{"bridge0 up down", &request{mode: modeConfigure, bridge: "bridge0", setUp: true}},
		{"bridge0 add virt0 add virt1 up", &request{mode: modeConfigure, bridge: "bridge0", setUp: true, up: true, steps: []step{
			ch("add virt0", api.BridgeRequest{Op: api.BridgeAdd, Member: "virt0"}),
			ch("add virt1", api.BridgeRequest{Op: api.BridgeAdd, Member: "virt1"}),
		}}},
		{"bridge0 add tap0 em0 up", &request{mode: modeConfigure, bridge: "bridge0", setUp: true, up: true, steps: []step{
			ch("add tap0", api.BridgeRequest{Op: api.BridgeAdd, Member: "tap0"}),
			ch("add em0", api.BridgeRequest{Op: api.BridgeAdd, Member: "em0"}),
		}}},
		{"bridge0 delete virt0 virt1 addr", &request{mode: modeConfigure, bridge: "bridge0", steps: []step{
			ch("delete virt0", api.BridgeRequest{Op: api.BridgeDelete, Member: "virt0"}),
			ch("delete virt1", api.BridgeRequest{Op: api.BridgeDelete, Member: "virt1"}),
			{showCache: true},
		}}},
		{"bridge0 learn virt0 -learn virt1 discover virt0 -discover virt1 protect virt0 -protect virt1 stp virt0 -stp virt1",
			&request{mode: modeConfigure, bridge: "bridge0", steps: []step{
				flag("virt0", api.IFBIF_LEARNING, true), flag("virt1", api.IFBIF_LEARNING, false),
				flag("virt0", api.IFBIF_DISCOVER, true), flag("virt1", api.IFBIF_DISCOVER, false),
				flag("virt0", api.IFBIF_PROTECTED, true), flag("virt1", api.IFBIF_PROTECTED, false),
				flag("virt0", api.IFBIF_STP, true), flag("virt1", api.IFBIF_STP, false),
			}}},
		{"bridge0 flush flushall ipf -ipf", &request{mode: modeConfigure, bridge: "bridge0", steps: []step{
			ch("flush", api.BridgeRequest{Op: api.BridgeFlush}),
			ch("flushall", api.BridgeRequest{Op: api.BridgeFlushAll}),
			ch("ipf", api.BridgeRequest{Op: api.BridgeIPF, On: true}),
			ch("-ipf", api.BridgeRequest{Op: api.BridgeIPF}),
		}}},
		{"bridge0 static virt0 0:AA:a:aa:aa:1 deladdr b2:0a:11:0b:0e:01", &request{mode: modeConfigure, bridge: "bridge0", steps: []step{
			ch("static virt0 0:AA:a:aa:aa:1", api.BridgeRequest{Op: api.BridgeStatic, Member: "virt0", MAC: "00:aa:0a:aa:aa:01"}),
			ch("deladdr b2:0a:11:0b:0e:01", api.BridgeRequest{Op: api.BridgeDelAddr, MAC: "b2:0a:11:0b:0e:01"}),
		}}},
		{"bridge0 maxaddr 0x20 timeout 0 hellotime 255 fwddelay 010 maxage 1 priority 65535", &request{mode: modeConfigure, bridge: "bridge0", steps: []step{
			ch("maxaddr 0x20", api.BridgeRequest{Op: api.BridgeMaxAddr, Value: 32}),
			ch("timeout 0", api.BridgeRequest{Op: api.BridgeTimeout}),
			ch("hellotime 255", api.BridgeRequest{Op: api.BridgeHelloTime, Value: 255}),
			ch("fwddelay 010", api.BridgeRequest{Op: api.BridgeFwdDelay, Value: 8}),
			ch("maxage 1", api.BridgeRequest{Op: api.BridgeMaxAge, Value: 1}),
			ch("priority 65535", api.BridgeRequest{Op: api.BridgePriority, Value: 65535}),
		}}},
		{"bridge0 timeout 4294967295 ifpriority virt0 0xff ifpathcost virt1 0", &request{mode: modeConfigure, bridge: "bridge0", steps: []step{
			ch("timeout 4294967295", api.BridgeRequest{Op: api.BridgeTimeout, Value: 4294967295}),
			ch("ifpriority virt0", api.BridgeRequest{Op: api.BridgeIfPriority, Member: "virt0", Value: 255}),
			ch("ifpathcost virt1", api.BridgeRequest{Op: api.BridgeIfPathCost, Member: "virt1"}),
		}}},
		{"bridge0 addr", &request{mode: modeConfigure, bridge: "bridge0", steps: []step{{showCache: true}}}},
	}
	for _, tt := range tests {
		got, err := parse(strings.Fields(tt.args))
		if err != nil {
			t.Errorf("parse(%q): %v", tt.args, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parse(%q):\ngot  %+v\nwant %+v", tt.args, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		args  string
		msg   string
		usage bool
	}{
		{"", "", true},
		{"-x", "unknown option -- x", true},
		{"-a bridge0", "-a takes no other arguments", true},
		{"-a -a", "", false}, // parses: repeated -a is -a
		{"bridge0123456789x", "interface name too long", true},
		{"virt0", "virt0 is not a bridge", false},
		{"bridge", "bridge is not a bridge", false},
		{"bridgex0 up", "bridgex0 is not a bridge", false},
		{"bridge0 frob", "unknown command: frob", false},
		{"bridge0 up -frob", "unknown command: -frob", false},
		{"bridge0 add", "command add requires 1 argument(s)", false},
		{"bridge0 delete", "command delete requires 1 argument(s)", false},
		{"bridge0 static virt0", "command static requires 2 argument(s)", false},
		{"bridge0 ifpriority virt0", "command ifpriority requires 2 argument(s)", false},
		{"bridge0 ifpathcost", "command ifpathcost requires 2 argument(s)", false},
		{"bridge0 learn", "command learn requires 1 argument(s)", false},
		{"bridge0 -stp", "command -stp requires 1 argument(s)", false},
		{"bridge0 maxaddr", "command maxaddr requires 1 argument(s)", false},
		{"bridge0 deladdr", "command deladdr requires 1 argument(s)", false},
		{"bridge0 maxaddr x", "maxaddr: invalid value: x", false},
		{"bridge0 maxaddr 4294967296", "maxaddr: invalid value: 4294967296", false},
		{"bridge0 timeout -1", "timeout: invalid value: -1", false},
		{"bridge0 timeout +5", "timeout: invalid value: +5", false},
		{"bridge0 hellotime 256", "hellotime: invalid value: 256", false},
		{"bridge0 hellotime 0", "hellotime: invalid value: 0", false},
		{"bridge0 fwddelay 0x0", "fwddelay: invalid value: 0x0", false},
		{"bridge0 maxage 00", "maxage: invalid value: 00", false},
		{"bridge0 fwddelay 0x100", "fwddelay: invalid value: 0x100", false},
		{"bridge0 maxage 08", "maxage: invalid value: 08", false},
		{"bridge0 maxage 0x", "maxage: invalid value: 0x", false},
		{"bridge0 priority 65536", "priority: invalid value: 65536", false},
		{"bridge0 priority 1_000", "priority: invalid value: 1_000", false},
		{"bridge0 ifpriority virt0 256", "ifpriority: invalid value: 256", false},
		{"bridge0 ifpathcost virt0 1.5", "ifpathcost: invalid value: 1.5", false},
		{"bridge0 static virt0 00:aa:aa:aa:aa", "static: invalid address: 00:aa:aa:aa:aa", false},
		{"bridge0 static virt0 00:aa:aa:aa:aa:aag", "static: invalid address: 00:aa:aa:aa:aa:aag", false},
		{"bridge0 static virt0 00:aa:aa:aa::aa", "static: invalid address: 00:aa:aa:aa::aa", false},
		{"bridge0 deladdr 00-aa-aa-aa-aa-aa", "deladdr: invalid address: 00-aa-aa-aa-aa-aa", false},
		{"bridge0 deladdr 100:aa:aa:aa:aa:aa", "deladdr: invalid address: 100:aa:aa:aa:aa:aa", false},
		// Nothing runs if a later word is wrong.
		{"bridge0 add virt0 up maxaddr big", "maxaddr: invalid value: big", false},
	}
	for _, tt := range tests {
		_, err := parse(strings.Fields(tt.args))
		if tt.msg == "" && !tt.usage {
			if err != nil {
				t.Errorf("parse(%q): got %v, want no error", tt.args, err)
			}
			continue
		}
		var ue *cli.UsageError
		if err == nil || err.Error() != tt.msg || errors.As(err, &ue) != tt.usage {
			t.Errorf("parse(%q): got %v (usage %v), want %q (usage %v)", tt.args, err, errors.As(err, &ue), tt.msg, tt.usage)
		}
	}
}

func TestParseUint(t *testing.T) {
	tests := []struct {
		w    string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"10", 10, true}, {"0x10", 16, true}, {"0XfF", 255, true}, {"010", 8, true},
		{"00", 0, true}, {"", 0, false}, {"0x", 0, false}, {"09", 0, false}, {"-1", 0, false},
		{"+1", 0, false}, {" 1", 0, false}, {"1e3", 0, false}, {"0b1", 0, false}, {"0o7", 0, false},
		{"18446744073709551616", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseUint(tt.w)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseUint(%q): got %d, %v; want %d, %v", tt.w, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"-a", "bridge0", "bridge0 add virt0 virt1 up", "bridge0 static virt0 0:a:b:c:d:e",
		"bridge0 maxaddr 0x10 timeout 010", "bridge0 ifpriority virt0 300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parse(strings.Fields(s))
		if err == nil && r == nil {
			t.Fatalf("parse(%q): no request and no error", s)
		}
	})
}
