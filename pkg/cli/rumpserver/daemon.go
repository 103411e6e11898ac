package rumpserver

// Detaching. Go cannot fork, so without -s the parent re-executes itself as
// the server (argv[0] "rump_server", whatever the file is called) with a
// pipe on fd 3 (named by envReadyFD) and waits: the child writes "ok" once
// its socket accepts requests, or its error message, then closes the pipe. The parent exits 0 only after "ok"; a child that dies
// without a word is reported too. The child runs in its own session with its
// stdio on /dev/null from the start (startup errors travel on the pipe), and
// inherits no other descriptor of its caller: a pipe the caller's caller
// left open (`rump_server unix:///tmp/k 7>&1 | cat`, or the pipe of a
// `$(...)`) would otherwise stay open for the server's whole life, and
// whoever reads it would wait for its end as long.

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const envReadyFD = "RUMPNET_SERVER_READY_FD"

const readyOK = "ok"

// startupTimeout bounds how long the parent waits for the child's verdict.
const startupTimeout = 30 * time.Second

// detach starts the server as a background child and returns its startup
// verdict: nil once it is ready.
func detach(args, env []string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	defer r.Close()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		w.Close()
		return err
	}
	defer devnull.Close()
	// argv[0] names the tool, not the file: the executable may be the
	// rumpnet multi-call binary, which runs the tool its argv[0] names.
	// ForkExec, not os/exec: os's first start of a process probes for
	// pidfd support with a clone of its own, a measurable part of the
	// start (doc/performance.md, "A tool call and a start").
	attr := &syscall.ProcAttr{
		Env:   append(append(os.Environ(), env...), envReadyFD+"=3"),
		Files: []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd(), w.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	if err := closeOnExecAll(); err != nil {
		w.Close()
		return fmt.Errorf("mark descriptors close-on-exec: %w", err)
	}
	pid, err := syscall.ForkExec(exe, append([]string{"rump_server"}, args...), attr)
	w.Close()
	if err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	// A child that neither reports nor exits within startupTimeout is
	// killed, so a script never hangs on rump_server.
	timer := time.AfterFunc(startupTimeout, func() { syscall.Kill(pid, syscall.SIGKILL) })
	msg, _ := io.ReadAll(io.LimitReader(r, 4096))
	timer.Stop()
	verdict := strings.TrimSpace(string(msg))
	if verdict == readyOK {
		return nil
	}
	state := wait(pid)
	if verdict == "" {
		return fmt.Errorf("server exited during startup (%s)", state)
	}
	return &startupError{verdict}
}

// wait reaps the child pid and says how it ended, as os.ProcessState
// does: "exit status 1", "signal: killed".
func wait(pid int) string {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err == nil {
			break
		}
		if err != syscall.EINTR {
			return err.Error()
		}
	}
	switch {
	case ws.Exited():
		return "exit status " + strconv.Itoa(ws.ExitStatus())
	case ws.Signaled() && ws.CoreDump():
		return "signal: " + ws.Signal().String() + " (core dumped)"
	case ws.Signaled():
		return "signal: " + ws.Signal().String()
	}
	return "status " + strconv.Itoa(int(ws))
}

// closeOnExecAll marks every descriptor above stderr close-on-exec, so that
// a child gets only the ones exec.Cmd gives it. Go opens its own with the
// flag already; those inherited from the caller do not have it.
func closeOnExecAll() error {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, name := range names {
		if fd, err := strconv.Atoi(name); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}

// startupError is a message the child reported; it is printed as is.
type startupError struct{ msg string }

func (e *startupError) Error() string { return e.msg }

// readyPipe returns the pipe to the waiting parent, or nil when this process
// was not started by detach.
func readyPipe() *os.File {
	if os.Getenv(envReadyFD) != "3" {
		return nil
	}
	os.Unsetenv(envReadyFD)
	return os.NewFile(3, "ready")
}
