package rumpserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// listen opens the control socket at path with mode 0600. A socket a live
// server answers on is refused with EADDRINUSE; a stale one (nothing
// listening, as after SIGKILL) is taken over. A path that exists but is not a
// socket is never removed. The directory is flock(2)ed meanwhile.
func listen(path string) (*net.UnixListener, error) {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil {
		return nil, api.Errorf(api.ErrnoOf(err), fmt.Sprintf("directory %s", dir))
	} else if !st.IsDir() {
		return nil, api.Errorf(syscall.ENOTDIR, fmt.Sprintf("directory %s", dir))
	}
	// Probe, take over and bind under a lock on the directory, so that of
	// several servers started at once on one stale path exactly one wins.
	if d, err := os.Open(dir); err == nil {
		defer d.Close()
		if unix.Flock(int(d.Fd()), unix.LOCK_EX) == nil {
			defer unix.Flock(int(d.Fd()), unix.LOCK_UN)
		}
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, api.Errorf(syscall.EEXIST, "exists and is not a socket")
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, api.Errorf(syscall.EADDRINUSE, "another server is listening")
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, api.Errorf(api.ErrnoOf(err), "probe existing socket")
		}
		if err := os.Remove(path); err != nil {
			return nil, api.Errorf(api.ErrnoOf(err), "remove stale socket")
		}
	}
	old := syscall.Umask(0o177)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, api.Errorf(api.ErrnoOf(err), "listen")
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, api.Errorf(api.ErrnoOf(err), "chmod")
	}
	// The server removes the socket itself, last, so that its disappearance
	// tells rhalt that shutdown is complete.
	l.SetUnlinkOnClose(false)
	return l, nil
}
