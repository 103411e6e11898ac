package rump

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// TestSocketShortConnections makes many short connections one after
// another, as a request-answer client does: the client connects, writes a
// request and reads the answer; the server reads the request, writes it
// back and closes at once. Every byte must arrive both ways.
func TestSocketShortConnections(t *testing.T) {
	ks := busKernels(t, 2)
	sa, sb := newSet(t, ks[0]), newSet(t, ks[1])
	lid, _ := listenOn(t, sb, 4, "0.0.0.0:5101")
	const rounds = 200
	errs := make(chan string, 2*rounds)
	go func() {
		for i := 0; i < rounds; i++ {
			_, af, _, err := sb.Accept(context.Background(), lid, true)
			if err != nil {
				errs <- "accept: " + err.Error()
				return
			}
			go func() {
				a := fileConn(t, af)
				a.SetDeadline(time.Now().Add(20 * time.Second))
				buf := make([]byte, 64)
				if _, err := io.ReadFull(a, buf); err != nil {
					errs <- "server read: " + err.Error()
					a.Close()
					return
				}
				a.Write(buf)
				a.Close()
			}()
		}
	}()
	for i := 0; i < rounds; i++ {
		cid, cf, err := sa.Socket(4, api.SockStream)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sa.Connect(context.Background(), cid, netip.MustParseAddrPort("10.9.0.2:5101")); err != nil {
			t.Fatalf("round %d: connect: %v", i, err)
		}
		c := fileConn(t, cf)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		msg := bytes.Repeat([]byte{byte(i)}, 64)
		c.Write(msg)
		got, err := io.ReadAll(c)
		c.Close()
		if !bytes.Equal(got, msg) {
			t.Fatalf("round %d: got %d bytes (%v), want %d", i, len(got), err, len(msg))
		}
		select {
		case e := <-errs:
			t.Fatalf("round %d: %s", i, e)
		default:
		}
	}
}

// TestSocketAcceptWhileQueueing accepts without waiting in the moment
// between a connection's byte on the listener's pair and its joining the
// queue: the pair polls readable, so the accept must take the connection,
// not fail with EAGAIN (a program on edge-triggered epoll would never be
// woken again).
func TestSocketAcceptWhileQueueing(t *testing.T) {
	k := newKernel(t, Options{})
	ss := newSet(t, k)
	lid, lf := mustSocket(t, ss, 4, api.SockStream)
	bound, err := ss.Bind(lid, netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.Listen(lid, 8); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var once sync.Once
	testAcceptHook = func() { <-release }
	t.Cleanup(func() { once.Do(func() { close(release) }); testAcceptHook = nil })

	cid, _ := mustSocket(t, ss, 4, api.SockStream)
	go ss.Connect(context.Background(), cid, bound)
	pfd := []unix.PollFd{{Fd: int32(lf.Fd()), Events: unix.POLLIN}}
	if n, _ := unix.Poll(pfd, 20_000); n != 1 {
		t.Fatal("the listener's pair never polled readable")
	}
	type result struct {
		id  int
		err error
	}
	res := make(chan result, 1)
	go func() {
		id, f, _, err := ss.Accept(context.Background(), lid, false)
		if f != nil {
			f.Close()
		}
		res <- result{id, err}
	}()
	var r result
	select {
	case r = <-res:
	case <-time.After(200 * time.Millisecond): // time for it to go wrong
		once.Do(func() { close(release) })
		r = <-res
	}
	if r.err != nil {
		t.Errorf("accept with the byte on the pair: got %v, want a connection", r.err)
	}
}

// TestSocketSetCloseFlushes ends a set right after its program wrote to a
// connected stream and closed it, as when a program writes, exits and so
// ends its session: every byte must still reach the peer, then end of file.
func TestSocketSetCloseFlushes(t *testing.T) {
	ks := busKernels(t, 2)
	sb := newSet(t, ks[1])
	lid, _ := listenOn(t, sb, 4, "0.0.0.0:5102")
	for _, size := range []int{64, 4 << 20} {
		sa := ks[0].NewSocketSet(api.MaxSessionSockets)
		cid, cf, err := sa.Socket(4, api.SockStream)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sa.Connect(context.Background(), cid, netip.MustParseAddrPort("10.9.0.2:5102")); err != nil {
			t.Fatal(err)
		}
		_, af, _, err := sb.Accept(context.Background(), lid, true)
		if err != nil {
			t.Fatal(err)
		}
		a := fileConn(t, af)
		got := make(chan int, 1)
		go func() {
			a.SetDeadline(time.Now().Add(30 * time.Second))
			b, _ := io.ReadAll(a)
			got <- len(b)
		}()
		msg := bytes.Repeat([]byte("x"), size)
		if _, err := cf.Write(msg); err != nil {
			t.Fatal(err)
		}
		cf.Close()
		sa.Close()
		if n := <-got; n != size {
			t.Errorf("%d bytes written before the set closed: got %d, want %d", size, n, size)
		}
	}
}

// TestSocketSetCloseFlushesDatagrams ends a set while a datagram its
// program wrote, before closing its end, is still on the pair (the
// socket's reader has not taken it yet), as when `nc -u -q 0` sends and
// exits at once: the datagram must still be sent.
func TestSocketSetCloseFlushesDatagrams(t *testing.T) {
	k := newKernel(t, Options{})
	sb := newSet(t, k)
	for _, tt := range []struct {
		name      string
		connected bool
	}{
		{"connected", true},
		{"unconnected", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bid, bf := mustSocket(t, sb, 4, api.SockDgram)
			dst, err := sb.Bind(bid, netip.MustParseAddrPort("127.0.0.1:0"))
			if err != nil {
				t.Fatal(err)
			}
			// The sender's reader waits until the set's Close has decided
			// what to close at once.
			release := make(chan struct{})
			var once sync.Once
			hold := func() { <-release }
			let := func() { once.Do(func() { close(release) }) }
			testPairHook.Store(&hold)
			testCloseHook.Store(&let)
			t.Cleanup(func() {
				let()
				testPairHook.Store(nil)
				testCloseHook.Store(nil)
			})
			sa := k.NewSocketSet(api.MaxSessionSockets)
			aid, af, err := sa.Socket(4, api.SockDgram)
			if err != nil {
				t.Fatal(err)
			}
			msg := []byte("over udp\n")
			if tt.connected {
				if _, err := sa.ConnectEnd(context.Background(), aid, dst, af); err != nil {
					t.Fatal(err)
				}
			} else {
				a := dst.Addr().As4()
				hdr := append([]byte{4, byte(dst.Port() >> 8), byte(dst.Port())}, a[:]...)
				msg = append(hdr, msg...)
			}
			if _, err := af.Write(msg); err != nil {
				t.Fatal(err)
			}
			af.Close()
			sa.Close()
			testPairHook.Store(nil)
			testCloseHook.Store(nil)
			pfd := []unix.PollFd{{Fd: int32(bf.Fd()), Events: unix.POLLIN}}
			if n, _ := unix.Poll(pfd, 20_000); n != 1 {
				t.Fatal("got nothing, want the datagram written before the set closed")
			}
			buf := make([]byte, 256)
			n, err := unix.Read(int(bf.Fd()), buf)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, p, ok := parseDgramHeader(buf[:n], 4); !ok || string(p) != "over udp\n" {
				t.Errorf("got %q, want %q with a header", buf[:n], "over udp\n")
			}
		})
	}
}

// TestShutdownSendsQueuedDatagrams shuts a connected datagram socket down
// just after its program wrote a datagram, as `nc -u -q 0` does at the end
// of its input: the shutdown must not overtake the datagram, whether the
// socket's reader has not taken it yet (held) or is waiting on the pair
// (a first datagram went through), and must not wait for that reader.
func TestShutdownSendsQueuedDatagrams(t *testing.T) {
	k := newKernel(t, Options{})
	sb := newSet(t, k)
	for _, tt := range []struct {
		name string
		how  int
		held bool
	}{
		{"write, reader held", unix.SHUT_WR, true},
		{"both, reader held", unix.SHUT_RDWR, true},
		{"write, reader waiting", unix.SHUT_WR, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bid, bf := mustSocket(t, sb, 4, api.SockDgram)
			dst, err := sb.Bind(bid, netip.MustParseAddrPort("127.0.0.1:0"))
			if err != nil {
				t.Fatal(err)
			}
			// The sender's reader waits until the shutdown is done.
			release := make(chan struct{})
			var once sync.Once
			hold := func() { <-release }
			let := func() { once.Do(func() { close(release) }) }
			if tt.held {
				testPairHook.Store(&hold)
			}
			t.Cleanup(func() {
				let()
				testPairHook.Store(nil)
			})
			sa := newSet(t, k)
			aid, af, err := sa.Socket(4, api.SockDgram)
			if err != nil {
				t.Fatal(err)
			}
			defer af.Close()
			if _, err := sa.ConnectEnd(context.Background(), aid, dst, af); err != nil {
				t.Fatal(err)
			}
			if !tt.held {
				if _, err := af.Write([]byte("first\n")); err != nil {
					t.Fatal(err)
				}
				readDatagram(t, bf, "first\n")
			}
			if _, err := af.Write([]byte("over udp\n")); err != nil {
				t.Fatal(err)
			}
			shut := make(chan error, 1)
			go func() { shut <- sa.Shutdown(aid, tt.how) }()
			select {
			case err := <-shut:
				if err != nil {
					t.Fatalf("shutdown: got %v, want nil", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("shutdown: got no answer after 20s, want one")
			}
			let()
			readDatagram(t, bf, "over udp\n")
		})
	}
}

// readDatagram reads one datagram from a receiver's end, waiting up to
// 20 s, and checks its payload.
func readDatagram(t *testing.T, f *os.File, want string) {
	t.Helper()
	pfd := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	if n, _ := unix.Poll(pfd, 20_000); n != 1 {
		t.Fatalf("got nothing, want %q", want)
	}
	buf := make([]byte, 256)
	n, err := unix.Read(int(f.Fd()), buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, p, ok := parseDgramHeader(buf[:n], 4); !ok || string(p) != want {
		t.Errorf("got %q, want %q with a header", buf[:n], want)
	}
}
