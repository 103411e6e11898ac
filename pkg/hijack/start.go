package hijack

// Starting the program under the filter without a stub: a goroutine locks
// itself to a new thread, sets no_new_privs and installs the filter on
// that thread alone, and forks the program from it, so the child inherits
// the filter and the listener is ours at once. The goroutine then returns
// still locked, and the Go runtime ends the thread rather than reuse it:
// no other goroutine ever runs under the filter, so the supervisor never
// intercepts itself. (Go parks rather than ends the main thread, so the
// filter never goes on that one.)
//
// Spawn forks with syscall.ForkExec and waits with wait4 rather than
// through os/exec: the os package's first start of a process (and its
// FindProcess) probes the kernel for pidfd support with a process of its
// own, which rumphijack, starting one program, would pay on every run.

import (
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"

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
	r := startLocked(cmd.Start)
	if r.err != nil {
		return nil, -1, r.err
	}
	return cmd, r.lfd, nil
}

// Proc is a program Spawn started.
type Proc struct {
	// Pid is the program's process id.
	Pid int

	mu     sync.Mutex
	reaped bool // the pid may name another process now
}

// Spawn starts argv under the filter as Start does, with files as its
// descriptors 0, 1, 2..., in the environment env, and returns the
// running program and the listener.
func Spawn(argv []string, files []*os.File, env []string) (*Proc, int, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, -1, err
	}
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = f.Fd()
	}
	p := &Proc{}
	r := startLocked(func() error {
		pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: env, Files: fds})
		if err != nil {
			return &os.PathError{Op: "fork/exec", Path: path, Err: err}
		}
		p.Pid = pid
		return nil
	})
	runtime.KeepAlive(files)
	if r.err != nil {
		return nil, -1, r.err
	}
	return p, r.lfd, nil
}

// Signal sends sig to the program, unless Wait has reaped it.
func (p *Proc) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaped {
		return os.ErrProcessDone
	}
	return syscall.Kill(p.Pid, sig)
}

// Wait waits for the program to end and returns its status. It waits
// without reaping first, so that Signal never reaches a process that has
// taken the pid over.
func (p *Proc) Wait() (syscall.WaitStatus, error) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, p.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return 0, os.NewSyscallError("waitid", err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(p.Pid, &ws, 0, nil)
		if err == nil {
			p.reaped = true
			return ws, nil
		}
		if err != syscall.EINTR {
			return 0, os.NewSyscallError("wait4", err)
		}
	}
}

type started struct {
	lfd int
	err error
}

// startLocked runs start from a new goroutine locked to its thread, which
// installs the filter and never unlocks, so the thread ends with it. The
// main thread cannot end (Go parks it instead): if the goroutine lands
// there, it holds the main thread and tries again from another goroutine,
// which cannot run on it.
func startLocked(start func() error) started {
	done := make(chan started, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			r := startLocked(start)
			runtime.UnlockOSThread()
			done <- r
			return
		}
		// No UnlockOSThread: this thread carries the filter and must end.
		done <- filterAndStart(start)
	}()
	return <-done
}

// filterAndStart installs the filter on the calling thread and runs start
// on it.
func filterAndStart(start func() error) started {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return started{-1, err}
	}
	lfd, err := installFilter(Filter())
	if err != nil {
		return started{-1, err}
	}
	unix.CloseOnExec(lfd)
	if err := start(); err != nil {
		unix.Close(lfd)
		return started{-1, err}
	}
	return started{lfd, nil}
}
