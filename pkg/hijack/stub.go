package hijack

// Starting the program under the filter.
//
// rumphijack re-executes itself with EnvStub set. That copy, the stub, locks
// its goroutine to one thread, sets no_new_privs, installs the filter on
// that thread alone with a new listener, writes the listener's number to
// the report pipe and waits for a byte on the go pipe: by then the parent
// has taken its own copy of the listener with pidfd_getfd. Then the stub
// execs the program; execve keeps the filter, every thread and child the
// program makes inherits it, and the stub's copy of the listener goes away
// with O_CLOEXEC. The stub itself never makes a trapped call, so nothing
// waits on a listener nobody reads yet.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// EnvStub marks the stub; its value is the program's path.
const EnvStub = "RUMPHIJACK_STUB_PATH"

// The stub's inherited descriptors.
const (
	stubReportFD = 3
	stubGoFD     = 4
)

// StubMain runs the stub when the environment says this process is one and
// never returns then; otherwise it returns at once. Call it first in main.
func StubMain() {
	path, ok := os.LookupEnv(EnvStub)
	if !ok {
		return
	}
	os.Exit(stub(path))
}

func stub(path string) int {
	runtime.LockOSThread()
	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, EnvStub+"=") {
			env = append(env, kv)
		}
	}
	syscall.CloseOnExec(stubReportFD)
	syscall.CloseOnExec(stubGoFD)
	fail := func(what string, err error) int {
		fmt.Fprintf(os.Stderr, "rumphijack: %s: %v\n", what, err)
		return 126
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fail("prctl(PR_SET_NO_NEW_PRIVS)", err)
	}
	lfd, err := installFilter(Filter())
	if err != nil {
		return fail("seccomp", err)
	}
	if _, err := unix.Write(stubReportFD, []byte(strconv.Itoa(lfd)+"\n")); err != nil {
		return fail("report listener", err)
	}
	unix.Close(stubReportFD)
	var b [1]byte
	if n, _ := unix.Read(stubGoFD, b[:]); n != 1 {
		return 126 // the parent went away before the go-ahead
	}
	unix.Close(stubGoFD)
	err = syscall.Exec(path, os.Args, env)
	fmt.Fprintf(os.Stderr, "rumphijack: %s: %v\n", path, err)
	if errors.Is(err, syscall.ENOENT) {
		return 127
	}
	return 126
}

// Started is a program running under the filter.
type Started struct {
	Cmd      *exec.Cmd
	Listener int // the parent's copy of the seccomp listener
	goW      *os.File
}

// Start starts argv under the filter, resolving argv[0] with PATH, and
// returns with the program stopped before its exec until Go is called.
// self is the executable that runs StubMain first ("/proc/self/exe").
func Start(self string, argv []string, cfg func(*exec.Cmd)) (*Started, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, err
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer repR.Close()
	goR, goW, err := os.Pipe()
	if err != nil {
		repW.Close()
		return nil, err
	}
	cmd := &exec.Cmd{Path: self, Args: argv, Env: append(os.Environ(), EnvStub+"="+path)}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if cfg != nil {
		cfg(cmd)
	}
	cmd.ExtraFiles = []*os.File{repW, goR}
	err = cmd.Start()
	repW.Close()
	goR.Close()
	if err != nil {
		goW.Close()
		return nil, err
	}
	s := &Started{Cmd: cmd, Listener: -1, goW: goW}
	if err := s.takeListener(repR); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

func (s *Started) takeListener(repR *os.File) error {
	var buf [32]byte
	n, _ := repR.Read(buf[:])
	num, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		s.Cmd.Wait()
		return errors.New("the stub failed before installing the filter")
	}
	pidfd, err := unix.PidfdOpen(s.Cmd.Process.Pid, 0)
	if err != nil {
		return fmt.Errorf("pidfd_open: %w", err)
	}
	defer unix.Close(pidfd)
	lfd, err := unix.PidfdGetfd(pidfd, num, 0)
	if err != nil {
		return fmt.Errorf("pidfd_getfd: %w", err)
	}
	unix.CloseOnExec(lfd)
	s.Listener = lfd
	return nil
}

func (s *Started) abort() {
	s.goW.Close()
	s.Cmd.Process.Kill()
	s.Cmd.Wait()
}

// Go lets the stub exec the program.
func (s *Started) Go() error {
	defer s.goW.Close()
	_, err := s.goW.Write([]byte{1})
	return err
}
