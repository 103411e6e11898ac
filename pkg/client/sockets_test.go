package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// busPair boots two kernels on one shmif bus, 10.9.0.1-2/24 and
// fd00::1-2/64, each behind a control socket.
func busPair(t *testing.T) ([]*rump.Kernel, []*client.Client) {
	t.Helper()
	bus := filepath.Join(t.TempDir(), "bus")
	var ks []*rump.Kernel
	var cs []*client.Client
	for i := 1; i <= 2; i++ {
		k, err := rump.New(rump.Options{OpenTap: func(string) (rump.FrameDevice, error) {
			a, _ := framepipe.New()
			return a, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(k.Close)
		for _, err := range []error{
			k.Create("shmif0"), k.SetLinkstr("shmif0", bus),
			k.AddAddr("shmif0", api.IfAddr{Addr: fmt.Sprintf("10.9.0.%d/24", i)}),
			k.AddAddr("shmif0", api.IfAddr{Addr: fmt.Sprintf("fd00::%d/64", i)}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		waitUsable(t, k)
		c := ktest.Serve(t, k)
		t.Cleanup(func() { c.CloseSockets() })
		ks, cs = append(ks, k), append(cs, c)
	}
	return ks, cs
}

func TestDialListenBothWays(t *testing.T) {
	_, cs := busPair(t)
	for _, tt := range []struct{ network, listen, dial string }{
		{"tcp4", "10.9.0.2:80", "10.9.0.2:80"},
		{"tcp6", "[fd00::2]:81", "[fd00::2]:81"},
		{"tcp", ":82", "[fd00::2]:82"},
		{"tcp", ":83", "10.9.0.2:83"},
	} {
		l, err := cs[1].Listen(tt.network, tt.listen)
		if err != nil {
			t.Fatalf("listen %s %s: %v", tt.network, tt.listen, err)
		}
		msgA := bytes.Repeat([]byte("a→b "), 1<<20)
		msgB := bytes.Repeat([]byte("b→a!"), 700_000)
		srv := make(chan [32]byte, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				srv <- [32]byte{}
				return
			}
			defer c.Close()
			go func() {
				c.Write(msgB)
				c.(interface{ CloseWrite() error }).CloseWrite()
			}()
			b, _ := io.ReadAll(c)
			srv <- sha256.Sum256(b)
		}()
		c, err := cs[0].Dial(tt.network, tt.dial)
		if err != nil {
			t.Fatalf("dial %s %s: %v", tt.network, tt.dial, err)
		}
		if got := c.RemoteAddr().String(); got != tt.dial {
			t.Errorf("RemoteAddr: got %s, want %s", got, tt.dial)
		}
		go func() {
			c.Write(msgA)
			c.(interface{ CloseWrite() error }).CloseWrite() // half-close: b still sends
		}()
		b, _ := io.ReadAll(c)
		if sha256.Sum256(b) != sha256.Sum256(msgB) {
			t.Errorf("%s b→a: got %d bytes, want %d", tt.dial, len(b), len(msgB))
		}
		if got := <-srv; got != sha256.Sum256(msgA) {
			t.Errorf("%s a→b: digest differs", tt.dial)
		}
		c.Close()
		l.Close()
	}
}

func TestDialErrors(t *testing.T) {
	_, cs := busPair(t)
	l, err := cs[1].Listen("tcp4", "10.9.0.2:90")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tests := []struct {
		what string
		err  error
		want syscall.Errno
	}{
		{"refused", func() error { _, err := cs[0].Dial("tcp", "10.9.0.2:91"); return err }(), syscall.ECONNREFUSED},
		{"in use", func() error { _, err := cs[1].Listen("tcp4", "10.9.0.2:90"); return err }(), syscall.EADDRINUSE},
		{"unreachable", func() error { _, err := cs[0].Dial("tcp", "192.0.2.1:80"); return err }(), syscall.ENETUNREACH},
		{"name", func() error { _, err := cs[0].Dial("tcp", "example.org:80"); return err }(), syscall.EINVAL},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.what, tt.err, tt.want)
		}
	}
}

func TestUDP(t *testing.T) {
	_, cs := busPair(t)
	pb, err := cs[1].ListenPacket("udp", ":53")
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	pa, err := cs[0].ListenPacket("udp4", "10.9.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pa.Close()
	pa.WriteTo([]byte("query"), &net.UDPAddr{IP: net.IPv4(10, 9, 0, 2), Port: 53})
	buf := make([]byte, 100)
	pb.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, from, err := pb.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "query" {
		t.Fatalf("b ReadFrom: got %q, %v", buf[:n], err)
	}
	if got, want := from.(*net.UDPAddr).AddrPort().Addr().Unmap(), pa.LocalAddr().(*net.UDPAddr).AddrPort().Addr(); got != want {
		t.Errorf("source: got %v, want %v", got, want)
	}
	pb.WriteTo([]byte("answer"), from)
	pa.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, from, err = pa.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "answer" || from.String() != "10.9.0.2:53" {
		t.Errorf("a ReadFrom: got %q from %v, %v", buf[:n], from, err)
	}
	// Connected, over IPv6.
	c, err := cs[0].Dial("udp6", "[fd00::2]:53")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("v6"))
	n, from, err = pb.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "v6" {
		t.Fatalf("b ReadFrom v6: got %q, %v", buf[:n], err)
	}
	pb.WriteTo([]byte("v6 answer"), from)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err = c.Read(buf)
	if err != nil || string(buf[:n]) != "v6 answer" {
		t.Errorf("connected read: got %q, %v", buf[:n], err)
	}
}

func TestSessionEndClosesSockets(t *testing.T) {
	ks, cs := busPair(t)
	s, err := cs[0].OpenSockets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"10.9.0.1:1000", "10.9.0.1:1001"} {
		id, f, err := s.Socket(4, api.SockStream)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := s.Bind(id, mustAddrPort(a)); err != nil {
			t.Fatal(err)
		}
		if err := s.Listen(id, 4); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(ks[0].Sockets()); got != 2 {
		t.Fatalf("sockets while the session runs: got %d, want 2", got)
	}
	s.Close()
	deadline := time.Now().Add(10 * time.Second)
	for len(ks[0].Sockets()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after the session ended: %+v", ks[0].Sockets())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, _, err := s.Socket(4, api.SockStream); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("socket on a closed session: got %v, want EPIPE", err)
	}
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// waitUsable polls until no IPv6 address of shmif0 is tentative.
func waitUsable(t *testing.T, k *rump.Kernel) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, _ := k.Interface("shmif0")
		tentative := false
		for _, a := range v.Inet6 {
			tentative = tentative || a.Flags&api.IN6_IFF_TENTATIVE != 0
		}
		if !tentative {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("addresses still tentative: %+v", v.Inet6)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSessionByteOptionsAndInterfaces goes through the protocol's byte
// options (TCP_CONGESTION, TCP_INFO) and interface name ops.
func TestSessionByteOptionsAndInterfaces(t *testing.T) {
	_, cs := busPair(t)
	s, err := cs[0].OpenSockets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id, f, err := s.Socket(6, api.SockStream)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const ipprotoTCP, tcpInfo, tcpCongestion = 6, 11, 13
	if err := s.SetOptBytes(id, ipprotoTCP, tcpCongestion, []byte("reno")); err != nil {
		t.Errorf("set TCP_CONGESTION reno: %v", err)
	}
	if b, err := s.GetOptBytes(id, ipprotoTCP, tcpCongestion); err != nil || strings.TrimRight(string(b), "\x00") != "reno" {
		t.Errorf("get TCP_CONGESTION: got %q, %v, want reno", b, err)
	}
	if err := s.SetOptBytes(id, ipprotoTCP, tcpCongestion, []byte("nosuch")); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("set TCP_CONGESTION nosuch: got %v, want ENOENT", err)
	}
	if b, err := s.GetOptBytes(id, ipprotoTCP, tcpInfo); err != nil || len(b) == 0 || b[0] != 7 {
		t.Errorf("TCP_INFO of an unconnected socket: got %d bytes, %v, want tcpi_state 7 (CLOSE)", len(b), err)
	}
	for _, tt := range []struct {
		index int
		name  string
		err   error
	}{
		{1, "lo0", nil},
		{2, "shmif0", nil},
		{99, "nosuch0", syscall.ENODEV},
	} {
		name, err := s.IfName(tt.index)
		if (tt.err == nil && (err != nil || name != tt.name)) || (tt.err != nil && !errors.Is(err, tt.err)) {
			t.Errorf("IfName(%d): got %q, %v, want %q, %v", tt.index, name, err, tt.name, tt.err)
		}
		index, err := s.IfIndex(tt.name)
		if (tt.err == nil && (err != nil || index != tt.index)) || (tt.err != nil && !errors.Is(err, tt.err)) {
			t.Errorf("IfIndex(%q): got %d, %v, want %d, %v", tt.name, index, err, tt.index, tt.err)
		}
	}
}
