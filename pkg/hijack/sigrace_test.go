package hijack

// A signal while the program waits for an answer (doc/design.md, "A signal
// during a trapped call"): a handler must never write into a thread that
// has left the call, and a waiting call must still end for the program's
// signals.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// buildProg builds testdata/name as a static binary.
func buildProg(t *testing.T, name string) string {
	t.Helper()
	need(t, "go")
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	return bin
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline.
func waitFor(t *testing.T, h *hijacked, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 30s; output:\n%s", what, h.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// withoutKillable makes installFilter meet a kernel that refuses
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (before 5.19), until the test
// ends, and returns the flags it was asked for.
func withoutKillable(t *testing.T) func() []uintptr {
	real := seccompFilter
	var mu sync.Mutex
	var asked []uintptr
	seccompFilter = func(flags uintptr, fp *unix.SockFprog) (int, syscall.Errno) {
		mu.Lock()
		asked = append(asked, flags)
		mu.Unlock()
		if flags&unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV != 0 {
			return -1, unix.EINVAL
		}
		return real(flags, fp)
	}
	t.Cleanup(func() { seccompFilter = real })
	return func() []uintptr {
		mu.Lock()
		defer mu.Unlock()
		return append([]uintptr(nil), asked...)
	}
}

// logCounter counts the supervisor's log lines that contain a string.
type logCounter struct {
	mu    sync.Mutex
	lines []string
}

func (l *logCounter) logf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimSpace(fmt.Sprintf(format, a...)))
}

func (l *logCounter) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// pendingSignal reports whether sig is pending for thread tid.
func pendingSignal(tid int, sig syscall.Signal) bool {
	st, err := proc{tid: tid}.signals()
	return err == nil && (st.own|st.shared)&(1<<(sig-1)) != 0
}

// TestStaleCallWritesNothing holds a getsockname in the session while the
// program's thread gets a signal, lets the program go on, and only then
// lets the held handler finish: whatever the handler writes then lands on
// memory the program has reused.
func TestStaleCallWritesNothing(t *testing.T) {
	bin := buildProg(t, "sigrace")
	for _, tt := range []struct {
		name      string
		noFlag    bool
		wantCalls int // getsockname requests: 2 when the signal restarted the call
	}{
		{"killable wait", false, 1},
		{"kernel without the flag", true, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.noFlag {
				asked := withoutKillable(t)
				defer func() {
					if got := asked(); len(got) != 2 || got[1]&unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV != 0 {
						t.Errorf("seccomp flags asked: got %#x, want the flag and then none", got)
					}
				}()
			}
			fake := newFake()
			var calls atomic.Int32
			release := make(chan struct{})
			fake.sockNameHook = func() {
				if calls.Add(1) == 1 {
					<-release
				}
			}
			log := &logCounter{}
			h := startLogged(t, fake, log.logf, bin, "stale")
			var tid int
			waitFor(t, h, "tid printed", func() bool {
				line, _, ok := strings.Cut(h.out.String(), "\n")
				tid, _ = strconv.Atoi(strings.TrimPrefix(line, "tid "))
				return ok && tid > 0
			})
			waitFor(t, h, "getsockname held", func() bool { return calls.Load() >= 1 })
			pid := h.cmd.Process.Pid
			if err := unix.Tgkill(pid, tid, unix.SIGUSR1); err != nil {
				t.Fatalf("tgkill: %v", err)
			}
			// Without the flag the signal interrupts the call and it comes
			// again; with it the signal waits, pending, for the answer.
			waitFor(t, h, "signal taken or pending", func() bool {
				if tt.noFlag {
					return calls.Load() >= 2
				}
				return pendingSignal(tid, unix.SIGUSR1)
			})
			close(release)
			waitFor(t, h, "program moved on", func() bool { return strings.Contains(h.out.String(), "moved on") })
			waitFor(t, h, "every getsockname handled", func() bool {
				return log.count("getsockname(") == int(calls.Load())
			})
			h.cmd.Process.Signal(unix.SIGUSR2)
			if err := h.wait(t); err != nil {
				t.Fatalf("program: %v; output:\n%s", err, h.out.String())
			}
			if out := h.out.String(); !strings.HasSuffix(out, "moved on\nintact\n") {
				t.Errorf("got output\n%s\nwant the buffer intact", out)
			}
			if got := int(calls.Load()); got != tt.wantCalls {
				t.Errorf("getsockname requests: got %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

// TestSignalStorm answers getsockname and getsockopt into the stack of a
// Go program that preempts itself and signals itself all the time.
func TestSignalStorm(t *testing.T) {
	bin := buildProg(t, "sigrace")
	for _, tt := range []struct {
		name   string
		noFlag bool
	}{
		{"killable wait", false},
		{"kernel without the flag", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.noFlag {
				withoutKillable(t)
			}
			out, _ := run(t, "env", "GOMAXPROCS=1", bin, "storm")
			if out != "ok\n" {
				t.Errorf("got output %q, want %q", out, "ok\n")
			}
		})
	}
}

// TestSignalEndsWait interrupts python blocked in accept: SIGINT's handler
// raises KeyboardInterrupt, and a handler with SA_RESTART lets the accept
// go on and take the connection made after it.
func TestSignalEndsWait(t *testing.T) {
	need(t, "python3")
	prog := `
import socket, signal, sys, time
seen = []
signal.signal(signal.SIGUSR1, lambda *a: seen.append(1))
signal.siginterrupt(signal.SIGUSR1, False)
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4)
print("port", l.getsockname()[1], flush=True)
c = None
if sys.argv[1] == "restart":
    a, _ = l.accept()
    print("accepted", flush=True)
    sys.exit(0)
try:
    l.accept()
except KeyboardInterrupt:
    print("interrupted", flush=True)
`
	for _, tt := range []struct {
		name string
		sig  syscall.Signal
		want string
	}{
		{"int", unix.SIGINT, "interrupted\n"},
		{"restart", unix.SIGUSR1, "accepted\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := startHijacked(t, "python3", "-c", prog, tt.name)
			var port string
			waitFor(t, h, "port printed", func() bool {
				line, _, ok := strings.Cut(h.out.String(), "\n")
				port = strings.TrimPrefix(line, "port ")
				return ok
			})
			pid := h.cmd.Process.Pid
			waitFor(t, h, "accept waiting", func() bool {
				b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/syscall")
				return strings.HasPrefix(string(b), strconv.Itoa(unix.SYS_ACCEPT4)+" ") ||
					strings.HasPrefix(string(b), strconv.Itoa(unix.SYS_ACCEPT)+" ")
			})
			h.cmd.Process.Signal(tt.sig)
			if tt.sig == unix.SIGUSR1 {
				waitFor(t, h, "signal handled", func() bool { return !pendingSignal(pid, tt.sig) })
				c, err := net.Dial("tcp4", "127.0.0.1:"+port)
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				defer c.Close()
			}
			if err := h.wait(t); err != nil {
				t.Fatalf("program: %v; output:\n%s", err, h.out.String())
			}
			if _, got, _ := strings.Cut(h.out.String(), "\n"); got != tt.want {
				t.Errorf("got output %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseSignals(t *testing.T) {
	status := "Name:\tx\nThreads:\t%s\nSigQ:\t0/1\nSigPnd:\t%s\nShdPnd:\t%s\nSigBlk:\t%s\nSigIgn:\t0\n"
	for _, tt := range []struct {
		name                   string
		threads, pnd, shd, blk string
		want                   sigState
		wantErr                bool
	}{
		{"none", "1", "0000000000000000", "0000000000000000", "0000000000000000", sigState{threads: 1}, false},
		{"own SIGINT", "3", "0000000000000002", "0000000000000000", "0000000000000000", sigState{own: 2, threads: 3}, false},
		{"shared, one blocked", "2", "0000000000000000", "0000000000000202", "0000000000000200", sigState{shared: 2, threads: 2}, false},
		{"garbage", "1", "zz", "0", "0", sigState{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSignals(fmt.Sprintf(status, tt.threads, tt.pnd, tt.shd, tt.blk))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %+v, %v, want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := parseSignals("Name:\tx\n"); err == nil {
		t.Errorf("no signal lines: got no error, want one")
	}
}
