package api

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

func TestSocketPath(t *testing.T) {
	tests := []struct {
		url   string
		want  string
		errno syscall.Errno
	}{
		{"unix:///tmp/k1", "/tmp/k1", 0},
		{"unix://rel/k1", "rel/k1", 0},
		{"unix://", "", syscall.EINVAL},
		{"/tmp/k1", "", syscall.EINVAL},
		{"tcp://127.0.0.1:1234/", "", syscall.EPROTONOSUPPORT},
		{"unix:///" + strings.Repeat("x", 107), "", syscall.ENAMETOOLONG},
	}
	for _, tt := range tests {
		got, err := SocketPath(tt.url)
		if tt.errno != 0 {
			if !errors.Is(err, tt.errno) {
				t.Errorf("SocketPath(%q): got %v, want %v", tt.url, err, tt.errno)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("SocketPath(%q): got %q, %v; want %q", tt.url, got, err, tt.want)
		}
	}
}
