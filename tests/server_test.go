package tests

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
)

// TestSecondServerRefused starts a second rump_server on a live socket: it
// must fail with EADDRINUSE, leave the socket alone, and the first server
// must go on working.
func TestSecondServerRefused(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"daemon", nil},
		{"foreground -s", []string{"-s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			first := e.startServer()
			e.mustRif("virt0", "create")

			argv := append(append([]string{bin("rump_server")}, tt.args...), e.url)
			r := e.runTimeout(20*time.Second, nil, argv...)
			if r.code == 0 || r.code == -1 {
				t.Errorf("second %s: got %v, want a non-zero exit", strings.Join(argv, " "), r)
			}
			if !strings.Contains(r.stderr, "Address already in use") {
				t.Errorf("second rump_server stderr: got %q, want it to mention %q", r.stderr, "Address already in use")
			}
			if !isSocket(e.sock) {
				t.Fatalf("socket after the refused start: got it gone, want the first server's socket kept")
			}
			info, err := first.c.Info()
			if err != nil || info.Pid != first.pid {
				t.Fatalf("first server after the refused start: got pid %d, err %v; want pid %d", info.Pid, err, first.pid)
			}
			if got, want := e.mustRif("-l"), "lo0 virt0\n"; got != want {
				t.Errorf("rifconfig -l: got %q, want %q", got, want)
			}
			e.mustRif("virt1", "create")
			e.wantLink("tap1", true)
			if pids := e.nsPids(); len(pids) != 1 || pids[0] != first.pid {
				t.Errorf("processes in the namespace: got %v, want only the first server %d", pids, first.pid)
			}
		})
	}
}

// TestStaleSocketTakeover kills a server with SIGKILL, which leaves its
// socket file behind; a new server on the same path must take it over.
func TestStaleSocketTakeover(t *testing.T) {
	e := newEnv(t)
	old := e.startServer()
	e.mustRif("virt0", "create")
	e.wantLink("tap0", true)

	if err := syscall.Kill(old.pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -KILL %d: %v", old.pid, err)
	}
	e.waitExited(old.pid)
	e.waitLinkGone("tap0") // the kernel closed the dead server's tap
	if !isSocket(e.sock) {
		t.Logf("note: no stale socket left after SIGKILL")
	}

	s := e.startServer()
	if s.pid == old.pid {
		t.Fatalf("new server pid: got %d, want a new process", s.pid)
	}
	golden.Check(t, "rifconfig-a-boot", []byte(e.mustRif("-a")))
	e.mustRif("virt0", "create")
	e.wantLink("tap0", true)
	e.mustRif("virt0", "inet", "10.0.0.2/24", "up")
	e.hostSide("tap0", "10.0.0.1/24")
	e.ping("10.0.0.2")
}

// TestSignalShutdown stops a server with a signal: it must exit (0 when we
// can see its status: in the foreground), close its taps and remove its
// socket.
func TestSignalShutdown(t *testing.T) {
	tests := []struct {
		sig        syscall.Signal
		foreground bool
	}{
		{syscall.SIGTERM, false},
		{syscall.SIGINT, false},
		{syscall.SIGTERM, true},
	}
	for _, tt := range tests {
		name := tt.sig.String()
		if tt.foreground {
			name += " -s"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			var s *server
			var exited <-chan int
			if tt.foreground {
				s, exited = e.startForeground()
			} else {
				s = e.startServer()
			}
			e.mustRif("virt0", "create")
			e.mustRif("virt0", "inet", "10.0.0.2/24", "up")
			e.mustRif("virt1", "create")
			e.wantLink("tap0", true)
			e.wantLink("tap1", true)

			if err := syscall.Kill(s.pid, tt.sig); err != nil {
				t.Fatalf("kill -%v %d: %v", tt.sig, s.pid, err)
			}
			if exited != nil {
				select {
				case code := <-exited:
					if code != 0 {
						t.Errorf("exit status after %v: got %d, want 0", tt.sig, code)
					}
				case <-time.After(pollTimeout):
					t.Fatalf("rump_server -s after %v: got still running after %v, want it to exit", tt.sig, pollTimeout)
				}
			}
			e.waitExited(s.pid)
			if _, err := os.Lstat(e.sock); !os.IsNotExist(err) {
				t.Errorf("socket after %v: got %v, want it removed", tt.sig, err)
			}
			e.wantLink("tap0", false)
			e.wantLink("tap1", false)
		})
	}
}

// startForeground runs rump_server -s -v in the namespace without waiting
// for it, waits until its socket answers, and returns it with a channel
// that yields its exit status. It must be the process it started: -s does
// not detach.
func (e *env) startForeground() (*server, <-chan int) {
	e.t.Helper()
	s := e.addServer(e.url)
	cmd := exec.Command("ip", "netns", "exec", e.ns, bin("rump_server"), "-s", "-v", e.url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start rump_server -s: %v", err)
	}
	exited := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		exited <- cmd.ProcessState.ExitCode()
		close(done)
	}()
	e.t.Cleanup(func() {
		cmd.Process.Kill() // a no-op once it has been waited for
		select {
		case <-done:
			e.t.Logf("rump_server -s -v stderr:\n%s", stderr.String())
		case <-time.After(pollTimeout):
			e.t.Errorf("cleanup: rump_server -s (pid %d) did not exit after SIGKILL", cmd.Process.Pid)
		}
	})
	e.waitFor("rump_server -s answers", func() (bool, string) {
		info, err := s.c.Info()
		if err != nil {
			return false, err.Error()
		}
		s.pid = info.Pid
		return true, ""
	})
	if s.pid != cmd.Process.Pid {
		e.t.Errorf("pid of rump_server -s: got %d, want %d (the process we started)", s.pid, cmd.Process.Pid)
	}
	return s, exited
}

// TestComponents checks rump_server -l: only the listed components are on,
// which decides the cloners rifconfig -C lists and what can be created.
func TestComponents(t *testing.T) {
	tests := []struct {
		name        string
		libs        []string
		cloners     string
		createVirt0 string // stderr of "rifconfig virt0 create"; "" = succeeds
		lo0Inet6    bool   // lo0 has ::1
		lo0Inet     bool   // lo0 has 127.0.0.1
	}{
		{"all", nil, "gre gif wg l2tp tap vlan bridge shmif virt lo\n", "", true, true},
		{"netinet only", []string{"rumpnet_netinet"}, "lo\n",
			"rifconfig: clone_command: Invalid argument\n", false, true},
		{"lib.so form", []string{"librumpnet_virtif.so"}, "virt lo\n", "", false, false},
		{"lib form", []string{"librumpnet_netinet6", "rumpnet_virtif"}, "virt lo\n", "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var args []string
			for _, l := range tt.libs {
				args = append(args, "-l", l)
			}
			e.startServer(args...)
			if got := e.mustRif("-C"); got != tt.cloners {
				t.Errorf("rifconfig -C: got %q, want %q", got, tt.cloners)
			}
			lo0 := e.mustRif("lo0")
			if got := strings.Contains(lo0, "inet6 ::1/128"); got != tt.lo0Inet6 {
				t.Errorf("lo0 has ::1: got %v, want %v; rifconfig lo0:\n%s", got, tt.lo0Inet6, lo0)
			}
			if got := strings.Contains(lo0, "inet 127.0.0.1/8"); got != tt.lo0Inet {
				t.Errorf("lo0 has 127.0.0.1: got %v, want %v; rifconfig lo0:\n%s", got, tt.lo0Inet, lo0)
			}
			r := e.rif("virt0", "create")
			if tt.createVirt0 == "" {
				if r.code != 0 {
					t.Fatalf("rifconfig virt0 create: got %v, want exit 0", r)
				}
				e.wantLink("tap0", true)
			} else {
				if r.code != 1 || r.stderr != tt.createVirt0 {
					t.Errorf("rifconfig virt0 create: got %v, want exit 1, stderr %q", r, tt.createVirt0)
				}
				e.wantLink("tap0", false)
			}
		})
	}
}

// TestServerStartErrors checks that rump_server fails to start, with a
// message and a non-zero exit, and leaves nothing running, for bad command
// lines and unusable socket paths.
func TestServerStartErrors(t *testing.T) {
	e := newEnv(t)
	notSocket := filepath.Join(e.dir, "file")
	if err := os.WriteFile(notSocket, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := "unix://" + e.dir + "/" + strings.Repeat("a", 120)
	tests := []struct {
		name     string
		args     []string
		code     int      // 0: any non-zero
		contains []string // stderr must contain each
	}{
		{"no url", nil, 1, []string{"usage: rump_server"}},
		{"two urls", []string{"unix://" + e.dir + "/a", "unix://" + e.dir + "/b"}, 1, []string{"usage: rump_server"}},
		{"missing directory", []string{"unix://" + e.dir + "/nosuchdir/ctl"}, 0,
			[]string{"rump_server: ", "nosuchdir", "No such file or directory"}},
		{"path too long", []string{long}, 0, []string{"rump_server: ", "File name too long"}},
		{"not a unix url", []string{"tcp://127.0.0.1:12345/"}, 0, []string{"rump_server: "}},
		{"path is a regular file", []string{"unix://" + notSocket}, 0, []string{"rump_server: ", notSocket}},
		{"unknown component", []string{"-l", "rumpnet_nosuch", "unix://" + e.dir + "/c"}, 0, []string{"rump_server: ", "rumpnet_nosuch"}},
		{"bad option", []string{"-x", "unix://" + e.dir + "/d"}, 1, []string{"usage: rump_server"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.runTimeout(20*time.Second, nil, append([]string{bin("rump_server")}, tt.args...)...)
			t.Logf("rump_server %s: %v", strings.Join(tt.args, " "), r)
			if tt.code != 0 && r.code != tt.code || tt.code == 0 && (r.code == 0 || r.code == -1) {
				want := "non-zero"
				if tt.code != 0 {
					want = fmt.Sprint(tt.code)
				}
				t.Errorf("exit: got %d, want %s", r.code, want)
			}
			for _, want := range tt.contains {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr: got %q, want it to contain %q", r.stderr, want)
				}
			}
			if pids := e.nsPids(); len(pids) != 0 {
				t.Errorf("processes left running: got %v, want none", pids)
			}
		})
	}
	if b, err := os.ReadFile(notSocket); err != nil || string(b) != "keep me" {
		t.Errorf("regular file at the socket path: got %q, %v; want it untouched", b, err)
	}
	ents, _ := os.ReadDir(e.dir)
	var names []string
	for _, ent := range ents {
		names = append(names, ent.Name())
	}
	if len(names) != 1 || names[0] != "file" {
		t.Errorf("files in the socket directory: got %v, want only [file]", names)
	}
}

// TestRelativeSocketPath uses unix://ctl, a path relative to the working
// directory (rump_sp(7)), for the server and its clients.
func TestRelativeSocketPath(t *testing.T) {
	e := newEnv(t)
	s := e.addServer(e.url) // the same socket, by its absolute path
	rel := []string{"RUMP_SERVER=unix://ctl"}
	if r := e.runIn(e.dir, cmdTimeout, nil, bin("rump_server"), "unix://ctl"); r.code != 0 {
		t.Fatalf("rump_server unix://ctl: got %v, want exit 0", r)
	}
	if !isSocket(e.sock) {
		t.Fatalf("socket %s: got none, want the relative path resolved against the working directory", e.sock)
	}
	info, err := s.c.Info()
	if err != nil {
		t.Fatalf("GET /v1/ by absolute path: %v", err)
	}
	s.pid = info.Pid
	for _, args := range [][]string{{"virt0", "create"}, {"-l"}} {
		r := e.runIn(e.dir, cmdTimeout, rel, append([]string{bin("rifconfig")}, args...)...)
		if r.code != 0 {
			t.Fatalf("RUMP_SERVER=unix://ctl rifconfig %s: got %v, want exit 0", strings.Join(args, " "), r)
		}
		if args[0] == "-l" && r.stdout != "lo0 virt0\n" {
			t.Errorf("rifconfig -l: got %q, want %q", r.stdout, "lo0 virt0\n")
		}
	}
	e.wantLink("tap0", true)
	if r := e.runIn(e.dir, cmdTimeout, rel, bin("rhalt")); r.code != 0 {
		t.Fatalf("RUMP_SERVER=unix://ctl rhalt: got %v, want exit 0", r)
	}
	if _, err := os.Lstat(e.sock); !os.IsNotExist(err) {
		t.Errorf("socket after rhalt: got %v, want it removed", err)
	}
	e.wantLink("tap0", false)
	e.waitExited(s.pid)
}

// TestConcurrentStartOneWins starts eight servers at once on the same stale
// socket: exactly one may win, and no loser may be left running (a server
// whose socket another one unlinked would be alive but unreachable).
func TestConcurrentStartOneWins(t *testing.T) {
	e := newEnv(t)
	s := e.addServer(e.url)
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: e.sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()

	const n = 8
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.run(nil, bin("rump_server"), e.url)
		}()
	}
	wg.Wait()
	wins := 0
	for i, r := range results {
		if r.code == 0 {
			wins++
		} else {
			t.Logf("server %d: %v", i, r)
		}
	}
	if wins != 1 {
		t.Errorf("servers that started: got %d, want 1", wins)
	}
	info, err := s.c.Info()
	if err != nil {
		t.Fatalf("GET /v1/: got %v, want the winner's info", err)
	}
	s.pid = info.Pid
	e.waitFor("only the winner runs", func() (bool, string) {
		pids := e.nsPids()
		return len(pids) == 1 && pids[0] == info.Pid, fmt.Sprintf("pids %v (winner %d)", pids, info.Pid)
	})
	e.mustRif("virt0", "create")
	e.wantLink("tap0", true)
}

// TestSocketPathLimit checks the sun_path boundary: a 107-byte socket path
// works for the server and its clients, a 108-byte one is ENAMETOOLONG for
// both.
func TestSocketPathLimit(t *testing.T) {
	e := newEnv(t)
	pathOf := func(n int) string {
		base := e.dir + "/"
		return base + strings.Repeat("p", n-len(base))
	}
	ok := "unix://" + pathOf(107)
	s := e.startServerAt(ok)
	if got, want := e.mustRifAt(ok, "-l"), "lo0\n"; got != want {
		t.Errorf("rifconfig -l on a 107-byte path: got %q, want %q", got, want)
	}
	e.mustRun([]string{"RUMP_SERVER=" + ok}, bin("rhalt"))
	e.waitExited(s.pid)

	long := "unix://" + pathOf(108)
	r := e.run(nil, bin("rump_server"), long)
	if r.code != 1 || !strings.HasSuffix(r.stderr, ": File name too long\n") {
		t.Errorf("rump_server on a 108-byte path: got %v, want exit 1 and File name too long", r)
	}
	r = e.rifAt(long, "-l")
	if want := "rifconfig: rump client init: " + long + ": File name too long (path longer than 107 bytes)\n"; r.code != 1 || r.stderr != want {
		t.Errorf("rifconfig -l on a 108-byte path: got %v, want exit 1, stderr %q", r, want)
	}
}

// TestShutdownKeepsNewServerSocket stops a server with SIGTERM while a
// client stalls in the middle of a request, so that its shutdown takes a
// while after it stopped listening, and starts a new server on the same
// path meanwhile. The new server takes the socket over (nothing listens on
// it); the old one, when it finally exits, must not remove the new
// server's socket, or the new server runs on unreachable.
func TestShutdownKeepsNewServerSocket(t *testing.T) {
	e := newEnv(t)
	old := e.startServer()
	stalled, err := net.Dial("unix", e.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, err := stalled.Write([]byte("GET /v1/ HTTP/1.1\r\nHost: ru")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(old.pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the old server stops listening", func() (bool, string) {
		c, err := net.Dial("unix", e.sock)
		if err == nil {
			c.Close()
			return false, "still accepting"
		}
		return true, ""
	})
	if processExited(old.pid) {
		t.Skip("the old server exited at once; nothing to check")
	}

	s := e.startServer()
	e.mustRif("virt0", "create")
	e.waitExited(old.pid)

	if !isSocket(e.sock) {
		t.Errorf("socket after the old server exited: got it removed, want the new server's socket kept")
	}
	if r := e.rif("-l"); r.code != 0 || r.stdout != "lo0 virt0\n" {
		t.Errorf("rifconfig -l on the new server (pid %d, running: %v) after the old one exited: got %v, want %q",
			s.pid, !processExited(s.pid), r, "lo0 virt0\n")
	}
}

// TestDetachedKeepsNoInheritedFD starts rump_server with a pipe its caller
// left open on fd 7: the detached server must not keep it, or whoever
// reads the pipe (cat here, the shell of a $(...) elsewhere) waits for the
// server's end.
func TestDetachedKeepsNoInheritedFD(t *testing.T) {
	e := newEnv(t)
	e.addServer(e.url)
	r := e.runTimeout(pollTimeout, nil, "bash", "-c", bin("rump_server")+" "+e.url+" 7>&1 | cat")
	if r.code != 0 {
		t.Fatalf("bash -c 'rump_server %s 7>&1 | cat': got %v, want exit 0 once the server is ready", e.url, r)
	}
	if !isSocket(e.sock) {
		t.Errorf("socket %s: got none, want the server listening", e.sock)
	}
}

// TestSIGTERMWithStuckRequests sends SIGTERM to a server with requests that
// do not finish by themselves: a request whose body never ends and a ping
// stream its client does not read. The server still exits, with its socket
// removed and its taps closed.
func TestSIGTERMWithStuckRequests(t *testing.T) {
	e := newEnv(t)
	s := e.startServer()
	e.mustRif("virt0", "create")
	e.wantLink("tap0", true)

	half, err := net.Dial("unix", e.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	fmt.Fprint(half, "PUT /v1/node/kern.hostname HTTP/1.1\r\nContent-Length: 100\r\n\r\n\"ab")
	stream, err := net.Dial("unix", e.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	req := `{"dst":"127.0.0.1","interval":0.001,"size":1400}`
	fmt.Fprintf(stream, "POST /v1/ping HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s", len(req), req)
	// The stream has started once its first bytes arrive.
	stream.SetReadDeadline(time.Now().Add(pollTimeout))
	if _, err := stream.Read(make([]byte, 1)); err != nil {
		t.Fatalf("ping stream: got %v, want it to start", err)
	}

	if err := syscall.Kill(s.pid, syscall.SIGTERM); err != nil {
		t.Fatalf("kill -TERM %d: %v", s.pid, err)
	}
	e.waitExited(s.pid)
	if _, err := os.Lstat(e.sock); !os.IsNotExist(err) {
		t.Errorf("socket after SIGTERM: got %v, want it removed", err)
	}
	e.wantLink("tap0", false)
}

// TestLockedBusFileDoesNotStallTheKernel gives a shmif interface a bus
// file another process holds locked with flock(2). The request that
// attaches it used to wait in flock for as long as the lock was held,
// under the kernel lock, so every other request and SIGTERM's shutdown
// waited too. It now fails with EBUSY after a bounded wait, the kernel
// answers meanwhile and afterwards, and SIGTERM ends the server.
func TestLockedBusFileDoesNotStallTheKernel(t *testing.T) {
	e := newEnv(t)
	s := e.startServer()
	bus := filepath.Join(e.dir, "bus")
	f, err := os.Create(bus)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	e.mustRif("shmif0", "create")
	r := e.rif("shmif0", "linkstr", bus)
	if want := "rifconfig: SIOCSLINKSTR: Device busy"; r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("linkstr of a locked bus file: got exit %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
	e.mustRif("lo0")
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	e.mustRif("shmif0", "linkstr", bus)

	if err := syscall.Kill(s.pid, syscall.SIGTERM); err != nil {
		t.Fatalf("kill -TERM %d: %v", s.pid, err)
	}
	e.waitExited(s.pid)
	if _, err := os.Lstat(e.sock); !os.IsNotExist(err) {
		t.Errorf("socket after SIGTERM: got %v, want it removed", err)
	}
}
