package hijack

// Starting the program under the filter without a stub: a goroutine locks
// itself to a new thread, sets no_new_privs and installs the filter on
// that thread alone, and forks the program from it, so the child inherits
// the filter and the listener is ours at once. The goroutine then returns
// still locked, and the Go runtime ends the thread rather than reuse it:
// no other goroutine ever runs under the filter, so the supervisor never
// intercepts itself.

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
	type result struct {
		lfd int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: this thread carries the filter and must die.
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			done <- result{-1, err}
			return
		}
		lfd, err := installFilter(Filter())
		if err != nil {
			done <- result{-1, err}
			return
		}
		unix.CloseOnExec(lfd)
		if err := cmd.Start(); err != nil {
			unix.Close(lfd)
			done <- result{-1, err}
			return
		}
		done <- result{lfd, nil}
	}()
	r := <-done
	if r.err != nil {
		return nil, -1, r.err
	}
	return cmd, r.lfd, nil
}
