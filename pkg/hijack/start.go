package hijack

// Starting the program under the filter without a stub: a goroutine locks
// itself to a new thread, sets no_new_privs and installs the filter on
// that thread alone, and forks the program from it, so the child inherits
// the filter and the listener is ours at once. The goroutine then returns
// still locked, and the Go runtime ends the thread rather than reuse it:
// no other goroutine ever runs under the filter, so the supervisor never
// intercepts itself. (Go parks rather than ends the main thread, so the
// filter never goes on that one.)

import (
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// Start starts argv under the filter, resolving argv[0] with PATH,
// and returns the running program and the listener.
func Start(argv []string, cfg func(*exec.Cmd)) (*exec.Cmd, int, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, -1, err
	}
	cmd := &exec.Cmd{Path: path, Args: argv}
	if cfg != nil {
		cfg(cmd)
	}
	r := startLocked(cmd)
	if r.err != nil {
		return nil, -1, r.err
	}
	return cmd, r.lfd, nil
}

type started struct {
	lfd int
	err error
}

// startLocked starts cmd from a new goroutine locked to its thread, which
// installs the filter and never unlocks, so the thread ends with it. The
// main thread cannot end (Go parks it instead): if the goroutine lands
// there, it holds the main thread and tries again from another goroutine,
// which cannot run on it.
func startLocked(cmd *exec.Cmd) started {
	done := make(chan started, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			r := startLocked(cmd)
			runtime.UnlockOSThread()
			done <- r
			return
		}
		// No UnlockOSThread: this thread carries the filter and must end.
		done <- filterAndStart(cmd)
	}()
	return <-done
}

// filterAndStart installs the filter on the calling thread and starts cmd
// from it.
func filterAndStart(cmd *exec.Cmd) started {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return started{-1, err}
	}
	lfd, err := installFilter(Filter())
	if err != nil {
		return started{-1, err}
	}
	unix.CloseOnExec(lfd)
	if err := cmd.Start(); err != nil {
		unix.Close(lfd)
		return started{-1, err}
	}
	return started{lfd, nil}
}
