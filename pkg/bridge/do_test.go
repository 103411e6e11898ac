package bridge_test

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/bridge"
)

// TestDoErrors checks the errno of every failing request.
func TestDoErrors(t *testing.T) {
	tests := []struct {
		req  api.BridgeRequest
		want syscall.Errno
	}{
		{api.BridgeRequest{Op: "frobnicate"}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeAdd, Member: "m9"}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeDelete, Member: "m9"}, syscall.ENOENT},
		{api.BridgeRequest{Op: api.BridgeStatic, Member: "m9", MAC: stationA}, syscall.ENOENT},
		{api.BridgeRequest{Op: api.BridgeStatic, Member: "m0", MAC: "0a:00:00:00:00"}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeStatic, Member: "m0", MAC: "0a:00:00:00:00:zz"}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeStatic, Member: "m0", MAC: "0a:00:00:00:00:100"}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeStatic, Member: "m0", MAC: broadcast}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeStatic, Member: "m0", MAC: "00:00:00:00:00:00"}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeDelAddr, MAC: stationA}, syscall.ENOENT},
		{api.BridgeRequest{Op: api.BridgeDelAddr, MAC: "nonsense"}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeMaxAddr, Value: -1}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeMaxAddr, Value: 1 << 32}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeTimeout, Value: -1}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeMemberFlag, Member: "m9", Value: api.IFBIF_STP, On: true}, syscall.ENOENT},
		{api.BridgeRequest{Op: api.BridgeMemberFlag, Member: "m0", Value: 0x10, On: true}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeMemberFlag, Member: "m0", Value: 0x3, On: true}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeMemberFlag, Member: "m0", Value: 0}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgePriority, Value: -1}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgePriority, Value: 65536}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeHelloTime, Value: 0}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeHelloTime, Value: 256}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeFwdDelay, Value: 0}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeFwdDelay, Value: 256}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeMaxAge, Value: 0}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeMaxAge, Value: 256}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeIfPriority, Member: "m0", Value: 256}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeIfPriority, Member: "m0", Value: -1}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeIfPriority, Member: "m9", Value: 1}, syscall.ENOENT},
		{api.BridgeRequest{Op: api.BridgeIfPathCost, Member: "m0", Value: 256}, syscall.EINVAL},
		{api.BridgeRequest{Op: api.BridgeIfPathCost, Member: "m9", Value: 1}, syscall.ENOENT},
	}
	for _, tt := range tests {
		t.Run(tt.req.Op, func(t *testing.T) {
			r := newRig(t, 1)
			before := r.b.Status()
			err := r.b.Do(tt.req)
			wantErrno(t, tt.req.Op, err, tt.want)
			if after := r.b.Status(); !sameConfig(before, after) {
				t.Errorf("failed request changed the configuration: %+v -> %+v", before, after)
			}
		})
	}
}

func sameConfig(a, b api.BridgeStatus) bool {
	return a.Priority == b.Priority && a.HelloTime == b.HelloTime && a.FwdDelay == b.FwdDelay &&
		a.MaxAge == b.MaxAge && a.MaxAddr == b.MaxAddr && a.Timeout == b.Timeout &&
		len(a.Members) == len(b.Members) && (len(a.Members) == 0 || a.Members[0] == b.Members[0])
}

// TestDoApplies checks that each accepted request shows in Status,
// including the edges of every range.
func TestDoApplies(t *testing.T) {
	tests := []struct {
		req   api.BridgeRequest
		check func(s api.BridgeStatus) bool
	}{
		{api.BridgeRequest{Op: api.BridgeMaxAddr, Value: 1<<32 - 1}, func(s api.BridgeStatus) bool { return s.MaxAddr == 1<<32-1 }},
		{api.BridgeRequest{Op: api.BridgeTimeout, Value: 30}, func(s api.BridgeStatus) bool { return s.Timeout == 30 }},
		{api.BridgeRequest{Op: api.BridgePriority, Value: 0}, func(s api.BridgeStatus) bool { return s.Priority == 0 }},
		{api.BridgeRequest{Op: api.BridgePriority, Value: 65535}, func(s api.BridgeStatus) bool { return s.Priority == 65535 }},
		{api.BridgeRequest{Op: api.BridgeHelloTime, Value: 1}, func(s api.BridgeStatus) bool { return s.HelloTime == 1 }},
		{api.BridgeRequest{Op: api.BridgeFwdDelay, Value: 255}, func(s api.BridgeStatus) bool { return s.FwdDelay == 255 }},
		{api.BridgeRequest{Op: api.BridgeMaxAge, Value: 6}, func(s api.BridgeStatus) bool { return s.MaxAge == 6 }},
		{api.BridgeRequest{Op: api.BridgeIPF, On: true}, func(s api.BridgeStatus) bool { return s.IPFilter }},
		{api.BridgeRequest{Op: api.BridgeIfPriority, Member: "m0", Value: 0}, func(s api.BridgeStatus) bool { return s.Members[0].Priority == 0 }},
		{api.BridgeRequest{Op: api.BridgeIfPathCost, Member: "m0", Value: 255}, func(s api.BridgeStatus) bool { return s.Members[0].PathCost == 255 }},
		{api.BridgeRequest{Op: api.BridgeMemberFlag, Member: "m0", Value: api.IFBIF_STP, On: true},
			func(s api.BridgeStatus) bool { return s.Members[0].Flags == 7 }},
		{api.BridgeRequest{Op: api.BridgeMemberFlag, Member: "m0", Value: api.IFBIF_PROTECTED, On: true},
			func(s api.BridgeStatus) bool { return s.Members[0].Flags == 0xb }},
		{api.BridgeRequest{Op: api.BridgeMemberFlag, Member: "m0", Value: api.IFBIF_LEARNING},
			func(s api.BridgeStatus) bool { return s.Members[0].Flags == 2 }},
		{api.BridgeRequest{Op: api.BridgeDelete, Member: "m0"}, func(s api.BridgeStatus) bool { return len(s.Members) == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.req.Op, func(t *testing.T) {
			r := newRig(t, 1)
			r.do(t, tt.req)
			if s := r.b.Status(); !tt.check(s) {
				t.Errorf("after %+v: got %+v", tt.req, s)
			}
		})
	}
}

// TestAddPortErrors checks AddPort's, DeletePort's and SetPortLink's
// errnos.
func TestAddPortErrors(t *testing.T) {
	r := newRig(t, 0)
	m0 := &member{name: "m0", index: 2, mac: mustMAC("02:00:00:00:00:00")}
	if err := r.b.AddPort(m0.port()); err != nil {
		t.Fatalf("first member: %v", err)
	}
	m1 := &member{name: "m1", index: 3, mac: mustMAC("02:00:00:00:00:01")}
	bad := func(f func(p *bridge.Port)) bridge.Port {
		p := m1.port()
		f(&p)
		return p
	}
	tests := []struct {
		name string
		port bridge.Port
		want syscall.Errno
	}{
		{"already a member", m0.port(), syscall.EEXIST},
		{"no name", bad(func(p *bridge.Port) { p.Name = "" }), syscall.EINVAL},
		{"short mac", bad(func(p *bridge.Port) { p.MAC = p.MAC[:5] }), syscall.EINVAL},
		{"no send", bad(func(p *bridge.Port) { p.Send = nil }), syscall.EINVAL},
		{"zero mtu", bad(func(p *bridge.Port) { p.MTU = 0 }), syscall.EINVAL},
	}
	for _, tt := range tests {
		wantErrno(t, tt.name, r.b.AddPort(tt.port), tt.want)
	}
	wantErrno(t, "delete non-member", r.b.DeletePort("m1"), syscall.ENOENT)
	wantErrno(t, "link of non-member", r.b.SetPortLink("m1", false), syscall.ENOENT)
}

// TestMTURule checks NetBSD's MTU rule: the bridge has its own MTU, 1500
// until set; every member, the first one too, must have it unless it is
// exempt (l2tp); members leaving or joining never change it.
func TestMTURule(t *testing.T) {
	tests := []struct {
		name      string
		bridgeMTU int   // 0: leave the default
		members   []int // MTUs of the members added before the one tried
		mtu       int
		anyMTU    bool
		want      syscall.Errno // 0: success
	}{
		{"first member at the default", 0, nil, 1500, false, 0},
		{"first member differs from the default", 0, nil, 9000, false, syscall.EINVAL},
		{"first member at a set mtu", 1496, nil, 1496, false, 0},
		{"first member at the default after a set mtu", 1496, nil, 1500, false, syscall.EINVAL},
		{"second member equal", 0, []int{1500}, 1500, false, 0},
		{"second member differs", 0, []int{1500}, 1280, false, syscall.EINVAL},
		{"exempt member differs", 0, []int{1500}, 1280, true, 0},
		{"exempt first member differs", 0, nil, 1280, true, 0},
		{"jumbo bridge and member", 9000, []int{9000}, 9000, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 0)
			if tt.bridgeMTU != 0 {
				if err := r.b.SetMTU(tt.bridgeMTU); err != nil {
					t.Fatal(err)
				}
			}
			for i, mtu := range tt.members {
				m := &member{name: fmt.Sprintf("m%d", i), index: 2 + i, mac: mustMAC(fmt.Sprintf("02:00:00:00:00:%02x", i))}
				p := m.port()
				p.MTU = mtu
				if err := r.b.AddPort(p); err != nil {
					t.Fatalf("member %d: %v", i, err)
				}
			}
			m := &member{name: "new", index: 20, mac: mustMAC("02:00:00:00:00:20")}
			p := m.port()
			p.MTU, p.AnyMTU = tt.mtu, tt.anyMTU
			if err := r.b.AddPort(p); tt.want == 0 && err != nil {
				t.Errorf("add: got %v, want success", err)
			} else if tt.want != 0 {
				wantErrno(t, "add", err, tt.want)
			}
			want := tt.bridgeMTU
			if want == 0 {
				want = 1500
			}
			if got := r.b.MTU(); got != want {
				t.Errorf("bridge mtu: got %d, want %d", got, want)
			}
		})
	}
}

// TestSetMTU checks that the bridge's MTU is its own: set, it outlives its
// last member; 0 is refused.
func TestSetMTU(t *testing.T) {
	r := newRig(t, 0)
	wantErrno(t, "zero bridge mtu", r.b.SetMTU(0), syscall.EINVAL)
	m := &member{name: "m0", index: 2, mac: mustMAC("02:00:00:00:00:00")}
	if err := r.b.AddPort(m.port()); err != nil {
		t.Fatal(err)
	}
	if err := r.b.SetMTU(1400); err != nil {
		t.Fatal(err)
	}
	if err := r.b.DeletePort("m0"); err != nil {
		t.Fatal(err)
	}
	if got := r.b.MTU(); got != 1400 {
		t.Errorf("bridge mtu after its last member left: got %d, want 1400", got)
	}
}
