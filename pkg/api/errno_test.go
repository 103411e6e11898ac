package api

import (
	"errors"
	"syscall"
	"testing"
)

func TestErrnoTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range errnoTable {
		if seen[r.name] {
			t.Errorf("%s listed twice", r.name)
		}
		seen[r.name] = true
		if e, ok := ErrnoByName(r.name); !ok || e != r.errno || ErrnoName(e) != r.name {
			t.Errorf("%s does not round-trip", r.name)
		}
	}
	tests := []struct {
		e    syscall.Errno
		want string
	}{
		{syscall.ENXIO, "Device not configured"},
		{syscall.EEXIST, "File exists"},
		{syscall.EBUSY, "Device busy"},
		{syscall.EADDRNOTAVAIL, "Can't assign requested address"},
	}
	for _, tt := range tests {
		if got := Strerror(tt.e); got != tt.want {
			t.Errorf("Strerror(%d): got %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestErrorUnwraps(t *testing.T) {
	err := error(Errorf(syscall.EEXIST, "virt0"))
	if !errors.Is(err, syscall.EEXIST) || ErrnoOf(err) != syscall.EEXIST {
		t.Errorf("got %v, want it to unwrap to EEXIST", err)
	}
	if got := err.Error(); got != "virt0: File exists" {
		t.Errorf("got %q, want %q", got, "virt0: File exists")
	}
	if ErrnoOf(errors.New("plain")) != syscall.EIO {
		t.Errorf("an error without errno should map to EIO")
	}
}
