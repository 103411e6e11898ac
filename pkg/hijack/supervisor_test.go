package hijack

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit"
)

// hijacked is a program run under the supervisor with a fake backend.
type hijacked struct {
	fake   *fakeBackend
	cmd    *exec.Cmd
	out    *syncBuffer
	done   chan error
	stop   chan struct{}
	supErr chan error
	sup    *Supervisor
	closed chan struct{}
}

// close closes the supervisor once, failing the test if that hangs.
func (h *hijacked) close(t *testing.T) {
	t.Helper()
	if h.closed != nil {
		<-h.closed
		return
	}
	h.closed = make(chan struct{})
	go func() {
		<-h.supErr
		h.sup.Close()
		close(h.closed)
	}()
	select {
	case <-h.closed:
	case <-time.After(60 * time.Second):
		t.Fatalf("the supervisor did not close")
	}
}

// syncBuffer is a bytes.Buffer safe to read while the program writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func requireHost(t *testing.T) {
	t.Helper()
	if err := CheckHost(); err != nil {
		testkit.Skip(t, "host kernel cannot run the supervisor: %v", err)
	}
}

// startHijacked starts argv under a supervisor with a fresh fake backend.
func startHijacked(t *testing.T, argv ...string) *hijacked {
	t.Helper()
	return startWith(t, newFake(), argv...)
}

func startWith(t *testing.T, fake *fakeBackend, argv ...string) *hijacked {
	t.Helper()
	return startLogged(t, fake, nil, argv...)
}

// startLogged is startWith with the supervisor's Logf set to logf.
func startLogged(t *testing.T, fake *fakeBackend, logf func(string, ...any), argv ...string) *hijacked {
	t.Helper()
	requireHost(t)
	h := &hijacked{fake: fake, out: &syncBuffer{}, done: make(chan error, 1),
		stop: make(chan struct{}), supErr: make(chan error, 1)}
	cmd, lfd, err := Start(argv, func(c *exec.Cmd) {
		c.Stdout, c.Stderr = h.out, h.out
	})
	if err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	h.cmd = cmd
	sup := New(lfd, h.fake)
	sup.Logf = logf
	go func() { h.supErr <- sup.Run(h.stop) }()
	go func() { h.done <- cmd.Wait() }()
	h.sup = sup
	t.Cleanup(func() {
		h.cmd.Process.Kill()
		h.wait(t)
		h.close(t)
	})
	return h
}

// wait waits for the program and the supervisor and returns the program's
// error.
func (h *hijacked) wait(t *testing.T) error {
	t.Helper()
	var err error
	select {
	case err = <-h.done:
		h.done <- err
	case <-time.After(60 * time.Second):
		h.cmd.Process.Kill()
		t.Fatalf("program did not exit; output:\n%s", h.out.String())
	}
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	return err
}

// run runs argv to the end and returns its output.
func run(t *testing.T, argv ...string) (string, *fakeBackend) {
	t.Helper()
	h := startHijacked(t, argv...)
	if err := h.wait(t); err != nil {
		t.Fatalf("%v: %v; output:\n%s", argv, err, h.out.String())
	}
	return h.out.String(), h.fake
}

// upperEcho listens on loopback and answers each connection's first line
// upper-cased.
func upperEcho(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
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
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, strings.ToUpper(line))
			}()
		}
	}()
	return l
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			testkit.Skip(t, "no %s in PATH (scripts/setup.sh installs it)", tool)
		}
	}
}

func TestDialThroughSession(t *testing.T) {
	need(t, "bash", "python3", "sh")
	l := upperEcho(t)
	port := l.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name string
		argv []string
	}{
		{"bash /dev/tcp", []string{"bash", "-c", fmt.Sprintf(
			`exec 3<>/dev/tcp/127.0.0.1/%d; echo hello >&3; read -r line <&3; echo "$line"`, port)}},
		{"python blocking", []string{"python3", "-c", fmt.Sprintf(
			`import socket; s=socket.create_connection(("127.0.0.1",%d)); s.sendall(b"hello\n"); print(s.makefile().readline(), end="")`, port)}},
		{"python non-blocking", []string{"python3", "-c", fmt.Sprintf(`
import socket, select, errno
s=socket.socket(); s.setblocking(False)
e=s.connect_ex(("127.0.0.1",%d)); assert e==errno.EINPROGRESS, e
select.select([],[s],[],30)
assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)==0
s.setblocking(True); s.sendall(b"hello\n"); print(s.makefile().readline(), end="")`, port)}},
		{"fork in sh -c", []string{"sh", "-c", fmt.Sprintf(
			`bash -c 'exec 3<>/dev/tcp/127.0.0.1/%d; echo hello >&3; read -r line <&3; echo "$line"'`, port)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, fake := run(t, tt.argv...)
			if got, want := out, "HELLO\n"; got != want {
				t.Errorf("got output %q, want %q", got, want)
			}
			if got := fake.count("Connect"); got != 1 {
				t.Errorf("got %d session connects, want 1", got)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	need(t, "python3")
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	host, port, _ := net.SplitHostPort(addr)
	out, _ := run(t, "python3", "-c", fmt.Sprintf(`
import socket, select, errno
s=socket.socket()
print(errno.errorcode[s.connect_ex((%q,%s))])
s=socket.socket(); s.setblocking(False)
print(errno.errorcode[s.connect_ex((%q,%s))])
select.select([],[s],[],30)
print(errno.errorcode[s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)])`, host, port, host, port))
	if got, want := out, "ECONNREFUSED\nEINPROGRESS\nECONNREFUSED\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPythonServerAndUDP(t *testing.T) {
	need(t, "python3")
	h := startHijacked(t, "python3", "-c", `
import socket, sys
l=socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1",0)); l.listen(5)
u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1",0))
print(l.getsockname()[1], u.getsockname()[1], u.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)==socket.SOCK_DGRAM, flush=True)
c, peer = l.accept()
line = c.makefile().readline()
c.sendall(("%s from %s\n" % (line.strip().upper(), peer[0])).encode()); c.close()
data, src = u.recvfrom(100)
u.sendto(data.upper(), src)
`)
	var tcpPort, udpPort int
	var typeOK string
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := fmt.Sscan(h.out.String(), &tcpPort, &udpPort, &typeOK); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ports printed; output:\n%s", h.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if typeOK != "True" {
		t.Errorf("got SO_TYPE == SOCK_DGRAM %s, want True", typeOK)
	}
	c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", tcpPort))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(c, "hi")
	line, _ := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if got, want := line, "HI from 127.0.0.1\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	u, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", udpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	u.Write([]byte("ping"))
	u.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 100)
	n, err := u.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(buf[:n]), "PING"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := h.wait(t); err != nil {
		t.Errorf("program: %v; output:\n%s", err, h.out.String())
	}
}

// buildGonet builds testdata/gonet as a static binary.
func buildGonet(t *testing.T) string {
	t.Helper()
	need(t, "go")
	bin := filepath.Join(t.TempDir(), "gonet")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/gonet")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build gonet: %v\n%s", err, out)
	}
	return bin
}

func TestStaticGo(t *testing.T) {
	bin := buildGonet(t)
	l := upperEcho(t)
	out, fake := run(t, bin, "dial", l.Addr().String())
	if got, want := out, "HELLO\n"; got != want {
		t.Errorf("dial: got %q, want %q", got, want)
	}
	if fake.count("Connect") == 0 {
		t.Errorf("dial: got no session connect, want one")
	}

	h := startHijacked(t, bin, "listen", "127.0.0.1:0")
	var addr string
	deadline := time.Now().Add(30 * time.Second)
	for addr == "" {
		if s, ok := strings.CutSuffix(h.out.String(), "\n"); ok {
			addr = s
		} else if time.Now().After(deadline) {
			t.Fatalf("no address printed; output:\n%s", h.out.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	fmt.Fprintln(c, "static")
	line, _ := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if got, want := line, "STATIC\n"; got != want {
		t.Errorf("listen: got %q, want %q", got, want)
	}
	if err := h.wait(t); err != nil {
		t.Errorf("listen: %v; output:\n%s", err, h.out.String())
	}
	if h.fake.count("Accept") == 0 {
		t.Errorf("listen: got no session accept, want one")
	}
}

func TestHostSocketsStayOnHost(t *testing.T) {
	need(t, "python3")
	out, fake := run(t, "python3", "-c", `
import socket
a, b = socket.socketpair(); a.sendall(b"unix"); print(b.recv(10).decode())
`)
	if got, want := out, "unix\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := fake.count("Socket"); got != 0 {
		t.Errorf("got %d session sockets, want 0", got)
	}
}

func TestRecvTimeout(t *testing.T) {
	need(t, "python3")
	out, _ := run(t, "python3", "-c", `
import socket, struct, errno
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 100000))
try:
    u.recvfrom(10)
except OSError as e:
    print(errno.errorcode[e.errno])`)
	if got, want := out, "EAGAIN\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCloseWithConnectInBackground(t *testing.T) {
	need(t, "python3")
	fake := newFake()
	fake.blackhole = 1
	h := startWith(t, fake, "python3", "-c", `
import socket, errno
s = socket.socket(); s.setblocking(False)
print(errno.errorcode[s.connect_ex(("127.0.0.1", 1))])`)
	if err := h.wait(t); err != nil {
		t.Fatalf("program: %v; output:\n%s", err, h.out.String())
	}
	if got, want := h.out.String(), "EINPROGRESS\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	h.close(t) // fails the test if a handler holds Close up
}

func TestConnectedDatagrams(t *testing.T) {
	need(t, "python3")
	echo, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		buf := make([]byte, 100)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			echo.WriteTo([]byte(strings.ToUpper(string(buf[:n]))), from)
		}
	}()
	port := echo.LocalAddr().(*net.UDPAddr).Port
	out, _ := run(t, "python3", "-c", fmt.Sprintf(`
import socket, errno
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(("127.0.0.1", %d))
u.send(b"one"); print(u.recv(10).decode())
u.sendto(b"two", ("127.0.0.1", %d)); print(u.recvfrom(10)[0].decode())
try:
    u.sendto(b"three", ("127.0.0.1", 9))
except OSError as e:
    print(errno.errorcode[e.errno])`, port, port))
	if got, want := out, "ONE\nTWO\nEISCONN\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestPacketInfo runs a Python program that asks for IPV6_RECVPKTINFO and
// IP_PKTINFO, reads each datagram's destination and interface from the
// control message, and answers with IPV6_PKTINFO / IP_PKTINFO naming the
// source, as dnsmasq does.
func TestPacketInfo(t *testing.T) {
	need(t, "python3")
	h := startHijacked(t, "python3", "-c", `
import socket, struct
u6=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
u6.bind(("::1",0))
u4=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u4.setsockopt(socket.IPPROTO_IP, 8, 1)
u4.bind(("127.0.0.1",0))
print(u6.getsockname()[1], u4.getsockname()[1], flush=True)
data, anc, flags, src = u6.recvmsg(100, socket.CMSG_SPACE(20))
lvl, typ, d = anc[0]
dst, idx = socket.inet_ntop(socket.AF_INET6, d[:16]), struct.unpack("I", d[16:20])[0]
u6.sendmsg([b"%s %s %d %d" % (data.upper(), dst.encode(), idx, flags)], [(lvl, typ, d)], 0, src)
data, anc, flags, src = u4.recvmsg(100, socket.CMSG_SPACE(12))
lvl, typ, d = anc[0]
idx, spec, dst = struct.unpack("I4s4s", d[:12])
u4.sendmsg([b"%s %s %d %d" % (data.upper(), socket.inet_ntoa(dst).encode(), idx, typ)], [(lvl, typ, d)], 0, src)
data, anc, flags, src = u4.recvmsg(100, 4)
u4.sendto(b"%d %d" % (len(anc), flags & socket.MSG_CTRUNC), src)
`)
	var p6, p4 int
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := fmt.Sscan(h.out.String(), &p6, &p4); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ports printed; output:\n%s", h.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, tt := range []struct {
		network, addr, send, want string
	}{
		{"udp6", fmt.Sprintf("[::1]:%d", p6), "ping", "PING ::1 1 0"},
		{"udp4", fmt.Sprintf("127.0.0.1:%d", p4), "ping", "PING 127.0.0.1 1 8"},
		{"udp4", fmt.Sprintf("127.0.0.1:%d", p4), "short", "0 8"},
	} {
		u, err := net.Dial(tt.network, tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		u.Write([]byte(tt.send))
		u.SetReadDeadline(time.Now().Add(30 * time.Second))
		buf := make([]byte, 100)
		n, err := u.Read(buf)
		u.Close()
		if err != nil {
			t.Fatalf("%s: %v; output:\n%s", tt.addr, err, h.out.String())
		}
		if got := string(buf[:n]); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.addr, got, tt.want)
		}
	}
	if err := h.wait(t); err != nil {
		t.Errorf("program: %v; output:\n%s", err, h.out.String())
	}
}

// TestInterfaceIoctls checks SIOCGIFNAME and SIOCGIFINDEX on a rump
// socket: the host answers for its own interfaces, the kernel (the fake's
// virt4242) for the others, ENODEV when neither has it.
func TestInterfaceIoctls(t *testing.T) {
	need(t, "python3")
	out, _ := run(t, "python3", "-c", `
import socket, fcntl, struct, errno
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def name(i):
    try:
        return fcntl.ioctl(s, 0x8910, struct.pack("16si20x", b"", i))[:16].rstrip(b"\0").decode()
    except OSError as e:
        return errno.errorcode[e.errno]
def index(n):
    try:
        return struct.unpack_from("i", fcntl.ioctl(s, 0x8933, struct.pack("16si20x", n.encode(), 0)), 16)[0]
    except OSError as e:
        return errno.errorcode[e.errno]
print(name(1), name(4242), name(99999), index("lo"), index("virt4242"), index("nosuch0"))
`)
	if want := "lo virt4242 ENODEV 1 4242 ENODEV\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}
