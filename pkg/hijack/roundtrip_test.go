package hijack

// The calls the supervisor answers without a round trip to the session
// (doc/design.md, "rumphijack's connection rate"): names of a connected
// stream, options sure to be accepted, and a non-blocking accept with
// nothing queued.

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestAnsweredWithoutRoundTrip(t *testing.T) {
	need(t, "python3")
	l := upperEcho(t)
	port := l.Addr().(*net.TCPAddr).Port
	prog := fmt.Sprintf(`
import socket, select, errno
s = socket.create_connection(("127.0.0.1", %d))
print("peer", s.getpeername() == ("127.0.0.1", %d))
print("name", s.getsockname()[0])
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 15)
print("nodelay", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0)
try:
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 0)
    print("keepidle 0 accepted")
except OSError as e:
    print("keepidle 0", errno.errorcode[e.errno])
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4); l.setblocking(False)
for i in range(3):
    try:
        l.accept()
        print("accept: got one")
    except BlockingIOError:
        print("accept EAGAIN")
c = socket.create_connection(l.getsockname())
select.select([l], [], [], 30)
a, _ = l.accept()
print("accepted", a.getsockname() == c.getpeername(), a.getpeername() == c.getsockname())
for x in (s, l, c, a):
    x.close()
`, port, port)
	out, fake := run(t, "python3", "-c", prog)
	want := "peer True\nname 127.0.0.1\nnodelay True\nkeepidle 0 EINVAL\n" +
		strings.Repeat("accept EAGAIN\n", 3) + "accepted True True\n"
	if out != want {
		t.Errorf("got output\n%s\nwant\n%s", out, want)
	}
	for _, tt := range []struct {
		op   string
		want int
	}{
		{"SockName", 1},     // the listener's, which is not connected
		{"PeerName", 0},     // every peer asked was known
		{"SetOptNoWait", 3}, // the three options sure to be accepted
		{"SetOpt", 1},       // TCP_KEEPIDLE 0, whose EINVAL the program waits for
		{"Accept", 1},       // the three EAGAINs made no request
	} {
		if got := fake.count(tt.op); got != tt.want {
			t.Errorf("%s requests: got %d, want %d", tt.op, got, tt.want)
		}
	}
}

func TestSureOption(t *testing.T) {
	stream, dgram := &sock{typ: 1}, &sock{typ: 2}
	for _, tt := range []struct {
		name              string
		k                 *sock
		level, opt, value int
		want              bool
	}{
		{"TCP_NODELAY", stream, 6, 1, 1, true},
		{"SO_KEEPALIVE", stream, 1, 9, 1, true},
		{"TCP_KEEPIDLE 15", stream, 6, 4, 15, true},
		{"TCP_KEEPIDLE 0", stream, 6, 4, 0, false},
		{"TCP_KEEPINTVL 32768", stream, 6, 5, 32768, false},
		{"TCP_KEEPCNT 9", stream, 6, 6, 9, true},
		{"TCP_KEEPCNT 128", stream, 6, 6, 128, false},
		{"SO_KEEPALIVE on UDP", dgram, 1, 9, 1, false},
		{"SO_RCVBUF", stream, 1, 8, 4096, false},
	} {
		if got := sureOption(tt.k, tt.level, tt.opt, tt.value); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestSocketWithoutWaiting: the first socket of a family and type waits
// for the session's answer, the next are made without waiting, work as
// the first, and one whose making failed reports that failure on its
// later calls.
func TestSocketWithoutWaiting(t *testing.T) {
	need(t, "python3")
	l := upperEcho(t)
	port := l.Addr().(*net.TCPAddr).Port
	prog := fmt.Sprintf(`
import socket, errno
for i in range(3):
    s = socket.create_connection(("127.0.0.1", %d))
    s.sendall(b"hello %%d\n" %% i)
    print(s.makefile().readline(), end="")
    s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.close()
for i in range(2):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        s.bind(("::1", 0))
        print("bind6 ok")
    except OSError as e:
        print("bind6", errno.errorcode[e.errno])
    s.close()
`, port)
	fake := newFake()
	fake.noWait6Fails = true
	h := startWith(t, fake, "python3", "-c", prog)
	if err := h.wait(t); err != nil {
		t.Fatalf("python3: %v; output:\n%s", err, h.out.String())
	}
	want := "HELLO 0\nHELLO 1\nHELLO 2\nbind6 ok\nbind6 EMFILE\n"
	if got := h.out.String(); got != want {
		t.Errorf("got output\n%s\nwant\n%s", got, want)
	}
	for _, tt := range []struct {
		op   string
		want int
	}{
		{"Socket", 3},       // the first TCP, UDP and TCP over IPv6
		{"SocketNoWait", 3}, // the second and third TCP, the second IPv6
		{"Bind", 1},         // the failed socket's bind was not asked
	} {
		if got := fake.count(tt.op); got != tt.want {
			t.Errorf("%s requests: got %d, want %d", tt.op, got, tt.want)
		}
	}
}
