package tests

// The harness: one env per test, owning a fresh network namespace, a short
// directory for control sockets and every rump_server started in it.
//
// Cleanup order (t.Cleanup runs last-registered first): servers are halted
// through their sockets with rhalt, whatever still runs in the namespace is
// killed by pid and waited for, the namespace is deleted (which deletes the
// taps left in it), then the directory is removed.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/rumpnet/rumpnet/pkg/client"
	"golang.org/x/sys/unix"
)

const howToRun = "run as root on Linux with /dev/net/tun and iproute2 (ip netns, ip tuntap): sudo go test ./tests/"

// cmdTimeout bounds every command a test runs, so a hang fails the test
// instead of the package.
const cmdTimeout = 60 * time.Second

// pollTimeout is the generous deadline for states that settle
// asynchronously (DAD, process exit); it is never a performance bound.
const pollTimeout = 30 * time.Second

var nsSeq atomic.Int32

// env is one test's private world.
type env struct {
	t    *testing.T
	ns   string // network namespace name
	dir  string // short directory for sockets
	sock string // default socket path
	url  string // "unix://" + sock

	servers []*server

	// inetDAD keeps the servers' net.inet.ip.dad_count at its default;
	// otherwise startServerAt sets it to 0. Tests about DAD set it.
	inetDAD bool
}

// server is one rump_server the test started.
type server struct {
	url  string
	sock string
	pid  int
	c    *client.Client
}

// requirePrivilege skips the test unless it can create namespaces and taps.
func requirePrivilege(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testkit.Skip(t, "not root; %s", howToRun)
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		testkit.Skip(t, "no /dev/net/tun (%v); %s", err, howToRun)
	}
	for _, tool := range []string{"ip", "ping", "bash", "timeout"} {
		if _, err := exec.LookPath(tool); err != nil {
			testkit.Skip(t, "no %s in PATH; %s", tool, howToRun)
		}
	}
}

// newEnv creates a fresh namespace and socket directory for t and arranges
// for both, and every server in them, to go away when t ends.
func newEnv(t *testing.T) *env {
	t.Helper()
	requirePrivilege(t)
	dir, err := os.MkdirTemp("/tmp", "rnt")
	if err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ns := fmt.Sprintf("rnt-%d-%d", os.Getpid(), nsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		testkit.Skip(t, "ip netns add %s: %v: %s; %s", ns, err, bytes.TrimSpace(out), howToRun)
	}
	e := &env{t: t, ns: ns, dir: dir, sock: filepath.Join(dir, "ctl")}
	e.url = "unix://" + e.sock
	t.Cleanup(e.deleteNamespace)
	t.Cleanup(e.stopAll)
	// Probe what the tests need: a tap inside the namespace.
	if r := e.run(nil, "ip", "tuntap", "add", "rntprobe0", "mode", "tap"); r.code != 0 {
		testkit.Skip(t, "cannot create a tap in a namespace: %s; %s", r.stderr, howToRun)
	}
	e.mustRun(nil, "ip", "link", "del", "rntprobe0")
	return e
}

// deleteNamespace removes the namespace; taps still in it go with it.
func (e *env) deleteNamespace() {
	if out, err := exec.Command("ip", "netns", "del", e.ns).CombinedOutput(); err != nil {
		e.t.Errorf("cleanup: ip netns del %s: %v: %s", e.ns, err, out)
	}
}

// stopAll halts every server the test started through its socket, then
// kills whatever still runs in the namespace and waits for it to exit.
func (e *env) stopAll() {
	for _, s := range e.servers {
		if isSocket(s.sock) {
			r := e.runTimeout(20*time.Second, []string{"RUMP_SERVER=" + s.url}, bin("rhalt"))
			if r.code != 0 {
				e.t.Logf("cleanup: rhalt %s: exit %d: %s", s.url, r.code, r.stderr)
			}
		}
	}
	// Every server runs in the namespace, so this finds them all; a pid
	// is only ever signalled while it is in our namespace.
	pids := e.nsPids()
	for _, pid := range pids {
		if !processExited(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	deadline := time.Now().Add(pollTimeout)
	for _, pid := range pids {
		for !processExited(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if !processExited(pid) {
			e.t.Errorf("cleanup: pid %d still running after SIGKILL", pid)
		}
	}
	reapOrphans()
}

// reapOrphans reaps the exited processes this (subreaper) process adopted.
// Tests do not run in parallel and wait for the commands they run, so
// when one ends no os/exec child is waiting to be reaped by its own Cmd.
func reapOrphans() {
	me := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:])) // state, ppid, ...
		if len(f) < 2 || f[0] != "Z" || f[1] != strconv.Itoa(me) || !processExited(pid) {
			continue
		}
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	}
}

// nsPids lists the processes running in the namespace.
func (e *env) nsPids() []int {
	out, _ := exec.Command("ip", "netns", "pids", e.ns).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// processExited reports whether pid is gone, or a zombie whose threads
// have all exited. A multi-threaded process's leader turns zombie before
// its other threads finish exiting, and they hold its descriptors (sockets,
// taps) until they do.
func processExited(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return true
	}
	if state := b[i+2]; state != 'Z' && state != 'X' {
		return false
	}
	threads, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	return err != nil || len(threads) <= 1
}

func isSocket(path string) bool {
	st, err := os.Lstat(path)
	return err == nil && st.Mode()&os.ModeSocket != 0
}

// result is a finished command.
type result struct {
	stdout, stderr string
	code           int // -1: did not finish or could not start
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// run runs argv inside the namespace with extra environment variables.
func (e *env) run(extraEnv []string, argv ...string) result {
	return e.runTimeout(cmdTimeout, extraEnv, argv...)
}

func (e *env) runTimeout(d time.Duration, extraEnv []string, argv ...string) result {
	return e.runIn("", d, extraEnv, argv...)
}

// runIn runs argv inside the namespace in working directory dir ("" for
// the test's own).
func (e *env) runIn(dir string, d time.Duration, extraEnv []string, argv ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", e.ns}, argv...)...)
	cmd.Dir = dir
	return runCmd(ctx, cmd, extraEnv)
}

// runCmd runs cmd with extraEnv and collects its result.
func runCmd(ctx context.Context, cmd *exec.Cmd, extraEnv []string) result {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		r.code = -1
		r.stderr += fmt.Sprintf("[killed: %v]", ctx.Err())
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		r.code = ee.ExitCode()
	default:
		r.code = -1
		r.stderr += fmt.Sprintf("[%v]", err)
	}
	return r
}

// mustRun runs argv in the namespace and fails the test unless it exits 0.
func (e *env) mustRun(extraEnv []string, argv ...string) string {
	e.t.Helper()
	r := e.run(extraEnv, argv...)
	if r.code != 0 {
		e.t.Fatalf("%s: got %v, want exit 0", strings.Join(argv, " "), r)
	}
	return r.stdout
}

// ip runs ip(8) in the namespace and fails the test unless it succeeds.
func (e *env) ip(args ...string) string {
	e.t.Helper()
	return e.mustRun(nil, append([]string{"ip"}, args...)...)
}

// rifAt runs rifconfig against the server at url.
func (e *env) rifAt(url string, args ...string) result {
	return e.run([]string{"RUMP_SERVER=" + url}, append([]string{bin("rifconfig")}, args...)...)
}

// rif runs rifconfig against the default server.
func (e *env) rif(args ...string) result { return e.rifAt(e.url, args...) }

// mustRif runs rifconfig against the default server and fails the test
// unless it exits 0 with nothing on stderr; it returns stdout.
func (e *env) mustRif(args ...string) string {
	e.t.Helper()
	return e.mustRifAt(e.url, args...)
}

// mustRifAt is mustRif against the server at url.
func (e *env) mustRifAt(url string, args ...string) string {
	e.t.Helper()
	r := e.rifAt(url, args...)
	if r.code != 0 || r.stderr != "" {
		e.t.Fatalf("RUMP_SERVER=%s rifconfig %s: got %v, want exit 0 and no stderr", url, strings.Join(args, " "), r)
	}
	return r.stdout
}

// startServerAt runs rump_server [args] url in the namespace, requires it
// to exit 0 (ready), and returns the running server.
func (e *env) startServerAt(url string, args ...string) *server {
	e.t.Helper()
	s := e.addServer(url)
	argv := append(append([]string{bin("rump_server")}, args...), url)
	r := e.run(nil, argv...)
	if r.code != 0 {
		e.t.Fatalf("%s: got %v, want exit 0", strings.Join(argv, " "), r)
	}
	// Ready means the socket answers now, with no waiting.
	info, err := s.c.Info()
	if err != nil {
		e.t.Fatalf("GET /v1/ right after rump_server returned: got %v, want the server's info", err)
	}
	s.pid = info.Pid
	e.setInetDAD(s)
	return s
}

// setInetDAD sets a new server's net.inet.ip.dad_count to 0 unless the
// test is about DAD (e.inetDAD), as NetBSD's tests do where addresses are
// not what they test: inet addresses are usable at once.
func (e *env) setInetDAD(s *server) {
	e.t.Helper()
	if e.inetDAD {
		return
	}
	if _, err := s.c.Set("net.inet.ip.dad_count", 0); err != nil {
		e.t.Fatalf("RUMP_SERVER=%s rsysctl -w net.inet.ip.dad_count=0: %v", s.url, err)
	}
}

// addServer records a server at an absolute unix:// url, so that cleanup
// halts it even if the test fails before it knows the server runs.
func (e *env) addServer(url string) *server {
	s := &server{url: url, sock: strings.TrimPrefix(url, "unix://"), c: &client.Client{URL: url}}
	e.servers = append(e.servers, s)
	return s
}

// startServer starts a server on the env's default socket.
func (e *env) startServer(args ...string) *server {
	e.t.Helper()
	return e.startServerAt(e.url, args...)
}

// linkExists reports whether the namespace has a link called name.
func (e *env) linkExists(name string) bool {
	return e.run(nil, "ip", "link", "show", "dev", name).code == 0
}

// links lists the namespace's link names.
func (e *env) links() []string {
	out := e.run(nil, "ip", "-o", "link", "show").stdout
	var names []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			names = append(names, strings.TrimSuffix(strings.SplitN(f[1], "@", 2)[0], ":"))
		}
	}
	return names
}

// wantLink fails the test unless the tap's presence is as wanted.
func (e *env) wantLink(name string, want bool) {
	e.t.Helper()
	if got := e.linkExists(name); got != want {
		e.t.Fatalf("link %s in namespace: got present=%v, want %v (links %v)", name, got, want, e.links())
	}
}

// waitFor polls cond until it holds or pollTimeout passes; then it fails
// the test with cond's last description of what it saw.
func (e *env) waitFor(what string, cond func() (ok bool, got string)) {
	e.t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for {
		ok, got := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: got %s after polling %v, want it to happen", what, got, pollTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitExited waits for pid to exit.
func (e *env) waitExited(pid int) {
	e.t.Helper()
	e.waitFor(fmt.Sprintf("pid %d exits", pid), func() (bool, string) {
		return processExited(pid), "still running"
	})
}

// waitLinkGone waits until the namespace no longer has the link.
func (e *env) waitLinkGone(name string) {
	e.t.Helper()
	e.waitFor("link "+name+" disappears", func() (bool, string) {
		return !e.linkExists(name), fmt.Sprintf("links %v", e.links())
	})
}

// hostSide gives the namespace's end of a tap an address and brings it up.
func (e *env) hostSide(tap, addr string) {
	e.t.Helper()
	args := []string{"addr", "add", addr, "dev", tap}
	if strings.Contains(addr, ":") {
		args = append(args, "nodad")
	}
	e.ip(args...)
	e.ip("link", "set", tap, "up")
}

// ping pings addr from the namespace and fails the test unless every reply
// arrives.
func (e *env) ping(addr string) {
	e.t.Helper()
	argv := []string{"ping", "-c", "3", "-i", "0.2", "-W", "2", addr}
	if strings.Contains(addr, ":") {
		argv = []string{"ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", addr}
	}
	r := e.run(nil, argv...)
	if r.code != 0 || !strings.Contains(r.stdout, " 0% packet loss") {
		e.t.Fatalf("%s: got %v, want exit 0 and 0%% packet loss", strings.Join(argv, " "), r)
	}
}

// tcpRefused connects from the namespace to a closed TCP port of the rump
// kernel: its stack must answer with RST ("Connection refused").
func (e *env) tcpRefused(addr string, port int) {
	e.t.Helper()
	r := e.run(nil, "timeout", "20", "bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%d", addr, port))
	if r.code == 0 || !strings.Contains(r.stderr, "Connection refused") {
		e.t.Fatalf("TCP connect to %s port %d: got %v, want Connection refused", addr, port, r)
	}
}

// waitNoTentative polls rifconfig until no address of ifname is TENTATIVE.
func (e *env) waitNoTentative(ifname string) {
	e.t.Helper()
	e.waitFor("DAD on "+ifname+" completes", func() (bool, string) {
		r := e.rif(ifname)
		return r.code == 0 && !strings.Contains(r.stdout, "TENTATIVE"), r.String()
	})
}

// fdCount counts a process's open file descriptors.
func fdCount(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents), err
}
