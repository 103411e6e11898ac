package tests

// rumphijack against a real rump_server: unmodified programs (curl,
// python3, bash, a static Go binary) with their sockets on the kernel's
// stack. The kernel's 127.0.0.1 is its own lo0; nothing listens on the
// namespace's host loopback, so a program that reached the host instead
// would be refused.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit"
)

// lockedBuffer collects a background program's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func requireHijack(t *testing.T, tools ...string) {
	t.Helper()
	requirePrivilege(t)
	b, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_avail")
	if err != nil || !strings.Contains(string(b), "user_notif") {
		testkit.Skip(t, "host kernel has no seccomp user notification")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			testkit.Skip(t, "no %s in PATH (scripts/setup.sh installs it)", tool)
		}
	}
}

// hijack runs argv under rumphijack against the env's server.
func (e *env) hijack(argv ...string) result {
	e.t.Helper()
	return e.hijackAt(e.url, argv...)
}

// hijackAt runs argv under rumphijack against the server at url.
func (e *env) hijackAt(url string, argv ...string) result {
	e.t.Helper()
	return e.runIn(e.dir, cmdTimeout, []string{"RUMP_SERVER=" + url},
		append([]string{bin("rumphijack")}, argv...)...)
}

// hijackBackground starts argv under rumphijack and returns its output so
// far; the program is killed by pid when the test ends.
func (e *env) hijackBackground(argv ...string) *lockedBuffer {
	e.t.Helper()
	return e.hijackBackgroundAt(e.url, argv...)
}

// hijackBackgroundAt is hijackBackground against the server at url.
func (e *env) hijackBackgroundAt(url string, argv ...string) *lockedBuffer {
	e.t.Helper()
	out := &lockedBuffer{}
	e.startIn(e.dir, []string{"RUMP_SERVER=" + url}, out, append([]string{bin("rumphijack")}, argv...)...)
	return out
}

// startIn starts argv in the namespace in dir, with its output into out;
// it is stopped by pid (SIGTERM, then SIGKILL) when the test ends.
func (e *env) startIn(dir string, extraEnv []string, out *lockedBuffer, argv ...string) {
	e.t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", e.ns}, argv...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start %v: %v", argv, err)
	}
	e.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(cmdTimeout):
			cmd.Process.Kill()
			<-done
		}
	})
}

// waitOutput polls a background program's output until it has a line.
func (e *env) waitLine(what string, out *lockedBuffer) string {
	e.t.Helper()
	var line string
	e.waitFor(what, func() (bool, string) {
		s, _, ok := strings.Cut(out.String(), "\n")
		line = s
		return ok, fmt.Sprintf("output %q", out.String())
	})
	return line
}

// buildStatic builds the static Go test program.
func buildStatic(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "gonet")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./pkg/hijack/testdata/gonet")
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build gonet: %v\n%s", err, b)
	}
	os.Chmod(filepath.Dir(out), 0o755)
	return out
}

func TestHijackCurlPythonHTTP(t *testing.T) {
	requireHijack(t, "curl", "python3")
	e := newEnv(t)
	e.startServer()
	if err := os.WriteFile(filepath.Join(e.dir, "index.txt"), []byte("served by the rump kernel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := e.hijackBackground("python3", "-m", "http.server", "--bind", "127.0.0.1", "8000")
	url := "http://127.0.0.1:8000/index.txt"
	var r result
	e.waitFor("curl through rumphijack gets the file", func() (bool, string) {
		r = e.hijack("curl", "-sS", url)
		return r.code == 0, r.String() + " server: " + srv.String()
	})
	if got, want := r.stdout, "served by the rump kernel\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if host := e.run(nil, "curl", "-sS", url); host.code == 0 {
		t.Errorf("curl on the host: got %v, want a failure (the server is on the kernel's stack)", host)
	}
	if ns := e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rnetstat"), "-an"); !strings.Contains(ns, "127.0.0.1.8000") {
		t.Errorf("rnetstat -an: got\n%s\nwant a socket on 127.0.0.1.8000", ns)
	}
}

func TestHijackRefused(t *testing.T) {
	requireHijack(t, "curl")
	e := newEnv(t)
	e.startServer()
	r := e.hijack("curl", "-sS", "http://127.0.0.1:9/")
	if r.code != 7 || !strings.Contains(r.stderr, "Failed to connect to 127.0.0.1 port 9") {
		t.Errorf("got %v, want exit 7 and curl's \"Failed to connect\"", r)
	}
}

func TestHijackStaticGo(t *testing.T) {
	requireHijack(t, "go", "bash", "sh")
	e := newEnv(t)
	e.startServer()
	gonet := buildStatic(t)

	srv := e.hijackBackground(gonet, "serve", "127.0.0.1:0")
	addr := e.waitLine("the Go server prints its address", srv)
	r := e.hijack(gonet, "get", "http://"+addr+"/")
	if got, want := r.stdout, "hello from go\n"; r.code != 0 || got != want {
		t.Errorf("Go client to Go server: got %v, want stdout %q", r, want)
	}

	// A child of a shell connects, to a static Go listener.
	echo := e.hijackBackground(gonet, "listen", "127.0.0.1:0")
	addr = e.waitLine("the Go listener prints its address", echo)
	host, port, _ := strings.Cut(addr, ":")
	r = e.hijack("sh", "-c", fmt.Sprintf(
		`bash -c 'exec 3<>/dev/tcp/%s/%s; echo forked >&3; read -r line <&3; echo "$line"'`, host, port))
	if got, want := r.stdout, "FORKED\n"; r.code != 0 || got != want {
		t.Errorf("fork to Go listener: got %v, want stdout %q", r, want)
	}
}

func TestHijackPythonSockets(t *testing.T) {
	requireHijack(t, "python3")
	e := newEnv(t)
	e.startServer()
	udp := e.hijackBackground("python3", "-c", `
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
print(u.getsockname()[1], flush=True)
data, src = u.recvfrom(100)
u.sendto(data.upper(), src)
`)
	port := e.waitLine("the UDP server prints its port", udp)
	tests := []struct {
		name, code, want string
	}{
		{"udp sendto recvfrom", fmt.Sprintf(`
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"datagram", ("127.0.0.1", %s))
data, src = u.recvfrom(100)
print(data.decode(), src[0], src[1] == %s)`, port, port), "DATAGRAM 127.0.0.1 True\n"},
		{"non-blocking connect refused", `
import socket, select, errno
s = socket.socket(); s.setblocking(False)
print(errno.errorcode[s.connect_ex(("127.0.0.1", 9))])
select.select([], [s], [], 30)
print(errno.errorcode[s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)])`, "EINPROGRESS\nECONNREFUSED\n"},
		{"non-blocking connect and accept", `
import socket, select, errno
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1); l.setblocking(False)
s = socket.socket(); s.setblocking(False)
print(errno.errorcode[s.connect_ex(l.getsockname())])
select.select([], [s], [], 30)
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
select.select([l], [], [], 30)
c, peer = l.accept()
print(peer == s.getsockname(), c.getpeername() == s.getsockname())
s.setblocking(True); s.sendall(b"x"); print(c.recv(1))`, "EINPROGRESS\n0\nTrue True\nb'x'\n"},
		{"ipv6 stream", `
import socket
l = socket.socket(socket.AF_INET6); l.bind(("::1", 0)); l.listen(1)
s = socket.create_connection(l.getsockname()[:2])
c, peer = l.accept()
s.sendall(b"six"); print(c.recv(3).decode(), peer[0], s.getpeername()[0])`, "six ::1 ::1\n"},
		{"errors", `
import socket, errno
a = socket.socket(); a.bind(("127.0.0.1", 7200)); a.listen(1)
b = socket.socket()
try:
    b.bind(("127.0.0.1", 7200))
except OSError as e:
    print(errno.errorcode[e.errno])
print(errno.errorcode[socket.socket().connect_ex(("10.99.0.1", 80))])
print(errno.errorcode[socket.socket().connect_ex(("127.0.0.1", 7201))])`, "EADDRINUSE\nENETUNREACH\nECONNREFUSED\n"},
		{"datagrams queued before connect", `
import socket, select
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); v.bind(("127.0.0.1", 0))
v.sendto(b"one", u.getsockname()); v.sendto(b"two", u.getsockname())
select.select([u], [], [], 30)
u.connect(v.getsockname())
v.sendto(b"three", u.getsockname())
print(u.recv(100), u.recv(100), u.recv(100))`, "b'one' b'two' b'three'\n"},
		{"raw socket", `
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
except PermissionError as e:
    print(e.errno == 1)`, "True\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.hijack("python3", "-c", tt.code)
			if r.code != 0 || r.stdout != tt.want {
				t.Errorf("got %v, want stdout %q", r, tt.want)
			}
		})
	}
}

func TestHijackNetcat(t *testing.T) {
	requireHijack(t, "nc", "sh")
	e := newEnv(t)
	e.startServer()
	tests := []struct {
		name, server, client, want string
		fromServer                 bool
	}{
		{"client to server", "nc -l 127.0.0.1 7100", "printf 'to the server\\n' | nc -N 127.0.0.1 7100", "to the server\n", false},
		{"server to client", "printf 'to the client\\n' | nc -N -l 127.0.0.1 7101", "nc -d 127.0.0.1 7101", "to the client\n", true},
		// nc -u -l peeks at the first datagram's source, connects to it
		// and reads the datagram bare.
		{"udp client to server", "nc -u -l 127.0.0.1 7102", "printf 'over udp\\n' | nc -u -q 0 127.0.0.1 7102", "over udp\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := e.hijackBackground("sh", "-c", tt.server)
			port := tt.server[strings.LastIndex(tt.server, " ")+1:]
			e.waitFor("nc -l binds", func() (bool, string) {
				ns := e.rnetstatAt(e.url)
				return strings.Contains(ns, "127.0.0.1."+port), ns
			})
			var r result
			e.waitFor("nc connects", func() (bool, string) {
				r = e.hijack("sh", "-c", tt.client)
				return r.code == 0, r.String()
			})
			got := r.stdout
			if !tt.fromServer {
				e.waitFor("the server prints", func() (bool, string) {
					return strings.HasSuffix(srv.String(), "\n"), fmt.Sprintf("%q", srv.String())
				})
				got = srv.String()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHijackPing(t *testing.T) {
	requireHijack(t, "ping")
	e := newEnv(t)
	e.startServer()
	// ping waits for replies with SO_RCVTIMEO between its echoes.
	r := e.hijack("ping", "-c", "2", "-i", "0.2", "-W", "5", "127.0.0.1")
	if r.code != 0 || !strings.Contains(r.stdout, "2 packets transmitted, 2 received") {
		t.Errorf("got %v, want 2 echoes answered", r)
	}
}

func TestHijackInterruptedAccept(t *testing.T) {
	requireHijack(t, "python3")
	e := newEnv(t)
	e.startServer()
	// A signal interrupts the blocking accept and Python retries it; the
	// first connection after must reach the retried accept, not a request
	// the interrupted one left behind.
	srv := e.hijackBackground("python3", "-c", `
import socket, signal
signal.signal(signal.SIGALRM, lambda *a: print("alarm", flush=True))
l = socket.socket(); l.bind(("127.0.0.1", 7000)); l.listen(1)
signal.setitimer(signal.ITIMER_REAL, 0.3)
c, peer = l.accept()
print("accepted", c.recv(2).decode(), flush=True)`)
	e.waitLine("the alarm interrupts accept", srv)
	r := e.hijack("python3", "-c", `
import socket
socket.create_connection(("127.0.0.1", 7000)).sendall(b"ok")`)
	if r.code != 0 {
		t.Fatalf("connect: got %v, want exit 0", r)
	}
	e.waitFor("the retried accept gets the connection", func() (bool, string) {
		return strings.Contains(srv.String(), "accepted ok"), fmt.Sprintf("output %q", srv.String())
	})
}

func TestHijackExitAndSignals(t *testing.T) {
	requireHijack(t, "python3")
	e := newEnv(t)
	e.startServer()
	r := e.hijack("python3", "-c", `
import socket, os
l = socket.socket(); l.bind(("127.0.0.1", 7777)); l.listen(1)
os._exit(3)`)
	if r.code != 3 {
		t.Errorf("exit status: got %v, want exit 3", r)
	}
	e.waitFor("the listener is gone from the kernel", func() (bool, string) {
		ns := e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rnetstat"), "-an")
		return !strings.Contains(ns, ".7777"), ns
	})

	out := &lockedBuffer{}
	cmd := exec.Command("ip", "netns", "exec", e.ns, bin("rumphijack"), "python3", "-c",
		`import time; print("ready", flush=True); time.sleep(600)`)
	cmd.Env = append(os.Environ(), "RUMP_SERVER="+e.url)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	e.waitLine("the program is ready", out)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if got, want := cmd.ProcessState.ExitCode(), 128+int(syscall.SIGTERM); got != want {
		t.Errorf("after SIGTERM: got exit %d, want %d; output %q", got, want, out.String())
	}
}
