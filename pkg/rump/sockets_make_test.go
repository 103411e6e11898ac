package rump

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSocketOn: a socket on a pair the client made takes the number the
// client picked, only a negative one not in use, and only an end of its
// type's pair; the set's own numbers stay apart.
func TestSocketOn(t *testing.T) {
	k := newKernel(t, Options{})
	ss := newSet(t, k)
	end := func(typ int) *os.File {
		fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fds[1]) })
		return os.NewFile(uintptr(fds[0]), "end")
	}
	for _, tt := range []struct {
		name string
		id   int
		typ  string
		pair int
		want error
	}{
		{"stream", -1, "stream", unix.SOCK_STREAM, nil},
		{"datagram", -2, "dgram", unix.SOCK_SEQPACKET, nil},
		{"number in use", -1, "stream", unix.SOCK_STREAM, syscall.EEXIST},
		{"positive number", 5, "stream", unix.SOCK_STREAM, syscall.EINVAL},
		{"pair of the wrong type", -3, "dgram", unix.SOCK_STREAM, syscall.EINVAL},
		{"unknown type", -4, "raw", unix.SOCK_STREAM, syscall.EPROTONOSUPPORT},
	} {
		err := ss.SocketOn(tt.id, 4, tt.typ, end(tt.pair))
		if (tt.want == nil) != (err == nil) || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	// The set's own socket is counted while its end is open: closing the
	// end closes the socket as soon as the set notices.
	id, f := mustSocket(t, ss, 4, "stream")
	defer f.Close()
	if id != 1 {
		t.Errorf("the set's own number: got %d, want 1", id)
	}
	if got := ss.Len(); got != 3 {
		t.Errorf("sockets: got %d, want 3", got)
	}
}
