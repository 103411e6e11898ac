package ctlserver

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// TestSocketUpgradeRefusals: a session request without the upgrade, or
// with the wrong one, gets an ordinary error reply.
func TestSocketUpgradeRefusals(t *testing.T) {
	_, path := serve(t)
	tests := []struct {
		head string
		want int
	}{
		{"POST /v1/socket HTTP/1.1\r\nHost: rump\r\nContent-Length: 0\r\n\r\n", 400},
		{"POST /v1/socket HTTP/1.1\r\nHost: rump\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n", 400},
		{"GET /v1/socket HTTP/1.1\r\nHost: rump\r\nUpgrade: rumpnet-socket\r\n\r\n", 405},
		{"POST /v1/socket HTTP/1.1\r\nHost: rump\r\nConnection: Upgrade\r\nUpgrade: rumpnet-socket\r\nContent-Length: 0\r\n\r\n", 101},
	}
	for _, tt := range tests {
		nc, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		nc.Write([]byte(tt.head))
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatalf("%q: %v", tt.head, err)
		}
		if resp.StatusCode != tt.want {
			t.Errorf("%q: got %d, want %d", tt.head, resp.StatusCode, tt.want)
		}
		nc.Close()
	}
}

// TestSocketSessionOutlivesIdleTimeout: a session is exempt from the
// connection's timeouts.
func TestSocketSessionOutlivesIdleTimeout(t *testing.T) {
	defer func(h, r, i time.Duration) { headerTimeout, requestTimeout, idleTimeout = h, r, i }(headerTimeout, requestTimeout, idleTimeout)
	headerTimeout, requestTimeout, idleTimeout = 50*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond
	c, _ := serve(t)
	s, err := c.OpenSockets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Longer than every timeout: the session still answers.
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	id, f, err := s.Socket(4, api.SockStream)
	if err != nil {
		t.Fatalf("socket after the timeouts: %v", err)
	}
	f.Close()
	if _, err := s.SockName(id); err != nil && !strings.Contains(err.Error(), "socket") {
		t.Errorf("getsockname: %v", err)
	}
}
