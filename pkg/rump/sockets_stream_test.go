package rump

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
)

// TestStreamPayload reads a pair's queued bytes the way the endpoint does
// (buffer.View.ReadFrom probes with an empty read first), in pieces.
func TestStreamPayload(t *testing.T) {
	tests := []struct {
		name  string
		queue int // bytes the program wrote
		count int // bytes counted before the read
	}{
		{"small", 64, 64},
		{"chunks", 3*buffer.MaxChunkSize + 17, 3*buffer.MaxChunkSize + 17},
		{"counted less", 1000, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[0])
			defer unix.Close(fds[1])
			unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
			unix.SetNonblock(fds[0], true)
			want := make([]byte, tt.queue)
			for i := range want {
				want[i] = byte(i * 7)
			}
			for off := 0; off < len(want); {
				n, err := unix.Write(fds[1], want[off:])
				if err != nil {
					t.Fatal(err)
				}
				off += n
			}
			p := &streamPayload{fd: fds[0], n: tt.count}
			var b buffer.Buffer
			defer b.Release()
			if _, err := b.WriteFromReaderAndLimitedReader(p, int64(p.Len()), nil); err != nil {
				t.Fatal(err)
			}
			if got := b.Flatten(); !bytes.Equal(got, want[:tt.count]) {
				t.Errorf("got %d bytes (equal %v), want the first %d written", len(got), bytes.Equal(got, want[:len(got)]), tt.count)
			}
			if n, err := p.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Errorf("read past the count: got %d, %v, want 0, EOF", n, err)
			}
		})
	}
}

// TestPairWriter writes pieces the way the endpoint's read does, to a pair
// with a tiny buffer: a piece the pair takes only in part is offered again
// from where it stopped (gVisor keeps what the writer did not take), and
// the program must read every byte once, in order.
func TestPairWriter(t *testing.T) {
	tests := []struct {
		name   string
		pieces []int
	}{
		{"small pieces held", []int{100, 200, 50}},
		{"headers' chunk then body", []int{190, 65346, 190, 65346}},
		{"large pieces", []int{65536, 65536, 65536}},
		{"held bytes fill", []int{3000, 3000, 3000, 3000, 10}},
		{"many small", slices.Repeat([]int{300}, 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[0])
			defer unix.Close(fds[1])
			unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 1)
			unix.SetNonblock(fds[0], true)
			unix.SetNonblock(fds[1], true)
			var want, got []byte
			drain := func() {
				buf := make([]byte, 1000)
				if n, err := unix.Read(fds[1], buf); err == nil && n > 0 {
					got = append(got, buf[:n]...)
				}
			}
			w := &pairWriter{fd: fds[0]}
			defer w.release()
			fulls := 0
			for i, size := range tt.pieces {
				p := make([]byte, size)
				for j := range p {
					p[j] = byte(len(want) + j*13 + i)
				}
				want = append(want, p...)
				for off := 0; off < len(p); {
					n, err := w.Write(p[off:])
					if err == nil && n != len(p[off:]) {
						t.Fatalf("piece %d: got %d of %d without an error, want all", i, n, len(p[off:]))
					}
					off += n
					if err == errPairFull {
						fulls++
						drain()
					} else if err != nil {
						t.Fatal(err)
					}
				}
			}
			for !w.flush() {
				drain()
			}
			for len(got) < len(want) {
				n := len(got)
				drain()
				if len(got) == n {
					break
				}
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got %d bytes (same prefix: %v), want %d", len(got), bytes.Equal(got, want[:min(len(got), len(want))]), len(want))
			}
			t.Logf("the pair was full %d times", fulls)
		})
	}
}

// TestSocketStreamPairFull sends more than the pair holds to a program
// that reads only once the pair is well filled, and then in odd sizes: the
// endpoint's reads into the pair stop short again and again, and every
// byte must arrive once, in order.
func TestSocketStreamPairFull(t *testing.T) {
	ks := busKernels(t, 2)
	sa, sb := newSet(t, ks[0]), newSet(t, ks[1])
	lid, _ := listenOn(t, sb, 4, "0.0.0.0:5201")
	cid, cf := mustSocket(t, sa, 4, api.SockStream)
	if _, err := sa.Connect(context.Background(), cid, netip.MustParseAddrPort("10.9.0.2:5201")); err != nil {
		t.Fatal(err)
	}
	_, af, _, err := sb.Accept(context.Background(), lid, true)
	if err != nil {
		t.Fatal(err)
	}
	c, a := fileConn(t, cf), fileConn(t, af)
	msg := make([]byte, 3*pairBufferSize)
	for i := range msg {
		msg[i] = byte(i*7 + i>>16)
	}
	go func() {
		c.Write(msg)
		c.(*net.UnixConn).CloseWrite()
	}()
	deadline := time.Now().Add(30 * time.Second)
	for queued(t, a) < pairBufferSize/2 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	a.SetDeadline(deadline)
	var got []byte
	buf := make([]byte, 4093)
	for {
		n, err := a.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if !bytes.Equal(got, msg) {
		t.Errorf("got %d bytes (same prefix: %v), want %d", len(got), bytes.Equal(got, msg[:min(len(got), len(msg))]), len(msg))
	}
}

// queued is the bytes waiting to be read on the program's end c.
func queued(t *testing.T, c net.Conn) int {
	t.Helper()
	raw, err := c.(*net.UnixConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	raw.Control(func(fd uintptr) { n, err = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
	if err != nil {
		t.Fatal(err)
	}
	return n
}
