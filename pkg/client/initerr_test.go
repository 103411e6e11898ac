package client

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// staleSocket leaves a socket file that nobody listens on, as a server
// killed with SIGKILL does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
}

func TestInitErrorWording(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale")
	staleSocket(t, stale)
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		url   string
		errno syscall.Errno
		want  string
	}{
		{"unset", "", syscall.ENOENT, "RUMP_SERVER not set"},
		{"missing", "unix://" + dir + "/none", syscall.ENOENT,
			"rump client init: unix://" + dir + "/none: No such file or directory (no such socket: is rump_server running?)"},
		{"stale", "unix://" + stale, syscall.ECONNREFUSED,
			"rump client init: unix://" + stale + ": Connection refused (stale socket: no rump_server is listening)"},
		{"not a socket", "unix://" + plain, syscall.ENOTSOCK,
			"rump client init: unix://" + plain + ": Socket operation on non-socket"},
		{"bad scheme", "tcp://h", syscall.EPROTONOSUPPORT,
			"rump client init: tcp://h: Protocol not supported (only unix:// is supported)"},
		{"no scheme", "/tmp/k", syscall.EINVAL,
			"rump client init: /tmp/k: Invalid argument (want unix://path)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvServer, "")
			calls := map[string]func(c *Client) error{
				"Info":        func(c *Client) error { _, err := c.Info(); return err },
				"OpenSockets": func(c *Client) error { _, err := c.OpenSockets(t.Context()); return err },
			}
			for call, f := range calls {
				err := f(&Client{URL: tt.url})
				var ie *InitError
				if !errors.As(err, &ie) {
					t.Fatalf("%s: got %v, want an *InitError", call, err)
				}
				if got := ie.Error(); got != tt.want {
					t.Errorf("%s: got %q, want %q", call, got, tt.want)
				}
				if !errors.Is(err, tt.errno) {
					t.Errorf("%s: got errno of %v, want %v", call, err, tt.errno)
				}
			}
		})
	}
}

func TestDialErrorPermission(t *testing.T) {
	err := dialError("unix:///k", "/k", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.EACCES)})
	want := "rump client init: unix:///k: Permission denied (run as the user who started rump_server, or as root)"
	if got := err.Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(err, syscall.EACCES) {
		t.Errorf("got %v, want EACCES in the chain", err)
	}
}

func TestReachable(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale")
	staleSocket(t, stale)
	tests := []struct {
		url   string
		errno syscall.Errno // 0: reachable
	}{
		{"", syscall.ENOENT},
		{"unix://" + dir + "/none", syscall.ENOENT},
		{"http://x", syscall.EPROTONOSUPPORT},
		{"unix://" + stale, 0}, // found only by connecting
	}
	for _, tt := range tests {
		err := Reachable(tt.url)
		if tt.errno == 0 && err != nil || tt.errno != 0 && !errors.Is(err, tt.errno) {
			t.Errorf("Reachable(%q): got %v, want errno %v", tt.url, err, tt.errno)
		}
	}
}
