package rump

import (
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// TestShmifMediaNone restates t_shmif.sh shmif_linkstate_down: with media
// none a shmif interface's link is down and it sends nothing, so a ping
// goes unanswered; media autoselect brings it back.
func TestShmifMediaNone(t *testing.T) {
	ks := busKernels(t, 2)
	a := ks[0]
	for _, k := range ks {
		if err := k.SetFlags("shmif0", api.IFF_UP); err != nil {
			t.Fatal(err)
		}
	}
	replies := func() int {
		evs := pingAll(t, a, api.PingRequest{Dst: "10.9.0.2", Count: 1, Size: 56, Wait: 1})
		return countTypes(evs)[api.PingReply]
	}
	steps := []struct {
		media       string
		wantState   string
		wantReplies int
	}{
		{api.MediaAuto, api.LinkStateUp, 1},
		{api.MediaNone, api.LinkStateDown, 0},
		{api.MediaAuto, api.LinkStateUp, 1},
	}
	for _, s := range steps {
		if err := a.SetMedia("shmif0", s.media); err != nil {
			t.Fatal(err)
		}
		ifc, _ := a.Interface("shmif0")
		if ifc.Media != s.media || ifc.LinkState != s.wantState {
			t.Errorf("media %s: got media %q, link state %q; want %q, %q", s.media, ifc.Media, ifc.LinkState, s.media, s.wantState)
		}
		if got := replies(); got != s.wantReplies {
			t.Errorf("media %s: ping got %d replies, want %d", s.media, got, s.wantReplies)
		}
	}
	for _, tt := range []struct {
		name, media string
		want        syscall.Errno
	}{
		{"lo0", api.MediaNone, syscall.ENOTTY},
		{"shmif0", "10baseT", syscall.EINVAL},
	} {
		if err := a.SetMedia(tt.name, tt.media); !errorIs(err, tt.want) {
			t.Errorf("SetMedia(%s, %s): got %v, want %v", tt.name, tt.media, err, tt.want)
		}
	}
}
