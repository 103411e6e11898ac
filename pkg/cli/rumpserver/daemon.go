package rumpserver

// Detaching. Go cannot fork, so without -s the parent re-executes itself as
// the server with a pipe on fd 3 (named by envReadyFD) and waits: the child
// writes "ok" once its socket accepts requests, or its error message, then
// closes the pipe. The parent exits 0 only after "ok"; a child that dies
// without a word is reported too. The child runs in its own session with its
// stdio on /dev/null.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

const envReadyFD = "RUMPNET_SERVER_READY_FD"

const readyOK = "ok"

// startupTimeout bounds how long the parent waits for the child's verdict.
const startupTimeout = 30 * time.Second

// detach starts the server as a background child and returns its startup
// verdict: nil once it is ready.
func detach(args []string) error {
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
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), envReadyFD+"=3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	// A child that neither reports nor exits within startupTimeout is
	// killed, so a script never hangs on rump_server.
	timer := time.AfterFunc(startupTimeout, func() { cmd.Process.Kill() })
	msg, _ := io.ReadAll(io.LimitReader(r, 4096))
	timer.Stop()
	verdict := strings.TrimSpace(string(msg))
	if verdict == readyOK {
		cmd.Process.Release()
		return nil
	}
	state, _ := cmd.Process.Wait()
	if verdict == "" {
		return fmt.Errorf("server exited during startup (%v)", state)
	}
	return &startupError{verdict}
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
