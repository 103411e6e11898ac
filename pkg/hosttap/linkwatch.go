package hosttap

// Link state of a tap. A Tap subscribes to the host's link notifications
// (an rtnetlink socket in the RTMGRP_LINK group, in the namespace the tap
// lives in) and keeps two facts up to date: whether its device is up on
// the host (IFF_UP) and whether it is gone (deleted under us). A goroutine
// blocked reading that socket costs nothing while no link changes; the
// frame path never looks at any of this. Polling the device's flags once a
// second per tap would cost a wakeup and an ioctl each second, and notice a
// change up to a second late.
//
// A deleted persistent tap is reattached: the administrator may add it
// again (ip tuntap add), and then a new descriptor is attached to it by
// name and replaces the dead one. Attempts wait for the device to exist
// (TUNSETIFF on a missing name would create a tap of our own) and are
// retried with a backoff bounded at reattachMax. A tap we created is not
// reattached: it belonged to us, and whoever deleted it meant it.

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Reattach backoff: the first retry after reattachMin, doubling up to
// reattachMax.
const (
	reattachMin = 20 * time.Millisecond
	reattachMax = time.Second
)

// linkWatch is a Tap's view of its host device.
type linkWatch struct {
	name string
	nl   *os.File      // the rtnetlink socket; nil if none could be made
	up   atomic.Bool   // the device is up on the host
	gone atomic.Bool   // the device we were attached to was deleted
	kick chan struct{} // wakes the reattacher
	done chan struct{} // closed by stop
	wg   sync.WaitGroup

	mu     sync.Mutex
	notify func() // called when LinkUp may have changed
}

// newLinkWatch opens the netlink socket for the tap called name.
func newLinkWatch(name string) (*linkWatch, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &linkWatch{
		name: name,
		nl:   os.NewFile(uintptr(fd), "rtnetlink"),
		kick: make(chan struct{}, 1),
		done: make(chan struct{}),
	}, nil
}

// start takes the device's state now and begins watching it for t.
func (w *linkWatch) start(t *Tap) {
	w.resync()
	w.wg.Add(2)
	go w.readLoop(t)
	go w.reattachLoop(t)
}

// stop ends the watch and waits for its goroutines.
func (w *linkWatch) stop() {
	select {
	case <-w.done:
		return
	default:
	}
	close(w.done)
	if w.nl != nil {
		w.nl.Close()
	}
	w.wg.Wait()
}

// resync reads the device's flags directly (after a lost notification).
func (w *linkWatch) resync() {
	flags, err := ifFlags(w.name)
	switch {
	case errors.Is(err, syscall.ENODEV):
		w.setGone()
	case err == nil:
		w.up.Store(flags&unix.IFF_UP != 0)
	}
}

func (w *linkWatch) setGone() {
	w.gone.Store(true)
	w.up.Store(false)
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *linkWatch) changed() {
	w.mu.Lock()
	fn := w.notify
	w.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// readLoop follows the link notifications until stop.
func (w *linkWatch) readLoop(t *Tap) {
	defer w.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := w.nl.Read(buf)
		if err != nil {
			if errors.Is(err, syscall.ENOBUFS) {
				// Notifications were dropped: look again.
				w.resync()
				w.changed()
				continue
			}
			return // closed by stop
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		for i := range msgs {
			w.handle(&msgs[i])
		}
	}
}

// handle takes one notification about some link of the namespace.
func (w *linkWatch) handle(m *syscall.NetlinkMessage) {
	if m.Header.Type != unix.RTM_NEWLINK && m.Header.Type != unix.RTM_DELLINK {
		return
	}
	if len(m.Data) < unix.SizeofIfInfomsg || linkName(m) != w.name {
		return
	}
	flags := binary.NativeEndian.Uint32(m.Data[8:12]) // ifi_flags
	if m.Header.Type == unix.RTM_DELLINK {
		w.setGone()
	} else {
		w.up.Store(flags&unix.IFF_UP != 0)
		if w.gone.Load() {
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
	}
	w.changed()
}

// linkName returns the IFLA_IFNAME of a link message.
func linkName(m *syscall.NetlinkMessage) string {
	attrs, err := syscall.ParseNetlinkRouteAttr(m)
	if err != nil {
		return ""
	}
	for _, a := range attrs {
		if a.Attr.Type == unix.IFLA_IFNAME {
			return strings.TrimRight(string(a.Value), "\x00")
		}
	}
	return ""
}

// reattachLoop attaches a new descriptor to a deleted persistent tap once
// it exists again.
func (w *linkWatch) reattachLoop(t *Tap) {
	defer w.wg.Done()
	for {
		select {
		case <-w.done:
			return
		case <-w.kick:
		}
		if !t.persist {
			continue // a tap of our own stays gone
		}
		for wait := reattachMin; w.gone.Load(); wait = min(2*wait, reattachMax) {
			if w.reattach(t) {
				w.changed()
				break
			}
			select {
			case <-w.done:
				return
			case <-time.After(wait):
			case <-w.kick:
			}
		}
	}
}

// reattach tries once to attach to the tap again.
func (w *linkWatch) reattach(t *Tap) bool {
	if _, err := ifFlags(w.name); err != nil {
		return false // not there (yet): TUNSETIFF would create it
	}
	fd, flags, err := attach(w.name)
	if err != nil {
		return false
	}
	if flags&unix.IFF_PERSIST == 0 {
		// It went away between the look and the attach, and this made
		// a tap of our own: let it go.
		unix.Close(fd)
		return false
	}
	f, err := newTapFile(fd, w.name)
	if err != nil {
		return false
	}
	old := t.cur.Swap(f)
	old.file.Close()
	w.gone.Store(false)
	w.resync()
	return true
}

// ifFlags returns the interface flags of the host device called name.
func ifFlags(name string) (uint16, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return 0, err
	}
	return ifr.Uint16(), nil
}

// LinkUp reports whether frames can pass: the tap exists, is attached by
// this Tap and is up on the host. Without it, writes fail (EIO on a tap
// that is down, EBADFD on one deleted) and reads may fail at once.
func (t *Tap) LinkUp() bool { return t.watch.up.Load() && !t.watch.gone.Load() }

// NotifyLink sets fn to be called, from another goroutine, whenever
// LinkUp may have changed. fn must not block; it is not called after
// Close returns.
func (t *Tap) NotifyLink(fn func()) {
	t.watch.mu.Lock()
	t.watch.notify = fn
	t.watch.mu.Unlock()
}
