package tests

// rumphijack when things go wrong: a hijacked server killed mid-transfer,
// many short connections, a kernel halted under a blocked program, a user
// the kernel refuses, and a kernel that belongs to a plain user.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// rnetstat runs rnetstat -an against the server at url.
func (e *env) rnetstatAt(url string) string {
	e.t.Helper()
	return e.mustRun([]string{"RUMP_SERVER=" + url}, bin("rnetstat"), "-an")
}

// TestHijackKilledServer SIGKILLs a hijacked server while a client streams
// to it: the kernel frees the server's sockets, and goes on serving.
func TestHijackKilledServer(t *testing.T) {
	requireHijack(t, "python3")
	e := newEnv(t)
	e.startServer()
	srv := e.hijackBackground("python3", "-c", `
import os, socket
l = socket.socket(); l.bind(("127.0.0.1", 7300)); l.listen(1)
c, _ = l.accept()
c.recv(100000)
print(os.getpid(), flush=True)
import time; time.sleep(600)`)
	e.waitFor("the server listens", func() (bool, string) {
		ns := e.rnetstatAt(e.url)
		return strings.Contains(ns, "127.0.0.1.7300"), ns + srv.String()
	})
	cli := e.hijackBackground("python3", "-c", `
import socket
s = socket.create_connection(("127.0.0.1", 7300))
try:
    while True:
        s.sendall(b"x" * 65536)
except OSError as e:
    print("client:", e.strerror, flush=True)`)
	line := e.waitLine("the server reads and prints its pid", srv)
	pid, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("server pid: got %q, %v", line, err)
	}
	if ns := e.rnetstatAt(e.url); !strings.Contains(ns, "127.0.0.1.7300") {
		t.Fatalf("rnetstat -an before the kill: got\n%s\nwant sockets on 127.0.0.1.7300", ns)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	e.waitFor("the kernel frees the server's sockets", func() (bool, string) {
		ns := e.rnetstatAt(e.url)
		return !strings.Contains(ns, "127.0.0.1.7300 "), ns
	})
	e.waitFor("the client's send fails", func() (bool, string) {
		return strings.Contains(cli.String(), "client:"), fmt.Sprintf("%q", cli.String())
	})
	r := e.hijack("python3", "-c", `
import socket
l = socket.socket(); l.bind(("127.0.0.1", 7300)); l.listen(1)
s = socket.create_connection(("127.0.0.1", 7300)); c, _ = l.accept()
s.sendall(b"again"); print(c.recv(5).decode())`)
	if got, want := r.stdout, "again\n"; r.code != 0 || got != want {
		t.Errorf("a new server on the port: got %v, want stdout %q", r, want)
	}
}

// TestHijackManyConnections makes 1,000 short connections through one
// session and checks that rump_server's fds and goroutines come back to
// where they were.
func TestHijackManyConnections(t *testing.T) {
	requireHijack(t, "python3")
	e := newEnv(t)
	s := e.startServer()
	const loop = `
import socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(8)
for i in range(int(sys.argv[1])):
    s = socket.create_connection(l.getsockname())
    c, _ = l.accept()
    s.sendall(b"ping"); c.sendall(c.recv(4)); s.recv(4)
    s.close(); c.close()
print("done")`
	// A warm-up run starts what the server starts lazily.
	if r := e.hijack("python3", "-c", loop, "10"); r.stdout != "done\n" {
		t.Fatalf("warm-up: got %v", r)
	}
	settled := func(what string, fds0, gr0 int) (int, int) {
		t.Helper()
		var fds, gr int
		e.waitFor(what, func() (bool, string) {
			var err error
			fds, gr, err = serverCounts(s.c, s.pid)
			if err != nil {
				return false, err.Error()
			}
			ok := fds0 < 0 || (fds <= fds0+hijackSlack && gr <= gr0+hijackSlack)
			return ok, fmt.Sprintf("fds %d (baseline %d), goroutines %d (baseline %d)", fds, fds0, gr, gr0)
		})
		return fds, gr
	}
	fds0, gr0 := settled("baseline counts", -1, -1)
	r := e.hijack("python3", "-c", loop, "1000")
	if r.code != 0 || r.stdout != "done\n" {
		t.Fatalf("1000 connections: got %v", r)
	}
	fds, gr := settled("fd and goroutine counts settle after 1000 connections", fds0, gr0)
	t.Logf("fds %d -> %d, goroutines %d -> %d", fds0, fds, gr0, gr)
}

// hijackSlack is how far the server's fd and goroutine counts may stay
// above their baseline (connections in TIME_WAIT hold timers, not
// goroutines; the control connection of the count itself).
const hijackSlack = 4

// TestHijackKernelHalted halts the kernel under a program blocked in
// recv: recv returns (end of file or a reset), it does not hang.
func TestHijackKernelHalted(t *testing.T) {
	requireHijack(t, "python3")
	e := newEnv(t)
	e.startServer()
	srv := e.hijackBackground("python3", "-c", `
import socket, time
l = socket.socket(); l.bind(("127.0.0.1", 7400)); l.listen(1)
c, _ = l.accept(); time.sleep(600)`)
	e.waitFor("the server listens", func() (bool, string) {
		ns := e.rnetstatAt(e.url)
		return strings.Contains(ns, "127.0.0.1.7400"), ns + srv.String()
	})
	cli := e.hijackBackground("python3", "-c", `
import socket
s = socket.create_connection(("127.0.0.1", 7400))
print("blocked", flush=True)
try:
    print("recv", s.recv(10), flush=True)
except OSError as e:
    print("error", e.strerror, flush=True)
try:
    s.sendall(b"x" * 100000); s.sendall(b"x" * 100000)
    print("send ok", flush=True)
except OSError as e:
    print("send error", e.strerror, flush=True)`)
	e.waitLine("the client connects and blocks in recv", cli)
	e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rhalt"))
	e.waitFor("recv returns", func() (bool, string) {
		out := cli.String()
		return strings.Count(out, "\n") >= 3, fmt.Sprintf("%q", out)
	})
	lines := strings.Split(cli.String(), "\n")
	if got := lines[1]; got != "recv b''" && !strings.HasPrefix(got, "error Connection reset") {
		t.Errorf("recv after rhalt: got %q, want end of file or ECONNRESET", got)
	}
	if got := lines[2]; !strings.HasPrefix(got, "send error") {
		t.Errorf("send after rhalt: got %q, want EPIPE or ECONNRESET", got)
	}
}

// TestHijackOtherUser: a uid that may read a root-owned kernel (its socket
// chmod 0666) may not change it, so it cannot open a session either: its
// program's first socket is refused and the program killed.
func TestHijackOtherUser(t *testing.T) {
	requireHijack(t, "setpriv", "python3")
	e := newEnv(t)
	if err := os.Chmod(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.startServer()
	if err := os.Chmod(e.sock, 0o666); err != nil {
		t.Fatal(err)
	}
	r := e.run([]string{"RUMP_SERVER=" + e.url}, "setpriv", "--reuid="+strconv.Itoa(nobody),
		"--regid="+strconv.Itoa(nobody), "--clear-groups", bin("rumphijack"),
		"python3", "-c", "import socket; socket.socket(); print('opened')")
	if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, "rumphijack: ") || !strings.Contains(r.stderr, "not permitted") {
		t.Errorf("rumphijack as uid %d: got %v, want a non-zero exit and EPERM's message", nobody, r)
	}
}

// TestHijackPlainUser: everything as uid nobody — the kernel on a shmif
// bus in a directory nobody owns, python's http.server and curl under
// rumphijack.
func TestHijackPlainUser(t *testing.T) {
	requireHijack(t, "setpriv", "python3", "curl")
	e := newEnv(t)
	dir := e.nobodyDir()
	url := e.startAsNobody(dir, "k", "-l", "rumpnet_shmif", "-l", "rumpnet_netinet")
	for _, args := range [][]string{{"shmif0", "create"}, {"shmif0", "linkstr", "bus"}, {"shmif0", "inet", "10.1.0.1/24", "up"}} {
		if r := runAs(url, append([]string{bin("rifconfig")}, args...)...); r.code != 0 {
			t.Fatalf("rifconfig %s as nobody: got %v", strings.Join(args, " "), r)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "index.txt"), []byte("a plain user's kernel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	asNobody := []string{"setpriv", "--reuid=" + strconv.Itoa(nobody), "--regid=" + strconv.Itoa(nobody),
		"--clear-groups", "--inh-caps=-all", bin("rumphijack")}
	out := &lockedBuffer{}
	e.startIn(dir, []string{"RUMP_SERVER=" + url}, out,
		append(asNobody, "python3", "-m", "http.server", "--bind", "10.1.0.1", "8000")...)
	var r result
	e.waitFor("curl as nobody gets the file", func() (bool, string) {
		r = e.runIn(dir, cmdTimeout, []string{"RUMP_SERVER=" + url},
			append(asNobody, "curl", "-sS", "http://10.1.0.1:8000/index.txt")...)
		return r.code == 0, r.String() + " server: " + out.String()
	})
	if got, want := r.stdout, "a plain user's kernel\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
