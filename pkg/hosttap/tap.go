// Package hosttap opens Linux tap devices for virt(4) interfaces: it attaches
// to /dev/net/tun as a named tap, creating the device or joining an existing
// persistent one, and reports which of the two happened.
//
// It talks to the host kernel only through /dev/net/tun ioctls; it must not
// configure addresses or links (that is the netlink backend's job) and must
// not run ip(8).
//
// Offloads: the tap is opened with IFF_VNET_HDR and TUNSETOFFLOAD(CSUM,
// TSO4, TSO6), so every frame read or written is preceded by a 10-byte
// virtio-net header (VnetHdrLen): the host may hand over TCP super-frames
// of up to 64 KiB with a partial checksum, and takes ours, segmenting them
// itself. Interpreting the header is the caller's business.
//
// Ownership: a *Tap owns its *os.File. The file is kept reachable for as long
// as the Tap is, so the garbage collector can never close the descriptor under
// a running interface; only Close closes it, or a reattach (linkwatch.go)
// that replaces the descriptor of a deleted persistent tap by a new one.
//
// Link state: a Tap watches its host device through netlink (linkwatch.go)
// and reports whether frames can pass (LinkUp): the device exists, is
// attached by us and is up on the host.
//
// songgao/water is not used for this: its open always issues TUNSETPERSIST,
// which would clear the persistence of a tap an administrator made for us, and
// it leaks the descriptor when TUNSETIFF fails.
package hosttap

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// MaxNameLen is the longest Linux interface name (IFNAMSIZ - 1).
const MaxNameLen = unix.IFNAMSIZ - 1

// VnetHdrLen is the size of the virtio-net header before every frame.
const VnetHdrLen = 10

// TUNSETOFFLOAD flags (linux/if_tun.h).
const (
	tunFCsum = 0x01
	tunFTSO4 = 0x02
	tunFTSO6 = 0x04
)

// Tap is an open tap device.
type Tap struct {
	name    string
	cur     atomic.Pointer[tapFile] // the descriptor in use
	persist bool
	rop     *vecOp    // Readv's, reused: there is one reader
	wops    sync.Pool // of *vecOp, for Writev
	watch   *linkWatch
	closed  atomic.Bool
}

// Tap is a rump.FrameDevice: a virtio-net header and one frame per Read and
// per Write.
var _ io.ReadWriteCloser = (*Tap)(nil)

// tapFile is one descriptor attached to the tap.
type tapFile struct {
	file *os.File
	raw  syscall.RawConn // file's, for readv and writev
}

func newTapFile(fd int, name string) (*tapFile, error) {
	f := &tapFile{file: os.NewFile(uintptr(fd), "/dev/net/tun:"+name)}
	var err error
	if f.raw, err = f.file.SyscallConn(); err != nil {
		f.file.Close()
		return nil, err
	}
	return f, nil
}

// vecOp is one readv or writev through the file's poller. RawConn takes a
// function; making it once per vecOp rather than once per call keeps the
// frame path free of allocations.
type vecOp struct {
	bufs [][]byte
	n    int
	err  error
	fn   func(fd uintptr) bool // for RawConn.Read or Write
}

func newVecOp(write bool) *vecOp {
	op := new(vecOp)
	if write {
		op.fn = func(fd uintptr) bool {
			op.n, op.err = unix.Writev(int(fd), op.bufs)
			return op.err != unix.EAGAIN
		}
	} else {
		op.fn = func(fd uintptr) bool {
			op.n, op.err = unix.Readv(int(fd), op.bufs)
			return op.err != unix.EAGAIN
		}
	}
	return op
}

// Open attaches to the tap called name, creating it if it does not exist. A
// tap created here is not persistent and vanishes on Close; an existing
// persistent tap is joined and stays after Close.
func Open(name string) (*Tap, error) {
	if name == "" || len(name) > MaxNameLen {
		return nil, &os.PathError{Op: "open tap", Path: name, Err: syscall.EINVAL}
	}
	// Watching starts before the first look at the device, so that no
	// change after that look is missed.
	w, werr := newLinkWatch(name)
	fd, flags, err := attach(name)
	if err != nil {
		if w != nil {
			w.nl.Close()
		}
		return nil, err
	}
	if flags&unix.IFF_PERSIST == 0 {
		setTxQueueLen(name, txQueueLen)
	}
	t := &Tap{name: name, persist: flags&unix.IFF_PERSIST != 0, rop: newVecOp(false)}
	f, err := newTapFile(fd, name)
	if err != nil {
		if w != nil {
			w.nl.Close()
		}
		return nil, &os.PathError{Op: "open tap", Path: name, Err: err}
	}
	t.cur.Store(f)
	if werr != nil {
		// Without netlink the link is taken as up for good.
		w = &linkWatch{done: make(chan struct{})}
		w.up.Store(true)
		close(w.done)
	} else {
		w.start(t)
	}
	t.watch = w
	return t, nil
}

// attach opens /dev/net/tun as the tap called name with our offloads and
// returns the descriptor and the tap's flags.
func attach(name string) (int, uint16, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, 0, &OpenError{Name: name, Err: err, Reason: tunReason(err)}
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return -1, 0, &os.PathError{Op: "open tap", Path: name, Err: syscall.EINVAL}
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return -1, 0, attachError(name, err)
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, tunFCsum|tunFTSO4|tunFTSO6); err != nil {
		unix.Close(fd)
		return -1, 0, &os.PathError{Op: "set tap offloads", Path: name, Err: err}
	}
	flags, err := getFlags(fd)
	if err != nil {
		unix.Close(fd)
		return -1, 0, &os.PathError{Op: "query tap", Path: name, Err: err}
	}
	return fd, flags, nil
}

// txQueueLen is the transmit queue given to taps created here: a tap
// made by TUNSETIFF gets 500 frames, which a burst from a fast sender on
// the host overflows while the kernel's reader is descheduled.
const txQueueLen = 5000

// setTxQueueLen sets the host interface's transmit queue length. It is
// best effort: without CAP_NET_ADMIN the default stays.
func setTxQueueLen(name string, n uint32) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return
	}
	ifr.SetUint32(n)
	unix.IoctlIfreq(s, unix.SIOCSIFTXQLEN, ifr)
}

func getFlags(fd int) (uint16, error) {
	var ifr [40]byte // struct ifreq
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNGETIFF, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		return 0, e
	}
	return *(*uint16)(unsafe.Pointer(&ifr[unix.IFNAMSIZ])), nil
}

// Persistent reports whether the tap outlives this Tap (it was made
// persistent by someone else before we attached).
func (t *Tap) Persistent() bool { return t.persist }

// VnetHdrLen reports the size of the virtio-net header that precedes every
// frame Read returns and Write takes.
func (t *Tap) VnetHdrLen() int { return VnetHdrLen }

// Read reads one virtio-net header and frame into b, blocking until one
// arrives or the tap is closed. b needs room for 64 KiB frames.
func (t *Tap) Read(b []byte) (int, error) { return t.cur.Load().file.Read(b) }

// Readv reads one virtio-net header and frame scattered over bufs with a
// single readv(2), blocking like Read. Only one goroutine may call it at a
// time.
func (t *Tap) Readv(bufs [][]byte) (int, error) {
	op := t.rop
	op.bufs = bufs
	err := t.cur.Load().raw.Read(op.fn)
	op.bufs = nil
	if err != nil {
		if t.closed.Load() {
			return 0, os.ErrClosed
		}
		// The poller reports an error on the descriptor: the tap was
		// deleted under us.
		return 0, &os.PathError{Op: "readv", Path: t.name, Err: err}
	}
	return op.n, op.err
}

// Write writes one virtio-net header and frame.
func (t *Tap) Write(b []byte) (int, error) { return t.cur.Load().file.Write(b) }

// Writev writes one virtio-net header and frame gathered from bufs with a
// single writev(2), sparing the caller a copy into one buffer.
func (t *Tap) Writev(bufs [][]byte) (int, error) {
	op, _ := t.wops.Get().(*vecOp)
	if op == nil {
		op = newVecOp(true)
	}
	op.bufs = bufs
	err := t.cur.Load().raw.Write(op.fn)
	n, werr := op.n, op.err
	op.bufs = nil
	t.wops.Put(op)
	if err != nil {
		return 0, err
	}
	return n, werr
}

// Close detaches from the tap; a non-persistent tap disappears from the host.
// A Read blocked on the tap returns os.ErrClosed.
func (t *Tap) Close() error {
	t.closed.Store(true)
	t.watch.stop()
	return t.cur.Load().file.Close()
}

// IsClosed reports whether err is the error a Read returns after Close.
func IsClosed(err error) bool { return errors.Is(err, os.ErrClosed) }

// CreatePersistent makes a persistent tap owned by uid and returns without
// holding it open. With uid -1 the tap has no owner, and then Linux lets any
// user who can open /dev/net/tun attach to it; an owned tap admits only its
// owner (and CAP_NET_ADMIN).
func CreatePersistent(name string, uid int) error {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/dev/net/tun", Err: err}
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return &os.PathError{Op: "create tap", Path: name, Err: syscall.EINVAL}
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return &os.PathError{Op: "create tap", Path: name, Err: err}
	}
	if uid >= 0 {
		if err := unix.IoctlSetInt(fd, unix.TUNSETOWNER, uid); err != nil {
			return fmt.Errorf("set owner of %s: %w", name, err)
		}
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETPERSIST, 1); err != nil {
		return fmt.Errorf("make %s persistent: %w", name, err)
	}
	return nil
}
