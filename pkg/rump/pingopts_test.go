package rump

import (
	"net/netip"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// recorded reads the addresses a record route option holds.
func recorded(t *testing.T, opts []byte) []string {
	t.Helper()
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0:
			return nil
		case ipoptNOP:
			i++
			continue
		}
		if i+2 >= len(opts) || opts[i+1] < 3 || i+int(opts[i+1]) > len(opts) {
			t.Fatalf("bad options % x", opts)
		}
		if opts[i] == ipoptRR {
			var as []string
			body := opts[i : i+int(opts[i+1])]
			for j := 3; j+4 <= int(body[2])-1; j += 4 {
				as = append(as, netip.AddrFrom4([4]byte(body[j:j+4])).String())
			}
			return as
		}
		i += int(opts[i+1])
	}
	return nil
}

// TestPingRecordRoute: requests with a record route option come back with
// the route the answering kernel and the way back recorded.
func TestPingRecordRoute(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	evs := pingAll(t, ka, api.PingRequest{Dst: "10.0.0.2", Count: 2, Interval: 0.01, Size: 56, RecordRoute: true})
	replies := 0
	for _, ev := range evs {
		if ev.Type == api.PingSent && ev.Error != nil {
			t.Errorf("send: got %v, want success", ev.Error)
		}
		if ev.Type != api.PingReply {
			continue
		}
		replies++
		if got := recorded(t, ev.Options); len(got) == 0 || got[0] != "10.0.0.2" || ev.Bytes != 64 || ev.From != "10.0.0.2" {
			t.Errorf("reply %+v: got route %v, want one starting with 10.0.0.2, 64 bytes from 10.0.0.2", ev, got)
		}
	}
	if replies != 2 {
		t.Errorf("replies: got %d, want 2; events %+v", replies, evs)
	}
}

// TestPingSourceRoute: a request with a loose source route goes to the
// gateway; a gVisor gateway does not pass it on but answers it itself.
func TestPingSourceRoute(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	evs := pingAll(t, ka, api.PingRequest{Dst: "10.0.0.9", Count: 1, Size: 56, SourceRoute: "10.0.0.2"})
	if got := countTypes(evs); got[api.PingReply] != 1 {
		t.Fatalf("got events %+v, want one reply", evs)
	}
	for _, ev := range evs {
		if ev.Type == api.PingReply && ev.From != "10.0.0.2" {
			t.Errorf("reply: got %+v, want it from the gateway 10.0.0.2", ev)
		}
	}
	for _, req := range []api.PingRequest{
		{Dst: "fc00::2", RecordRoute: true},
		{Dst: "10.0.0.2", SourceRoute: "fc00::2"},
	} {
		if err := ka.Ping(t.Context(), req, func(api.PingEvent) {}); !errorIs(err, syscall.EINVAL) {
			t.Errorf("Ping %+v: got %v, want EINVAL", req, err)
		}
	}
	req := api.PingRequest{Dst: "fc00::2", NextHop: "fc00::2"}
	if err := ka.Ping(t.Context(), req, func(api.PingEvent) {}); !errorIs(err, syscall.EOPNOTSUPP) {
		t.Errorf("Ping %+v: got %v, want EOPNOTSUPP", req, err)
	}
}

// TestPingDontFragment: with the don't-fragment bit, as ping -D sets it, a
// request that fits the interface's MTU is answered and a bigger one is
// not sent (EMSGSIZE) rather than fragmented; without it the bigger one
// is fragmented and answered.
func TestPingDontFragment(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	tests := []struct {
		name      string
		size      int
		df        bool
		wantErr   string // errno of the sent event, "" for none
		wantReply bool
	}{
		{"fits, DF", 1472, true, "", true},
		{"too big, DF", 1473, true, "EMSGSIZE", false},
		{"too big, no DF", 1473, false, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := pingAll(t, ka, api.PingRequest{Dst: "10.0.0.2", Count: 1, Wait: 2, Size: tt.size, DontFragment: tt.df})
			gotErr := ""
			for _, ev := range evs {
				if ev.Type == api.PingSent && ev.Error != nil {
					gotErr = ev.Error.Errno
				}
			}
			if gotErr != tt.wantErr {
				t.Errorf("sent error: got %q, want %q", gotErr, tt.wantErr)
			}
			if got := countTypes(evs)[api.PingReply] == 1; got != tt.wantReply {
				t.Errorf("answered: got %v, want %v; events %+v", got, tt.wantReply, evs)
			}
		})
	}
	req := api.PingRequest{Dst: "fc00::2", DontFragment: true}
	if err := ka.Ping(t.Context(), req, func(api.PingEvent) {}); !errorIs(err, syscall.EINVAL) {
		t.Errorf("Ping %+v: got %v, want EINVAL", req, err)
	}
}
