package bridge_test

import (
	"reflect"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// TestStatus checks the defaults and that members and cache entries are
// listed newest first.
func TestStatus(t *testing.T) {
	r := newRig(t, 3)
	r.do(t, flag("m1", api.IFBIF_STP, true))
	r.b.Input("m0", frame(broadcast, stationA))
	r.b.Input("m2", frame(broadcast, stationB))
	r.do(t, api.BridgeRequest{Op: api.BridgeStatic, Member: "m1", MAC: stationC})
	got := r.b.Status()
	want := api.BridgeStatus{
		Priority: 32768, HelloTime: 2, FwdDelay: 15, MaxAge: 20,
		MaxAddr: 100, Timeout: 1200,
		Members: []api.BridgeMember{
			{Name: "m2", Flags: 3, Port: 4, Priority: 128, PathCost: 55, State: "forwarding"},
			{Name: "m1", Flags: 7, Port: 3, Priority: 128, PathCost: 55, State: "listening"},
			{Name: "m0", Flags: 3, Port: 2, Priority: 128, PathCost: 55, State: "forwarding"},
		},
		Cache: []api.BridgeAddr{
			{MAC: stationC, Member: "m1", Expire: 0, Flags: api.IFBAF_STATIC},
			{MAC: stationB, Member: "m2", Expire: 1200},
			{MAC: stationA, Member: "m0", Expire: 1200},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	r.b.SetUp(false)
	for _, m := range r.b.Status().Members {
		if m.State != api.STPDisabled {
			t.Errorf("%s while down: got state %s, want disabled", m.Name, m.State)
		}
	}
}
