package rump

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// smallFamily is an address family and the lo0 address the tests use.
type smallFamily struct {
	name  string
	proto tcpip.NetworkProtocolNumber
	addr  string
}

var smallFamilies = []smallFamily{
	{"inet", ipv4.ProtocolNumber, "127.0.0.1"},
	{"inet6", ipv6.ProtocolNumber, "::1"},
}

// setSmall writes the two small_servers tunables.
func setSmall(t testing.TB, k *Kernel, tcpOn, udpOn int) {
	t.Helper()
	for name, v := range map[string]int{"net.inet.tcp.small_servers": tcpOn, "net.inet.udp.small_servers": udpOn} {
		for _, tu := range Tunables() {
			if tu.Name == name {
				if err := tu.Set(k, v); err != nil {
					t.Fatalf("%s = %d: %v", name, v, err)
				}
			}
		}
	}
}

// smallKernel boots a kernel with both kinds of small servers on.
func smallKernel(t testing.TB) *Kernel {
	t.Helper()
	k := newKernel(t, Options{})
	setSmall(t, k, 1, 1)
	return k
}

func dialSmall(t testing.TB, s *Kernel, addr string, proto tcpip.NetworkProtocolNumber, port uint16) (*gonet.TCPConn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return gonet.DialContextTCP(ctx, s.Stack(), fullAddr(addr, port), proto)
}

func mustDialSmall(t testing.TB, k *Kernel, fam smallFamily, port uint16) *gonet.TCPConn {
	t.Helper()
	c, err := dialSmall(t, k, fam.addr, fam.proto, port)
	if err != nil {
		t.Fatalf("dial %s port %d: %v", fam.addr, port, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// udpQuery sends one datagram from a fresh socket of k and returns the
// answer, or false if none came within wait.
func udpQuery(t *testing.T, k *Kernel, addr string, proto tcpip.NetworkProtocolNumber, port uint16, msg []byte, wait time.Duration) ([]byte, bool) {
	t.Helper()
	raddr := fullAddr(addr, port)
	c, err := gonet.DialUDP(k.Stack(), nil, &raddr, proto)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return udpRoundTrip(t, c, msg, wait)
}

func udpRoundTrip(t *testing.T, c *gonet.UDPConn, msg []byte, wait time.Duration) ([]byte, bool) {
	t.Helper()
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 65536)
	n, err := c.Read(buf)
	if err != nil {
		return nil, false
	}
	return buf[:n], true
}

// chargenAt is byte pos of a chargen stream whose first line is line first,
// computed from RFC 864 rather than from the server's buffer.
func chargenAt(first, pos int) byte {
	row, col := first+pos/74, pos%74
	switch col {
	case 72:
		return '\r'
	case 73:
		return '\n'
	}
	return byte(32 + (row+col)%95)
}

func TestSmallServersTCPEcho(t *testing.T) {
	k := smallKernel(t)
	payload := make([]byte, 6<<20+123)
	rng := rand.NewChaCha8([32]byte{7})
	rng.Read(payload)
	want := sha256.Sum256(payload)
	for _, fam := range smallFamilies {
		t.Run(fam.name, func(t *testing.T) {
			c := mustDialSmall(t, k, fam, 7)
			werr := make(chan error, 1)
			go func() {
				for b := payload; len(b) > 0; { // uneven writes
					n := min(len(b), 100_003)
					if _, err := c.Write(b[:n]); err != nil {
						werr <- err
						return
					}
					b = b[n:]
				}
				werr <- c.CloseWrite()
			}()
			c.SetReadDeadline(time.Now().Add(60 * time.Second))
			h := sha256.New()
			n, err := io.Copy(h, c)
			if err != nil {
				t.Fatalf("read after %d bytes: %v", n, err)
			}
			if err := <-werr; err != nil {
				t.Fatalf("write: %v", err)
			}
			if n != int64(len(payload)) || !bytes.Equal(h.Sum(nil), want[:]) {
				t.Errorf("got %d bytes sha256 %x, want %d bytes %x", n, h.Sum(nil), len(payload), want)
			}
		})
	}
}

func TestSmallServersTCPDiscard(t *testing.T) {
	k := smallKernel(t)
	for _, fam := range smallFamilies {
		t.Run(fam.name, func(t *testing.T) {
			c := mustDialSmall(t, k, fam, 9)
			c.SetDeadline(time.Now().Add(30 * time.Second))
			chunk := bytes.Repeat([]byte("discard "), 8192)
			for range 64 { // 4 MiB
				if _, err := c.Write(chunk); err != nil {
					t.Fatalf("write: %v", err)
				}
			}
			c.CloseWrite()
			// The server reads everything, sends nothing and closes.
			if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
				t.Errorf("got %d bytes, %v; want 0 bytes and EOF", len(b), err)
			}
		})
	}
}

func TestSmallServersTCPChargen(t *testing.T) {
	k := smallKernel(t)
	for _, fam := range smallFamilies {
		t.Run(fam.name, func(t *testing.T) {
			c := mustDialSmall(t, k, fam, 19)
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			// Far more than one server write, in reads of odd sizes, so
			// that line, read and write boundaries all fall everywhere.
			total := 3*chargenChunk + 4321
			buf := make([]byte, 7919)
			for pos := 0; pos < total; {
				n, err := io.ReadFull(c, buf[:min(len(buf), total-pos)])
				if err != nil {
					t.Fatalf("read at %d: %v", pos, err)
				}
				for i, b := range buf[:n] {
					if want := chargenAt(0, pos+i); b != want {
						t.Fatalf("byte %d: got %q, want %q", pos+i, b, want)
					}
				}
				pos += n
			}
		})
	}
}

// checkDaytime parses a daytime answer and checks it is about now.
func checkDaytime(t *testing.T, b []byte) {
	t.Helper()
	line, ok := strings.CutSuffix(string(b), "\r\n")
	if !ok || strings.ContainsAny(line, "\r\n") {
		t.Fatalf("got %q, want one line ending in CR LF", b)
	}
	when, err := time.Parse(time.ANSIC, line)
	if err != nil {
		t.Fatalf("got %q: %v", line, err)
	}
	if d := time.Since(when); d < -time.Minute || d > time.Minute {
		t.Errorf("got %q, %v from now (UTC %s)", line, d, time.Now().UTC().Format(time.ANSIC))
	}
}

func TestSmallServersTCPDaytime(t *testing.T) {
	k := smallKernel(t)
	for _, fam := range smallFamilies {
		t.Run(fam.name, func(t *testing.T) {
			c := mustDialSmall(t, k, fam, 13)
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			b, err := io.ReadAll(c) // the server closes after the line
			if err != nil {
				t.Fatal(err)
			}
			checkDaytime(t, b)
		})
	}
}

func TestSmallServersUDP(t *testing.T) {
	k := smallKernel(t)
	for _, fam := range smallFamilies {
		t.Run(fam.name+"/echo", func(t *testing.T) {
			for _, size := range []int{0, 1, 1400, 9000, 65000} {
				msg := bytes.Repeat([]byte{byte(size)}, size)
				got, ok := udpQuery(t, k, fam.addr, fam.proto, 7, msg, 5*time.Second)
				if !ok || !bytes.Equal(got, msg) {
					t.Errorf("%d bytes: got %d bytes (answered %v), want them back", size, len(got), ok)
				}
			}
		})
		t.Run(fam.name+"/discard", func(t *testing.T) {
			if got, ok := udpQuery(t, k, fam.addr, fam.proto, 9, []byte("x"), 300*time.Millisecond); ok {
				t.Errorf("got %q, want no answer", got)
			}
		})
		t.Run(fam.name+"/daytime", func(t *testing.T) {
			got, ok := udpQuery(t, k, fam.addr, fam.proto, 13, []byte("?"), 5*time.Second)
			if !ok {
				t.Fatal("no answer")
			}
			checkDaytime(t, got)
		})
		t.Run(fam.name+"/chargen", func(t *testing.T) {
			raddr := fullAddr(fam.addr, 19)
			c, err := gonet.DialUDP(k.Stack(), nil, &raddr, fam.proto)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			lengths := map[int]bool{}
			// Answer i starts at line i: each family's server is fresh.
			for i := range 200 {
				got, ok := udpRoundTrip(t, c, []byte("?"), 5*time.Second)
				if !ok {
					t.Fatalf("answer %d: none", i)
				}
				if len(got) > 512 {
					t.Fatalf("answer %d: got %d bytes, want at most 512", i, len(got))
				}
				for j, b := range got {
					if want := chargenAt(i%95, j); b != want {
						t.Fatalf("answer %d byte %d: got %q, want %q", i, j, b, want)
					}
				}
				lengths[len(got)] = true
			}
			if len(lengths) < 10 {
				t.Errorf("got only %d different lengths in 200 answers, want random ones", len(lengths))
			}
		})
	}
}

// wantOff checks that no small server answers, over TCP or UDP.
func wantOff(t *testing.T, k *Kernel) {
	t.Helper()
	for _, fam := range smallFamilies {
		for _, port := range []uint16{7, 9, 13, 19} {
			c, err := dialSmall(t, k, fam.addr, fam.proto, port)
			if err == nil {
				c.Close()
				t.Errorf("tcp %s port %d: connected, want refused", fam.addr, port)
			} else if !strings.Contains(err.Error(), "refused") {
				t.Errorf("tcp %s port %d: got %v, want connection refused", fam.addr, port, err)
			}
		}
		if got, ok := udpQuery(t, k, fam.addr, fam.proto, 7, []byte("x"), 200*time.Millisecond); ok {
			t.Errorf("udp %s port 7: got %q, want no answer", fam.addr, got)
		}
	}
}

func TestSmallServersOnOff(t *testing.T) {
	k := newKernel(t, Options{})
	for _, name := range []string{"net.inet.tcp.small_servers", "net.inet.udp.small_servers"} {
		if got := tunable(t, name).Get(k); got != 0 {
			t.Errorf("%s default: got %d, want 0", name, got)
		}
	}
	wantOff(t, k)
	for range 2 {
		setSmall(t, k, 1, 1)
		setSmall(t, k, 1, 1) // again: no change
		for _, fam := range smallFamilies {
			c := mustDialSmall(t, k, fam, 13)
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if b, _ := io.ReadAll(c); len(b) == 0 {
				t.Errorf("tcp %s daytime: no answer", fam.addr)
			}
			if _, ok := udpQuery(t, k, fam.addr, fam.proto, 7, []byte("x"), 5*time.Second); !ok {
				t.Errorf("udp %s echo: no answer", fam.addr)
			}
		}
		setSmall(t, k, 0, 0)
		wantOff(t, k)
	}
	// One protocol without the other.
	setSmall(t, k, 0, 1)
	if _, err := dialSmall(t, k, "127.0.0.1", ipv4.ProtocolNumber, 7); err == nil {
		t.Errorf("tcp echo answers with only udp small servers on")
	}
	if _, ok := udpQuery(t, k, "127.0.0.1", ipv4.ProtocolNumber, 7, []byte("x"), 5*time.Second); !ok {
		t.Errorf("udp echo: no answer")
	}
}

func TestSmallServersTunables(t *testing.T) {
	k, err := New(Options{OpenTap: newTapSet().openTap})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	for _, name := range []string{"net.inet.tcp.small_servers", "net.inet.udp.small_servers"} {
		tu := tunable(t, name)
		for _, v := range []int{1, 0, 1} {
			if err := tu.Set(k, v); err != nil {
				t.Fatalf("%s = %d: %v", name, v, err)
			}
			if got := tu.Get(k); got != v {
				t.Errorf("%s: got %d, want %d", name, got, v)
			}
		}
		for _, bad := range []int{-1, 2, 7} {
			if err := tu.Set(k, bad); !errors.Is(err, syscall.EINVAL) {
				t.Errorf("%s = %d: got %v, want EINVAL", name, bad, err)
			}
		}
	}
	k.Close()
	for _, name := range []string{"net.inet.tcp.small_servers", "net.inet.udp.small_servers"} {
		tu := tunable(t, name)
		if got := tu.Get(k); got != 0 {
			t.Errorf("%s after Close: got %d, want 0", name, got)
		}
		if err := tu.Set(k, 1); !errors.Is(err, syscall.ENXIO) {
			t.Errorf("%s = 1 after Close: got %v, want ENXIO", name, err)
		}
	}
}

// TestSmallServersPortInUse checks that a taken port fails the write with
// EADDRINUSE and leaves nothing running.
func TestSmallServersPortInUse(t *testing.T) {
	k := newKernel(t, Options{})
	l, err := gonet.ListenTCP(k.Stack(), tcpip.FullAddress{Port: 13}, ipv6.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tu := tunable(t, "net.inet.tcp.small_servers")
	if err := tu.Set(k, 1); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("got %v, want EADDRINUSE", err)
	}
	if got := tu.Get(k); got != 0 {
		t.Errorf("got %d, want 0", got)
	}
	if _, err := dialSmall(t, k, "127.0.0.1", ipv4.ProtocolNumber, 7); err == nil {
		t.Errorf("echo answers after a failed start")
	}
}

func TestSmallServersInetOnly(t *testing.T) {
	k := newKernel(t, Options{Components: []string{"rumpnet_netinet"}})
	setSmall(t, k, 1, 1)
	if got, ok := udpQuery(t, k, "127.0.0.1", ipv4.ProtocolNumber, 7, []byte("v4"), 5*time.Second); !ok || string(got) != "v4" {
		t.Errorf("udp echo: got %q (answered %v), want %q", got, ok, "v4")
	}
	c := mustDialSmall(t, k, smallFamilies[0], 13)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(c)
	checkDaytime(t, b)
}

// TestSmallServersConnectionLimit fills echo with smallMaxConns connections:
// one more is closed at once, and a slot freed is used again.
func TestSmallServersConnectionLimit(t *testing.T) {
	k := smallKernel(t)
	fam := smallFamilies[0]
	roundTrip := func(c *gonet.TCPConn) error {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			return err
		}
		b := make([]byte, 4)
		_, err := io.ReadFull(c, b)
		return err
	}
	var conns []*gonet.TCPConn
	for i := range smallMaxConns {
		c := mustDialSmall(t, k, fam, 7)
		if err := roundTrip(c); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	extra := mustDialSmall(t, k, fam, 7)
	if err := roundTrip(extra); err == nil {
		t.Errorf("connection %d: echoed, want it closed", smallMaxConns+1)
	}
	conns[0].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := mustDialSmall(t, k, fam, 7)
		if roundTrip(c) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no slot free after closing a connection")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGoroutines polls until at most want goroutines run.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("got %d goroutines, want at most %d\n%s", n, want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// busyClients opens a connection to each TCP service and leaves it in use:
// echo and discard with data in flight, chargen being read.
func busyClients(t *testing.T, k *Kernel) []*gonet.TCPConn {
	var conns []*gonet.TCPConn
	for _, fam := range smallFamilies {
		for _, port := range []uint16{7, 9, 19} {
			c := mustDialSmall(t, k, fam, port)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if port == 19 {
				io.ReadFull(c, make([]byte, 100_000))
			} else {
				c.Write(make([]byte, 10_000))
			}
			conns = append(conns, c)
		}
		udpQuery(t, k, fam.addr, fam.proto, 7, []byte("x"), 5*time.Second)
	}
	return conns
}

// serverGoroutines counts the goroutines running small server code.
func serverGoroutines() int { return stackMentions("rump.(*smallServers).") }

// stackMentions counts the occurrences of fn in the stacks of all
// goroutines.
func stackMentions(fn string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), fn)
		}
		buf = make([]byte, 2*len(buf))
	}
}

func TestSmallServersNoLeak(t *testing.T) {
	k := newKernel(t, Options{})
	before := runtime.NumGoroutine()
	for range 5 {
		setSmall(t, k, 1, 1)
		conns := busyClients(t, k)
		// 16 accept loops and UDP readers, and one per connection.
		if n := serverGoroutines(); n < 16 {
			t.Errorf("got %d server goroutines with the servers on, want at least 16", n)
		}
		setSmall(t, k, 0, 0) // returns once every server goroutine is gone
		if n := serverGoroutines(); n != 0 {
			t.Errorf("got %d server goroutines right after turning off, want 0", n)
		}
		for _, c := range conns {
			c.Close()
		}
	}
	waitGoroutines(t, before)
}

// TestSmallServersStopWithClose checks that Kernel.Close stops busy servers
// and leaves no goroutine behind.
func TestSmallServersStopWithClose(t *testing.T) {
	before := runtime.NumGoroutine()
	k, err := New(Options{OpenTap: newTapSet().openTap})
	if err != nil {
		t.Fatal(err)
	}
	setSmall(t, k, 1, 1)
	conns := busyClients(t, k)
	closed := make(chan struct{})
	go func() { k.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	for _, c := range conns {
		c.Close()
	}
	waitGoroutines(t, before)
}

// TestSmallServersBetweenKernels reaches the servers of one kernel from
// another over a wire, and checks what UDP must not answer: broadcasts and
// datagrams from privileged ports.
func TestSmallServersBetweenKernels(t *testing.T) {
	ka, kb := linkedKernels(t)
	setSmall(t, kb, 1, 1)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	for _, fam := range []smallFamily{{"inet", ipv4.ProtocolNumber, "10.0.0.2"}, {"inet6", ipv6.ProtocolNumber, "fc00::2"}} {
		t.Run(fam.name, func(t *testing.T) {
			c := mustDialSmall(t, ka, fam, 7)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			msg := bytes.Repeat([]byte("wire "), 50_000)
			go func() { c.Write(msg); c.CloseWrite() }()
			if got, err := io.ReadAll(c); err != nil || !bytes.Equal(got, msg) {
				t.Errorf("tcp echo: got %d bytes, %v; want %d", len(got), err, len(msg))
			}
			if got, ok := udpQuery(t, ka, fam.addr, fam.proto, 7, []byte("hi"), 5*time.Second); !ok || string(got) != "hi" {
				t.Errorf("udp echo: got %q (answered %v), want %q", got, ok, "hi")
			}
		})
	}
	virt0, err := ka.Interface("virt0")
	if err != nil {
		t.Fatal(err)
	}
	// udpFrom sends to dst port 7 from local port lport of ka, broadcasts
	// allowed, and reports whether kb answered. The socket is not
	// connected, so that an answer from any address is seen.
	udpFrom := func(t *testing.T, lport uint16, dst string) bool {
		t.Helper()
		var wq waiter.Queue
		ep, terr := ka.Stack().NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
		if terr != nil {
			t.Fatal(terr)
		}
		c := gonet.NewUDPConn(&wq, ep)
		defer c.Close()
		ep.SocketOptions().SetBroadcast(true)
		if terr := ep.SocketOptions().SetBindToDevice(int32(virt0.Index)); terr != nil {
			t.Fatal(terr) // 255.255.255.255 has no route: name the interface
		}
		if terr := ep.Bind(tcpip.FullAddress{Port: lport}); terr != nil {
			t.Fatal(terr)
		}
		received := kb.Stack().Stats().UDP.PacketsReceived.Value()
		if _, err := c.WriteTo([]byte("loop?"), &net.UDPAddr{IP: net.ParseIP(dst).To4(), Port: 7}); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, _, err := c.ReadFrom(make([]byte, 100))
		if kb.Stack().Stats().UDP.PacketsReceived.Value() == received {
			t.Errorf("from port %d to %s: the datagram did not reach the server", lport, dst)
		}
		return err == nil
	}
	tests := []struct {
		name   string
		lport  uint16
		dst    string
		answer bool
	}{
		{"unicast", 40000, "10.0.0.2", true},
		{"subnet broadcast", 40001, "10.0.0.255", false},
		{"limited broadcast", 40002, "255.255.255.255", false},
		{"from chargen's port", 19, "10.0.0.2", false},
		{"from port 1023", 1023, "10.0.0.2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := udpFrom(t, tt.lport, tt.dst); got != tt.answer {
				t.Errorf("answered %v, want %v", got, tt.answer)
			}
		})
	}
}

// BenchmarkSmallServersLoopback measures the TCP throughput of one kernel
// talking to itself over lo0: chargen to a client, and a client to discard.
func BenchmarkSmallServersLoopback(b *testing.B) {
	const block = 1 << 20
	for _, fam := range smallFamilies {
		b.Run("chargen/"+fam.name, func(b *testing.B) {
			k := smallKernel(b)
			c := mustDialSmall(b, k, fam, 19)
			buf := make([]byte, block)
			b.SetBytes(block)
			for b.Loop() {
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*block*8/b.Elapsed().Seconds()/1e6, "Mbit/s")
		})
		b.Run("discard/"+fam.name, func(b *testing.B) {
			k := smallKernel(b)
			c := mustDialSmall(b, k, fam, 9)
			buf := make([]byte, block)
			b.SetBytes(block)
			for b.Loop() {
				if _, err := c.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*block*8/b.Elapsed().Seconds()/1e6, "Mbit/s")
		})
	}
}
