package rump

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

func newSet(t testing.TB, k *Kernel) *SocketSet {
	ss := k.NewSocketSet(api.MaxSessionSockets)
	t.Cleanup(ss.Close)
	return ss
}

func mustSocket(t testing.TB, ss *SocketSet, family int, typ string) (int, *os.File) {
	t.Helper()
	id, f, err := ss.Socket(family, typ)
	if err != nil {
		t.Fatalf("socket(%d, %s): %v", family, typ, err)
	}
	t.Cleanup(func() { f.Close() })
	return id, f
}

func fileConn(t testing.TB, f *os.File) net.Conn {
	t.Helper()
	c, err := net.FileConn(f)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	t.Cleanup(func() { c.Close() })
	return c
}

// listenOn makes a listening stream socket on ss at addr.
func listenOn(t testing.TB, ss *SocketSet, family int, addr string) (int, netip.AddrPort) {
	t.Helper()
	id, _ := mustSocket(t, ss, family, api.SockStream)
	bound, err := ss.Bind(id, netip.MustParseAddrPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.Listen(id, 8); err != nil {
		t.Fatal(err)
	}
	return id, bound
}

func TestSocketTCPBothWays(t *testing.T) {
	ks := busKernels(t, 2)
	for _, tt := range []struct {
		family int
		listen string
		dst    string
	}{
		{4, "0.0.0.0:5001", "10.9.0.2:5001"},
		{6, "[::]:5002", "[fd00::2]:5002"},
	} {
		sa, sb := newSet(t, ks[0]), newSet(t, ks[1])
		lid, _ := listenOn(t, sb, tt.family, tt.listen)
		cid, cf := mustSocket(t, sa, tt.family, api.SockStream)
		local, err := sa.Connect(context.Background(), cid, netip.MustParseAddrPort(tt.dst))
		if err != nil {
			t.Fatalf("connect %s: %v", tt.dst, err)
		}
		aid, af, peer, err := sb.Accept(context.Background(), lid, true)
		if err != nil {
			t.Fatal(err)
		}
		if peer != local {
			t.Errorf("accept peer: got %v, want %v", peer, local)
		}
		if got, _ := sb.PeerName(aid); got != local {
			t.Errorf("getpeername: got %v, want %v", got, local)
		}
		c, a := fileConn(t, cf), fileConn(t, af)
		// Both ways at once, each direction half-closed when done.
		msgA := bytes.Repeat([]byte("from a "), 600_000)
		msgB := bytes.Repeat([]byte("from b!"), 500_000)
		gotB := make(chan [32]byte, 1)
		go func() {
			b, _ := io.ReadAll(c)
			gotB <- sha256.Sum256(b)
		}()
		go func() {
			a.Write(msgB)
			a.(*net.UnixConn).CloseWrite()
		}()
		c.Write(msgA)
		c.(*net.UnixConn).CloseWrite()
		b, _ := io.ReadAll(a)
		if sha256.Sum256(b) != sha256.Sum256(msgA) {
			t.Errorf("family %d a→b: got %d bytes, want %d, or they differ", tt.family, len(b), len(msgA))
		}
		if got := <-gotB; got != sha256.Sum256(msgB) {
			t.Errorf("family %d b→a: digests differ", tt.family)
		}
	}
}

func TestSocketErrors(t *testing.T) {
	ks := busKernels(t, 2)
	sa, sb := newSet(t, ks[0]), newSet(t, ks[1])
	_, bound := listenOn(t, sb, 4, "10.9.0.2:6000")
	id, _ := mustSocket(t, sb, 4, api.SockStream)
	_, err := sb.Bind(id, bound)
	wantErrno(t, err, syscall.EADDRINUSE)
	id, _ = mustSocket(t, sa, 4, api.SockStream)
	_, err = sa.Connect(context.Background(), id, netip.MustParseAddrPort("10.9.0.2:6001"))
	wantErrno(t, err, syscall.ECONNREFUSED)
	id, _ = mustSocket(t, sa, 4, api.SockStream)
	_, err = sa.Connect(context.Background(), id, netip.MustParseAddrPort("192.0.2.1:80"))
	wantErrno(t, err, syscall.ENETUNREACH)
	id, _ = mustSocket(t, sa, 4, api.SockStream)
	_, err = sa.Bind(id, netip.MustParseAddrPort("10.9.0.7:0"))
	wantErrno(t, err, syscall.EADDRNOTAVAIL)
	_, err = sa.Bind(id, netip.MustParseAddrPort("[fd00::1]:0"))
	wantErrno(t, err, syscall.EAFNOSUPPORT)
	_, err = sa.PeerName(id)
	wantErrno(t, err, syscall.ENOTCONN)
	_, _, _, err = sa.Accept(context.Background(), id, false)
	wantErrno(t, err, syscall.EINVAL)
	wantErrno(t, sa.SetOpt(id, 1, 12345, 1), syscall.ENOPROTOOPT)
	wantErrno(t, sa.CloseSocket(999), syscall.EBADF)
}

func TestSocketOptions(t *testing.T) {
	k := newKernel(t, Options{})
	ss := newSet(t, k)
	id, _ := mustSocket(t, ss, 6, api.SockStream)
	for _, tt := range []struct{ level, name, value int }{
		{1, 2, 1},   // SO_REUSEADDR
		{1, 9, 1},   // SO_KEEPALIVE
		{6, 1, 1},   // TCP_NODELAY
		{41, 26, 1}, // IPV6_V6ONLY
		{6, 1, 0},
	} {
		if err := ss.SetOpt(id, tt.level, tt.name, tt.value); err != nil {
			t.Fatalf("set %d/%d: %v", tt.level, tt.name, err)
		}
		if got, err := ss.GetOpt(id, tt.level, tt.name); err != nil || got != tt.value {
			t.Errorf("get %d/%d: got %d, %v, want %d", tt.level, tt.name, got, err, tt.value)
		}
	}
	if got, _ := ss.GetOpt(id, 1, 3); got != 1 { // SO_TYPE
		t.Errorf("SO_TYPE: got %d, want 1", got)
	}
}

// TestSocketOptionsIP checks the IP and TCP options programs such as
// ping -6, dig and dnsmasq set: the stack's own, and those that ask for
// control messages, which are remembered (packet info is the endpoint's).
func TestSocketOptionsIP(t *testing.T) {
	k := newKernel(t, Options{})
	ss := newSet(t, k)
	tcp6, _ := mustSocket(t, ss, 6, api.SockStream)
	udp4, _ := mustSocket(t, ss, 4, api.SockDgram)
	icmp6, _ := mustSocket(t, ss, 6, api.SockICMP)
	for _, tt := range []struct {
		name                  string
		id, level, opt, value int
		want                  int
	}{
		{"IP_TTL", udp4, 0, 2, 7, 7},
		{"IP_TTL default", udp4, 0, 2, -1, 64},
		{"IP_TOS", udp4, 0, 1, 0x10, 0x10},
		{"IP_RECVERR", udp4, 0, 11, 1, 1},
		{"IP_RECVTTL", udp4, 0, 12, 5, 1},
		{"IP_PKTINFO", udp4, 0, 8, 1, 1},
		{"IP_MTU_DISCOVER", udp4, 0, 10, 2, 2},
		{"IPV6_UNICAST_HOPS", icmp6, 41, 16, 9, 9},
		{"IPV6_UNICAST_HOPS default", icmp6, 41, 16, -1, 64},
		{"IPV6_RECVERR", icmp6, 41, 25, 1, 1},
		{"IPV6_RECVHOPLIMIT", icmp6, 41, 51, 1, 1},
		{"IPV6_RECVPKTINFO", icmp6, 41, 49, 1, 1},
		{"IPV6_RECVPKTINFO off", icmp6, 41, 49, 0, 0},
		{"TCP_USER_TIMEOUT", tcp6, 6, 18, 5000, 5000},
		{"TCP_KEEPIDLE", tcp6, 6, 4, 30, 30},
		{"TCP_KEEPINTVL", tcp6, 6, 5, 10, 10},
		{"TCP_KEEPCNT", tcp6, 6, 6, 4, 4},
	} {
		if err := ss.SetOpt(tt.id, tt.level, tt.opt, tt.value); err != nil {
			t.Errorf("%s: set %d: got %v, want success", tt.name, tt.value, err)
			continue
		}
		if got, err := ss.GetOpt(tt.id, tt.level, tt.opt); err != nil || got != tt.want {
			t.Errorf("%s: get: got %d, %v, want %d", tt.name, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		name                  string
		id, level, opt, value int
		want                  syscall.Errno
	}{
		{"IPV6_RECVERR on IPv4", udp4, 41, 25, 1, syscall.ENOPROTOOPT},
		{"TCP_USER_TIMEOUT on UDP", udp4, 6, 18, 1, syscall.ENOPROTOOPT},
		{"IP_TTL 256", udp4, 0, 2, 256, syscall.EINVAL},
		{"TCP_KEEPIDLE 0", tcp6, 6, 4, 0, syscall.EINVAL},
	} {
		if err := ss.SetOpt(tt.id, tt.level, tt.opt, tt.value); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestSocketUDP(t *testing.T) {
	ks := busKernels(t, 2)
	sa, sb := newSet(t, ks[0]), newSet(t, ks[1])
	bid, bf := mustSocket(t, sb, 6, api.SockDgram)
	if _, err := sb.Bind(bid, netip.MustParseAddrPort("[::]:7000")); err != nil {
		t.Fatal(err)
	}
	aid, af := mustSocket(t, sa, 4, api.SockDgram)
	b, a := fileConn(t, bf), fileConn(t, af)
	// Unconnected a → b's dual-stack socket, header names the destination.
	out := append([]byte{4, 0x1b, 0x58, 10, 9, 0, 2}, "hello"...)
	if _, err := a.Write(out); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := b.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	local, _ := sa.SockName(aid)
	want := append([]byte{6, 0, 0}, netip.AddrFrom16(netip.MustParseAddr("10.9.0.1").As16()).AsSlice()...)
	binary.BigEndian.PutUint16(want[1:3], local.Port())
	want = append(want, "hello"...)
	if !bytes.Equal(buf[:n], want) {
		t.Errorf("b read: got %x, want %x", buf[:n], want)
	}
	// b answers to the source, with the header as it came.
	copy(buf[n-5:], "olleh")
	b.Write(buf[:n])
	a.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err = a.Read(buf)
	if err != nil || string(buf[n-5:n]) != "olleh" || buf[0] != 4 {
		t.Errorf("a read: got %x, %v", buf[:n], err)
	}
	// Connected: bare payload.
	if _, err := sa.Connect(context.Background(), aid, netip.MustParseAddrPort("10.9.0.2:7000")); err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("bare"))
	n, _ = b.Read(buf)
	if string(buf[n-4:n]) != "bare" || buf[0] != 6 {
		t.Errorf("connected send: got %x", buf[:n])
	}
}

func TestSocketICMPEcho(t *testing.T) {
	ks := busKernels(t, 2)
	sa := newSet(t, ks[0])
	for _, tt := range []struct {
		family int
		dst    string
		typ    byte
		reply  byte
	}{{4, "10.9.0.2:0", 8, 0}, {6, "[fd00::2]:0", 128, 129}} {
		id, f := mustSocket(t, sa, tt.family, api.SockICMP)
		if _, err := sa.Connect(context.Background(), id, netip.MustParseAddrPort(tt.dst)); err != nil {
			t.Fatal(err)
		}
		c := fileConn(t, f)
		req := append([]byte{tt.typ, 0, 0, 0, 0, 0, 0, 1}, "ping data"...)
		c.Write(req)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 200)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("family %d: %v", tt.family, err)
		}
		if buf[0] != tt.reply || string(buf[8:n]) != "ping data" {
			t.Errorf("family %d: got reply %x", tt.family, buf[:n])
		}
	}
}

func TestSocketSetCloseEndsEverything(t *testing.T) {
	ks := busKernels(t, 2)
	sa, sb := ks[0].NewSocketSet(10), newSet(t, ks[1])
	lid, _ := listenOn(t, sb, 4, "0.0.0.0:8000")
	var files []*os.File
	for i := 0; i < 10; i++ {
		id, f, err := sa.Socket(4, api.SockStream)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		if _, err := sa.Connect(context.Background(), id, netip.MustParseAddrPort("10.9.0.2:8000")); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := sa.Socket(4, api.SockStream); !isErrno(err, syscall.EMFILE) {
		t.Errorf("socket 11 of 10: got %v, want EMFILE", err)
	}
	for i := 0; i < 10; i++ {
		_, f, _, err := sb.Accept(context.Background(), lid, true)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
	}
	sa.Close()
	for _, f := range files {
		f.Close()
	}
	for _, s := range ks[0].Sockets() {
		if s.Proto == "tcp" && s.State == "ESTABLISHED" {
			t.Errorf("after the set closed: %+v", s)
		}
	}
}

func isErrno(err error, e syscall.Errno) bool { return err != nil && api.ErrnoOf(err) == e }

// TestSocketNoLeaks opens and closes 1,000 connections and counts
// goroutines and descriptors.
func TestSocketNoLeaks(t *testing.T) {
	k := newKernel(t, Options{})
	sa, sb := newSet(t, k), newSet(t, k)
	lid, bound := listenOn(t, sb, 4, "127.0.0.1:0")
	count := func() (int, int) {
		ents, _ := os.ReadDir("/proc/self/fd")
		return runtime.NumGoroutine(), len(ents)
	}
	round := func() {
		id, f, err := sa.Socket(4, api.SockStream)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sa.Connect(context.Background(), id, bound); err != nil {
			t.Fatal(err)
		}
		_, af, _, err := sb.Accept(context.Background(), lid, true)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("x"))
		f.Close()
		af.Close()
	}
	round() // pools and the listener's goroutines
	g0, fd0 := count()
	for i := 0; i < 1000; i++ {
		round()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		g, fd := count()
		if g <= g0+2 && fd <= fd0+2 && sa.Len() == 0 && sb.Len() == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 1000 connections: %d goroutines (before %d), %d fds (before %d), %d+%d sockets",
				g, g0, fd, fd0, sa.Len(), sb.Len())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSocketConnectUnframesQueued: datagrams queued on the program's end
// before a datagram socket is connected are read bare after it, in order,
// ahead of later ones.
func TestSocketConnectUnframesQueued(t *testing.T) {
	ks := busKernels(t, 2)
	sa, sb := newSet(t, ks[0]), newSet(t, ks[1])
	bid, bf := mustSocket(t, sb, 4, api.SockDgram)
	if _, err := sb.Bind(bid, netip.MustParseAddrPort("10.9.0.2:7000")); err != nil {
		t.Fatal(err)
	}
	aid, af := mustSocket(t, sa, 4, api.SockDgram)
	if _, err := sa.Bind(aid, netip.MustParseAddrPort("10.9.0.1:7001")); err != nil {
		t.Fatal(err)
	}
	b := fileConn(t, bf)
	// A first datagram, read and dropped, resolves a's link address on b:
	// datagrams sent while resolution is pending may be sent out of order
	// once it completes, and this test is about order on the pair.
	b.Write(append([]byte{4, 0x1b, 0x59, 10, 9, 0, 1}, "zero"...))
	pfd := []unix.PollFd{{Fd: int32(af.Fd()), Events: unix.POLLIN}}
	if n, err := unix.Poll(pfd, 10000); n != 1 || err != nil {
		t.Fatalf("first datagram on a's end: poll %d, %v", n, err)
	}
	if n, err := unix.Read(int(af.Fd()), make([]byte, 100)); n != 7+4 || err != nil {
		t.Fatalf("first datagram on a's end: got %d bytes, %v; want 11", n, err)
	}
	for _, m := range []string{"one", "two"} {
		b.Write(append([]byte{4, 0x1b, 0x59, 10, 9, 0, 1}, m...))
	}
	// Wait until both are queued on a's end.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := unix.IoctlGetInt(int(af.Fd()), unix.SIOCINQ)
		if err != nil {
			t.Fatal(err)
		}
		if n >= 2*(7+3) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queued on a's end: got %d bytes, want 20", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := sa.ConnectEnd(context.Background(), aid, netip.MustParseAddrPort("10.9.0.2:7000"), af); err != nil {
		t.Fatal(err)
	}
	b.Write(append([]byte{4, 0x1b, 0x59, 10, 9, 0, 1}, "three"...))
	a := fileConn(t, af)
	a.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 100)
	for _, want := range []string{"one", "two", "three"} {
		n, err := a.Read(buf)
		if err != nil || string(buf[:n]) != want {
			t.Errorf("a read: got %q, %v, want %q", buf[:n], err, want)
		}
	}
}
