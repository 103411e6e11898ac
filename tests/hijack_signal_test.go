package tests

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestHijackCtrlCInAccept is Ctrl-C to python blocked in accept under
// rumphijack: the terminal's SIGINT reaches the whole process group, and
// python's handler raises KeyboardInterrupt although the supervisor holds
// the call.
func TestHijackCtrlCInAccept(t *testing.T) {
	requireHijack(t, "python3")
	e := newEnv(t)
	e.startServer()
	out := e.hijackBackground("python3", "-c", `
import os, socket
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
print(os.getpid(), os.getppid(), flush=True)
try:
    l.accept()
except KeyboardInterrupt:
    print("interrupted", flush=True)
`)
	line := e.waitLine("python prints its pids", out)
	var pids []int
	for _, f := range strings.Fields(line) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("pids: got %q, want two numbers", line)
		}
		pids = append(pids, pid)
	}
	if len(pids) != 2 {
		t.Fatalf("pids: got %q, want two numbers", line)
	}
	e.waitFor("python waits in accept", func() (bool, string) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pids[0]) + "/syscall")
		return strings.HasPrefix(string(b), strconv.Itoa(syscall.SYS_ACCEPT4)+" "), string(b)
	})
	for _, pid := range pids { // python, then rumphijack, as a terminal does
		syscall.Kill(pid, syscall.SIGINT)
	}
	e.waitFor("python interrupted", func() (bool, string) {
		return strings.Contains(out.String(), "interrupted\n"), strconv.Quote(out.String())
	})
}
