package brconfig

import (
	"bytes"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// bridge0 is the reference's example: two members, one with STP, a learned
// and a static entry.
var bridge0 = api.BridgeStatus{
	Name: "bridge0", Flags: api.IFF_UP | api.IFF_RUNNING,
	Priority: 32768, HelloTime: 2, FwdDelay: 15, MaxAge: 20, MaxAddr: 100, Timeout: 1200,
	Members: []api.BridgeMember{
		{Name: "virt1", Flags: api.IFBIF_LEARNING | api.IFBIF_DISCOVER, Port: 3, Priority: 128, PathCost: 55, State: api.STPDisabled},
		{Name: "virt0", Flags: api.IFBIF_LEARNING | api.IFBIF_DISCOVER | api.IFBIF_STP, Port: 2, Priority: 128, PathCost: 55, State: api.STPForwarding},
	},
	Cache: []api.BridgeAddr{
		{MAC: "b2:0a:11:0b:0e:01", Member: "virt1", Expire: 1199},
		{MAC: "0:aa:aa:aa:aa:aa", Member: "virt0", Flags: api.IFBAF_STATIC},
	},
}

// bridge1 is a new bridge: down, no members, no cache.
var bridge1 = api.BridgeStatus{
	Name: "bridge1", Priority: 32768, HelloTime: 2, FwdDelay: 15, MaxAge: 20, MaxAddr: 100, Timeout: 1200,
}

// bridge2 has every member flag, a filter, and other settings.
var bridge2 = api.BridgeStatus{
	Name: "bridge2", Flags: api.IFF_UP | api.IFF_BROADCAST | api.IFF_RUNNING | api.IFF_SIMPLEX | api.IFF_MULTICAST,
	Priority: 4096, HelloTime: 1, FwdDelay: 4, MaxAge: 6, IPFilter: true, MaxAddr: 5, Timeout: 0,
	Members: []api.BridgeMember{
		{Name: "shmif0", Flags: 0, Port: 7, Priority: 0, PathCost: 1},
		{Name: "virt4", Flags: api.IFBIF_STP | api.IFBIF_PROTECTED, Port: 6, Priority: 255, PathCost: 255, State: api.STPBlocking},
		{Name: "virt3", Flags: api.IFBIF_LEARNING | api.IFBIF_PROTECTED, Port: 5, Priority: 64, PathCost: 10},
		{Name: "virt2", Flags: api.IFBIF_STP, Port: 4, Priority: 128, PathCost: 55, State: api.STPListening},
		{Name: "virt5", Flags: api.IFBIF_STP | api.IFBIF_DISCOVER, Port: 8, Priority: 128, PathCost: 55, State: api.STPLearning},
	},
	Cache: []api.BridgeAddr{
		{MAC: "02:00:00:00:00:0A", Member: "virt3", Expire: 0},
		{MAC: "02:00:00:00:00:09", Member: "virt4", Expire: 0, Flags: api.IFBAF_STATIC},
	},
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name  string
		write func(b *bytes.Buffer)
	}{
		{"status", func(b *bytes.Buffer) { writeStatus(b, bridge0) }},
		{"status-empty", func(b *bytes.Buffer) { writeStatus(b, bridge1) }},
		{"status-flags", func(b *bytes.Buffer) { writeStatus(b, bridge2) }},
		{"addr", func(b *bytes.Buffer) { writeCache(b, bridge0.Cache, "\t") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.write(&b)
			golden.Check(t, tt.name, b.Bytes())
		})
	}
}

func TestFlagsString(t *testing.T) {
	tests := []struct {
		v     int
		names []string
		want  string
	}{
		{0, api.IfFlagNames, "0<>"},
		{0x41, api.IfFlagNames, "41<UP,RUNNING>"},
		{0x8843, api.IfFlagNames, "8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>"},
		{0x7, memberFlagNames, "7<LEARNING,DISCOVER,STP>"},
		{0xf, memberFlagNames, "f<LEARNING,DISCOVER,STP,PROTECTED>"},
		{0x18, memberFlagNames, "18<PROTECTED>"},
		{1, cacheFlagNames, "1<STATIC>"},
	}
	for _, tt := range tests {
		if got := flagsString(tt.v, tt.names); got != tt.want {
			t.Errorf("flagsString(%#x): got %q, want %q", tt.v, got, tt.want)
		}
	}
}
