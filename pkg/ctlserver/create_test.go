package ctlserver

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// TestCreateLinkstr checks create's optional body for an interface: a virt
// interface opens the tap it names, other cloners refuse it, and a refused
// tap comes back as an explained reply.
func TestCreateLinkstr(t *testing.T) {
	var opened []string
	k, err := rump.New(rump.Options{OpenTap: func(name string) (rump.FrameDevice, error) {
		opened = append(opened, name)
		if name == "tap0" {
			return nil, syscall.EBUSY
		}
		a, _ := framepipe.New()
		return a, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	s := New(k, nil)
	root := peer{uid: 0, known: true}
	tests := []struct {
		path, body string
		code       int
		reply      api.ErrorReply // for a failure: errno, detail, explained
	}{
		{"/v1/create/net.link.virt0", `{"linkstr":"tap5"}`, 200, api.ErrorReply{}},
		{"/v1/create/net.link.virt1", `{"linkstr":"tap0"}`, 409, api.ErrorReply{Errno: "EBUSY",
			Detail: "virt1: cannot open tap0: Device busy", Explained: true}},
		{"/v1/create/net.link.virt2", ``, 200, api.ErrorReply{}},
		{"/v1/create/net.link.lo1", `{"linkstr":"tap5"}`, 400, api.ErrorReply{Errno: "EINVAL",
			Detail: "lo1: linkstr at creation is for virt"}},
		{"/v1/create/net.link.virt3", `{"linkstr":`, 400, api.ErrorReply{Errno: "EINVAL"}},
	}
	for _, tt := range tests {
		w := handleForTest(context.Background(), s, root, "POST", tt.path, []byte(tt.body))
		if tt.code == 200 {
			if w.code != 200 {
				t.Errorf("POST %s %s: got %d %s, want 200", tt.path, tt.body, w.code, w.body.String())
			}
			continue
		}
		var er api.ErrorReply
		if err := json.Unmarshal(w.body.Bytes(), &er); err != nil {
			t.Fatalf("POST %s: reply %q: %v", tt.path, w.body.String(), err)
		}
		if tt.reply.Detail == "" {
			er.Detail = "" // a decoder's wording
		}
		if er.Errno != tt.reply.Errno || er.Detail != tt.reply.Detail || er.Explained != tt.reply.Explained {
			t.Errorf("POST %s %s: got errno %s, detail %q, explained %v; want %s, %q, %v", tt.path, tt.body,
				er.Errno, er.Detail, er.Explained, tt.reply.Errno, tt.reply.Detail, tt.reply.Explained)
		}
	}
	if n, err := k.Interface("virt0"); err != nil || n.Linkstr != "tap5" {
		t.Errorf("virt0: got %+v, %v; want linkstr tap5", n, err)
	}
	want := []string{"tap5", "tap0", "tap2"}
	if len(opened) != len(want) || opened[0] != want[0] || opened[1] != want[1] || opened[2] != want[2] {
		t.Errorf("taps opened: got %q, want %q", opened, want)
	}
}
