package api

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestErrnoTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range errnoMore() {
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

// TestEveryErrnoNamed walks every errno Linux defines: each must have a name
// that maps back to it and a message, so that no failure reaches a client
// as an empty errno.
func TestEveryErrnoNamed(t *testing.T) {
	for e := syscall.Errno(1); e <= maxErrno; e++ {
		if unix.ErrnoName(e) == "" {
			continue // a hole in Linux's numbering
		}
		name := ErrnoName(e)
		if name == "" {
			t.Errorf("errno %d (%s): got no name", e, unix.ErrnoName(e))
			continue
		}
		if back, ok := ErrnoByName(name); !ok || back != e {
			t.Errorf("%s: ErrnoByName got %d, %v; want %d", name, back, ok, e)
		}
		if msg := Strerror(e); msg == "" || strings.HasPrefix(msg, "errno ") {
			t.Errorf("%s: got message %q", name, msg)
		}
	}
	tests := []struct {
		e          syscall.Errno
		name, text string
	}{
		{syscall.EMFILE, "EMFILE", "Too many open files"},
		{syscall.ENFILE, "ENFILE", "Too many open files in system"},
		{syscall.ENOBUFS, "ENOBUFS", "No buffer space available"},
		{syscall.EPIPE, "EPIPE", "Broken pipe"},
		{syscall.EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported"},
		{syscall.ENOMEDIUM, "ENOMEDIUM", "No medium found"},
	}
	for _, tt := range tests {
		if got := ErrnoName(tt.e); got != tt.name {
			t.Errorf("ErrnoName(%d): got %q, want %q", tt.e, got, tt.name)
		}
		if got := Strerror(tt.e); got != tt.text {
			t.Errorf("Strerror(%s): got %q, want %q", tt.name, got, tt.text)
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
