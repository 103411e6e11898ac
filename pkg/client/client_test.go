package client

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestZeroClientWithoutServer(t *testing.T) {
	t.Setenv(EnvServer, "")
	var c Client
	_, err := c.Info()
	var ie *InitError
	if !errors.As(err, &ie) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("got %v, want an InitError with ENOENT", err)
	}
}

// silentServer accepts connections on a Unix socket and reads them, but
// never replies: a server stuck in a request.
func silentServer(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go io.Copy(io.Discard, c)
		}
	}()
	return path
}

func TestNoReplyTimesOut(t *testing.T) {
	path := silentServer(t)
	c := &Client{URL: "unix://" + path, Timeout: 100 * time.Millisecond}
	want := "unix://" + path + ": no reply within 100ms"
	tests := []struct {
		name string
		call func() error
	}{
		{"info", func() error { _, err := c.Info(); return err }},
		{"set", func() error { _, err := c.Set("kern.hostname", "h"); return err }},
		{"halt", c.Halt},
		{"ping", func() error {
			s, err := c.Ping(context.Background(), api.PingRequest{Dst: "127.0.0.1"})
			if err == nil {
				s.Close()
			}
			return err
		}},
	}
	for _, tt := range tests {
		err := tt.call()
		if !errors.Is(err, syscall.ETIMEDOUT) || err.Error() != want {
			t.Errorf("%s: got %v, want %q (ETIMEDOUT)", tt.name, err, want)
		}
	}
}

func TestTimeoutDefault(t *testing.T) {
	tests := []struct {
		set, want time.Duration
	}{
		{0, DefaultTimeout},
		{time.Second, time.Second},
		{-1, 0},
	}
	for _, tt := range tests {
		if got := (&Client{Timeout: tt.set}).timeout(); got != tt.want {
			t.Errorf("Timeout %v: got %v, want %v", tt.set, got, tt.want)
		}
	}
}

// TestInterfaceUnreachable checks that a missing socket file is reported
// as the kernel being unreachable, not as a missing interface (ENXIO),
// although both carry ENOENT underneath.
func TestInterfaceUnreachable(t *testing.T) {
	c := &Client{URL: "unix://" + filepath.Join(t.TempDir(), "none")}
	_, err := c.Interface("lo0")
	var ie *InitError
	if !errors.As(err, &ie) || errors.Is(err, syscall.ENXIO) {
		t.Errorf("Interface on a missing socket: got %v, want an InitError, not ENXIO", err)
	}
}
