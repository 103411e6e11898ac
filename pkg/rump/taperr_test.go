package rump

import (
	"errors"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/hosttap"
)

func TestTapError(t *testing.T) {
	busy := &hosttap.OpenError{Name: "tap0", Err: syscall.EBUSY, Reason: "tap0 is held open by another process"}
	tests := []struct {
		name   string
		tap    string
		err    error
		byUnit bool
		want   string
	}{
		{"no capability", "tap0", &hosttap.OpenError{Name: "tap0", Err: syscall.EPERM, Reason: "creating a tap needs CAP_NET_ADMIN"}, true,
			"virt0: cannot open tap0: Operation not permitted (creating a tap needs CAP_NET_ADMIN)"},
		{"busy, by unit", "tap0", busy, true,
			"virt0: cannot open tap0: Device busy (tap0 is held open by another process; name another tap with linkstr)"},
		{"busy, by linkstr", "tap0", busy, false,
			"virt0: cannot open tap0: Device busy (tap0 is held open by another process)"},
		{"not a tap, by unit", "tap0", &hosttap.OpenError{Name: "tap0", Err: syscall.EINVAL, Reason: "tap0 exists and is a veth device, not a tap"}, true,
			"virt0: cannot open tap0: Invalid argument (tap0 exists and is a veth device, not a tap; name another tap with linkstr)"},
		{"a bare errno", "tap0", syscall.EBUSY, true,
			"virt0: cannot open tap0: Device busy (name another tap with linkstr)"},
		{"nothing to add", "tap9", syscall.ENOMEM, true, "virt0: cannot open tap9: Cannot allocate memory"},
	}
	for _, tt := range tests {
		err := tapError("virt0", tt.tap, tt.err, tt.byUnit)
		var ex *api.Explained
		if !errors.As(err, &ex) || ex.Msg != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, err, tt.want)
		}
		if !errors.Is(err, api.ErrnoOf(tt.err)) {
			t.Errorf("%s: got %v, want errno %v in the chain", tt.name, err, api.ErrnoOf(tt.err))
		}
	}
}
