package api

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestLeavesSorted(t *testing.T) {
	if !sort.SliceIsSorted(Leaves, func(i, j int) bool { return Leaves[i].Name < Leaves[j].Name }) {
		t.Errorf("Leaves are not sorted by name")
	}
}

// TestLeafFields checks that each leaf reaches a field of its own, and that
// its JSON type is the one it says: an int leaf holds a number, a string
// leaf a string, a struct leaf an object or a list.
func TestLeafFields(t *testing.T) {
	var i Interface
	seen := map[any]string{}
	for _, l := range Leaves {
		p := l.Field(&i)
		v := reflect.ValueOf(p)
		if v.Kind() != reflect.Pointer {
			t.Errorf("%s: got Field returning %T, want a pointer", l.Name, p)
			continue
		}
		if other, dup := seen[p]; dup {
			t.Errorf("%s: got the same field as %s, want its own", l.Name, other)
		}
		seen[p] = l.Name
		var want string
		switch v.Elem().Kind() {
		case reflect.Int:
			want = "int"
		case reflect.String:
			want = "string"
		case reflect.Struct, reflect.Slice, reflect.Pointer:
			want = "struct"
		}
		if l.Type != want {
			t.Errorf("%s: got type %q, want %q", l.Name, l.Type, want)
		}
	}
}

// TestLeafRoundTrip decodes each leaf's value into an Interface through
// the table and checks that it lands in the field that leaf names.
func TestLeafRoundTrip(t *testing.T) {
	tests := []struct {
		leaf, value string
		want        Interface
	}{
		{LeafAddress, `"b2:0a:00:0b:0e:00"`, Interface{Address: "b2:0a:00:0b:0e:00"}},
		{LeafCaps, `384`, Interface{Capabilities: 384}},
		{LeafCapEnable, `128`, Interface{CapEnabled: 128}},
		{LeafFlags, `32835`, Interface{Flags: 32835}},
		{LeafIndex, `2`, Interface{Index: 2}},
		{LeafInet, `[{"addr":"10.0.0.2/24","flags":0}]`, Interface{Inet: []IfAddr{{Addr: "10.0.0.2/24"}}}},
		{LeafInet6, `[{"addr":"fe80::1/64","flags":2}]`, Interface{Inet6: []IfAddr{{Addr: "fe80::1/64", Flags: 2}}}},
		{LeafKind, `"virt"`, Interface{Kind: "virt"}},
		{LeafL2tp, `{"src":"192.0.2.1","dst":"192.0.2.2","local_session":1234,"remote_session":4321}`,
			Interface{L2tp: &L2tp{Src: "192.0.2.1", Dst: "192.0.2.2", LocalSession: 1234, RemoteSession: 4321}}},
		{LeafLink, `[{"addr":"b2:0a:00:0b:0e:01","active":false}]`, Interface{LinkAddrs: []LinkAddr{{Addr: "b2:0a:00:0b:0e:01"}}}},
		{LeafLinkState, `"up"`, Interface{LinkState: "up"}},
		{LeafLinkstr, `"tap0"`, Interface{Linkstr: "tap0"}},
		{LeafMedia, `"none"`, Interface{Media: "none"}},
		{LeafMetric, `3`, Interface{Metric: 3}},
		{LeafMTU, `1500`, Interface{MTU: 1500}},
		{LeafStats, `{"ipackets":7}`, Interface{Stats: Stats{IPackets: 7}}},
		{LeafTunnel, `{"src":"192.0.2.1","dst":"192.0.2.2","dst_port":4754}`, Interface{Tunnel: &Tunnel{Src: "192.0.2.1", Dst: "192.0.2.2", DstPort: 4754}}},
		{LeafVlan, `{"tag":10,"parent":"virt0"}`, Interface{Vlan: &Vlan{Tag: 10, Parent: "virt0"}}},
	}
	if len(tests) != len(Leaves) {
		t.Errorf("got %d cases, want one per leaf (%d)", len(tests), len(Leaves))
	}
	for _, tt := range tests {
		l, ok := FindLeaf(tt.leaf)
		if !ok {
			t.Errorf("FindLeaf(%q): not found", tt.leaf)
			continue
		}
		var got Interface
		if err := json.Unmarshal([]byte(tt.value), l.Field(&got)); err != nil {
			t.Errorf("%s: %v", tt.leaf, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.leaf, got, tt.want)
		}
		raw, err := json.Marshal(l.Field(&got))
		if err != nil || !strings.HasPrefix(tt.value, string(raw)[:1]) {
			t.Errorf("%s: encoded as %s (%v), want the form of %s", tt.leaf, raw, err, tt.value)
		}
	}
	if _, ok := FindLeaf("nosuch"); ok {
		t.Errorf("FindLeaf(%q): got found, want not found", "nosuch")
	}
}
