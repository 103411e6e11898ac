package rump

// Sockets owned by programs on the host (doc/sockets.md). A SocketSet is
// the sockets of one session: each is a stack endpoint and one end of a
// host socketpair, the other end of which belongs to the program. The
// bytes move between the two in sockets_splice.go; this file makes,
// names and configures the endpoints.
//
// Ownership. A SocketSet owns its sockets and every goroutine they run,
// counted in its WaitGroup. A socket is closed by the program (its end of
// the pair is closed by every holder: the pair reports a hang-up), by
// CloseSocket, by a fatal error of its connection, or by SocketSet.Close,
// which closes them all and waits for their goroutines (a connected
// stream or a datagram socket whose program end is already closed first
// sends what is left on its pair). Closing a socket
// closes its endpoint (gracefully: data already handed to TCP is still
// sent) and rump_server's end of the pair.

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/waiter"
)

// pairBufferSize is the send and receive buffer asked for on both ends of
// a pair (root gets it whole; others get the host's maximum).
const pairBufferSize = 4 << 20

// SocketSet is the sockets of one session. It is safe for concurrent use.
type SocketSet struct {
	k   *Kernel
	max int
	wg  sync.WaitGroup

	mu     sync.Mutex
	socks  map[int]*socket
	next   int
	closed bool
}

// NewSocketSet returns an empty set that holds at most max sockets at
// once (EMFILE beyond).
func (k *Kernel) NewSocketSet(max int) *SocketSet {
	return &SocketSet{k: k, max: max, socks: map[int]*socket{}, next: 1}
}

// socket is one socket of a set.
type socket struct {
	set    *SocketSet
	id     int
	typ    string // api.SockStream, SockDgram or SockICMP
	family int
	ep     tcpip.Endpoint
	wq     *waiter.Queue
	conn   *net.UnixConn // rump_server's end of the pair
	raw    syscall.RawConn
	done   chan struct{} // closed by close
	ready  chan struct{} // stream: closed once connected or accepted
	once   sync.Once
	rdOnce sync.Once // starts the stack-to-pair direction

	connected atomic.Bool // a datagram socket has a default destination
	listening atomic.Bool
	accepts   chan acceptedConn // a listener's queue
	inflight  atomic.Int32      // connections whose byte is written, not yet queued

	optMu sync.Mutex
	opts  map[optKey]int // options accepted without effect
	// groups are the multicast groups the socket joined (mcast.go).
	groups map[mcastKey]bool

	// framing guards a datagram socket's framing decision and write in
	// stackToPair against Connect's change of it.
	framing sync.Mutex
	// sendMu is held while a datagram moves from the pair to the stack,
	// and by a Shutdown for writing while it sends those still on the
	// pair: the program wrote them before it shut the socket down.
	sendMu sync.Mutex
}

type acceptedConn struct {
	ep   tcpip.Endpoint
	wq   *waiter.Queue
	peer tcpip.FullAddress
}

// Close closes every socket of the set and waits until all their
// goroutines have ended. The set takes no new sockets afterwards.
func (ss *SocketSet) Close() {
	ss.mu.Lock()
	ss.closed = true
	socks := make([]*socket, 0, len(ss.socks))
	for _, s := range ss.socks {
		socks = append(socks, s)
	}
	ss.mu.Unlock()
	// A socket whose program end every holder has closed (the program
	// wrote, closed and went, and so its session ended) is left to
	// pairToStack, which sends what is still on the pair (a stream's
	// bytes, then FIN; a datagram socket's messages) and closes it;
	// closing it now would lose them. A stream not yet connected has
	// nothing it could send.
	var flushing []*socket
	for _, s := range socks {
		if s.canFlush() && s.pairPolls(unix.POLLHUP) {
			flushing = append(flushing, s)
			continue
		}
		s.close()
	}
	if h := testCloseHook.Load(); h != nil {
		(*h)()
	}
	timeout := time.NewTimer(flushTimeout)
	defer timeout.Stop()
	expired := false
	for _, s := range flushing {
		if !expired {
			select {
			case <-s.done:
			case <-timeout.C:
				expired = true
			}
		}
		s.close()
	}
	ss.wg.Wait()
}

// canFlush reports whether pairToStack would send what is on the pair:
// a connected stream, or any datagram or ICMP socket.
func (s *socket) canFlush() bool {
	return s.typ != api.SockStream || s.isReady()
}

// testCloseHook, when set by a test, runs once SocketSet.Close has closed
// the sockets it does not leave to flush.
var testCloseHook atomic.Pointer[func()]

// flushTimeout bounds how long Close waits for closed streams to hand
// their last bytes to the stack (a peer that reads nothing).
const flushTimeout = 10 * time.Second

// Len returns how many sockets the set holds.
func (ss *SocketSet) Len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.socks)
}

func (ss *SocketSet) lookup(id int) (*socket, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.socks[id]
	if !ok {
		return nil, api.Errorf(syscall.EBADF, "socket "+strconv.Itoa(id))
	}
	return s, nil
}

// add registers a new socket around ep and returns it with the program's
// end of its pair; EMFILE when the set is full.
func (ss *SocketSet) add(typ string, family int, ep tcpip.Endpoint, wq *waiter.Queue) (*socket, *os.File, error) {
	return ss.addOn(0, typ, family, ep, wq, nil)
}

// addOn is add with the socket's number given (0: the next of the set's
// own) and its end of the pair given (nil: a pair is made, and the
// program's end returned). It owns ep and own.
func (ss *SocketSet) addOn(id int, typ string, family int, ep tcpip.Endpoint, wq *waiter.Queue, own *os.File) (*socket, *os.File, error) {
	pairType := unix.SOCK_SEQPACKET
	if typ == api.SockStream {
		pairType = unix.SOCK_STREAM
	}
	s := &socket{set: ss, typ: typ, family: family, ep: ep, wq: wq,
		done: make(chan struct{}), ready: make(chan struct{})}
	var f *os.File
	var err error
	if own == nil {
		f, err = s.makePair(pairType)
	} else {
		err = s.adoptEnd(own, pairType)
	}
	if err != nil {
		ep.Close()
		return nil, nil, err
	}
	ss.mu.Lock()
	switch {
	case ss.closed || len(ss.socks) >= ss.max:
		err = api.Errorf(syscall.EMFILE, "session holds "+strconv.Itoa(ss.max)+" sockets")
	case id != 0 && ss.socks[id] != nil:
		err = api.Errorf(syscall.EEXIST, "socket "+strconv.Itoa(id)+" exists")
	}
	if err != nil {
		ss.mu.Unlock()
		ep.Close()
		s.conn.Close()
		if f != nil {
			f.Close()
		}
		return nil, nil, err
	}
	if id == 0 {
		id = ss.next
		ss.next++
	}
	s.id = id
	ss.socks[s.id] = s
	ss.wg.Add(1) // under mu, so that Close's Wait sees it
	ss.mu.Unlock()
	go s.pairToStack()
	if typ != api.SockStream {
		s.startReading()
	}
	return s, f, nil
}

func (ss *SocketSet) forget(s *socket) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.socks[s.id] == s {
		delete(ss.socks, s.id)
	}
}

// makePair makes the socketpair and keeps rump_server's end.
func (s *socket) makePair(typ int) (*os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, api.Errorf(api.ErrnoOf(err), "socketpair: "+err.Error())
	}
	sizePairEnd(fds[1])
	if err := s.adoptEnd(os.NewFile(uintptr(fds[0]), "rump-socket"), typ); err != nil {
		unix.Close(fds[1])
		return nil, err
	}
	return os.NewFile(uintptr(fds[1]), "rump-socket"), nil
}

// adoptEnd makes own, a Unix socket of type typ, rump_server's end of the
// pair; it closes own.
func (s *socket) adoptEnd(own *os.File, typ int) error {
	defer own.Close()
	fd := int(own.Fd())
	if t, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || t != typ {
		return api.Errorf(syscall.EINVAL, "the socket's end is not a Unix socket of its type")
	}
	sizePairEnd(fd)
	unix.SetNonblock(fd, true)
	c, err := net.FileConn(own)
	if err != nil {
		return api.Errorf(api.ErrnoOf(err), "socketpair: "+err.Error())
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return api.Errorf(syscall.EINVAL, "the socket's end is not a Unix socket")
	}
	s.conn = uc
	s.raw, _ = s.conn.SyscallConn()
	return nil
}

// sizePairEnd asks for pairBufferSize both ways on one end of a pair.
func sizePairEnd(fd int) {
	for _, opt := range [][2]int{{unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}, {unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}} {
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt[0], pairBufferSize) != nil {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt[1], pairBufferSize)
		}
	}
}

// close closes the socket once: its endpoint, its end of the pair, and a
// listener's queue; the socket leaves its set.
func (s *socket) close() {
	s.once.Do(func() {
		close(s.done)
		s.ep.Close()
		s.set.k.releaseGroups(s.takeGroups())
		s.conn.Close()
		s.set.forget(s)
	})
}

// Bind binds a socket to a local address (an invalid address means any)
// and returns the address bound.
func (ss *SocketSet) Bind(id int, addr netip.AddrPort) (netip.AddrPort, error) {
	s, err := ss.lookup(id)
	if err != nil {
		return netip.AddrPort{}, err
	}
	fa, err := s.fullAddress(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if terr := s.ep.Bind(fa); terr != nil {
		return netip.AddrPort{}, tcpipError("bind "+addr.String(), terr)
	}
	return s.name(false)
}

// Listen makes a stream socket listen; up to backlog connections wait for
// Accept.
func (ss *SocketSet) Listen(id, backlog int) error {
	s, err := ss.lookup(id)
	if err != nil {
		return err
	}
	if s.typ != api.SockStream {
		return api.Errorf(syscall.EOPNOTSUPP, "listen on a "+s.typ+" socket")
	}
	backlog = min(max(backlog, 1), api.MaxSessionSockets)
	if terr := s.ep.Listen(backlog); terr != nil {
		return tcpipError("listen", terr)
	}
	if s.listening.CompareAndSwap(false, true) {
		s.accepts = make(chan acceptedConn, backlog)
		ss.wg.Add(1)
		go s.acceptLoop()
	}
	return nil
}

// Connect connects a socket and returns its local address. A stream
// socket's Connect returns once the connection is made or has failed, or
// when ctx ends (the socket is then closed); a datagram socket's sets its
// default destination at once.
func (ss *SocketSet) Connect(ctx context.Context, id int, addr netip.AddrPort) (netip.AddrPort, error) {
	return ss.ConnectEnd(ctx, id, addr, nil)
}

// ConnectEnd is Connect with the program's end of the socket's pair (a
// copy; nil if the program has none to give). When it connects a
// datagram socket that was not connected, the messages already queued on
// that end lose their address headers (doc/sockets.md), so the program
// reads them bare as it reads what comes after.
func (ss *SocketSet) ConnectEnd(ctx context.Context, id int, addr netip.AddrPort, end *os.File) (netip.AddrPort, error) {
	s, err := ss.lookup(id)
	if err != nil {
		return netip.AddrPort{}, err
	}
	fa, err := s.fullAddress(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	what := "connect " + addr.String()
	if s.typ != api.SockStream {
		s.framing.Lock()
		defer s.framing.Unlock()
		if terr := s.ep.Connect(fa); terr != nil {
			return netip.AddrPort{}, tcpipError(what, terr)
		}
		if !s.connected.Swap(true) && end != nil {
			s.unframeQueued(end)
		}
		return s.name(false)
	}
	entry, ch := waiter.NewChannelEntry(waiter.WritableEvents | waiter.EventHUp | waiter.EventErr)
	s.wq.EventRegister(&entry)
	defer s.wq.EventUnregister(&entry)
	terr := s.ep.Connect(fa)
	if _, ok := terr.(*tcpip.ErrConnectStarted); ok {
		select {
		case <-ch:
			terr = s.ep.LastError()
		case <-s.done:
			return netip.AddrPort{}, api.Errorf(syscall.ECONNABORTED, what+": socket closed")
		case <-ctx.Done():
			s.close()
			return netip.AddrPort{}, api.Errorf(syscall.ECONNABORTED, what+": "+ctx.Err().Error())
		}
	}
	if terr != nil {
		return netip.AddrPort{}, tcpipError(what, terr)
	}
	s.established()
	return s.name(false)
}

// established starts a stream socket's data path once it is connected.
func (s *socket) established() {
	select {
	case <-s.ready:
	default:
		close(s.ready)
	}
	s.startReading()
}

// Accept takes a connection from a listening socket's queue: a new socket
// of the set, the program's end of its pair and the peer's address. With
// wait false it fails with EAGAIN at once when none is queued.
func (ss *SocketSet) Accept(ctx context.Context, id int, wait bool) (int, *os.File, netip.AddrPort, error) {
	s, err := ss.lookup(id)
	if err != nil {
		return 0, nil, netip.AddrPort{}, err
	}
	if !s.listening.Load() {
		return 0, nil, netip.AddrPort{}, api.Errorf(syscall.EINVAL, "accept on a socket that does not listen")
	}
	var ac acceptedConn
	select {
	case ac = <-s.accepts:
	default:
		if !wait {
			var ok bool
			if ac, ok = s.acceptInFlight(); !ok {
				return 0, nil, netip.AddrPort{}, api.Errorf(syscall.EAGAIN, "accept")
			}
			break
		}
		select {
		case ac = <-s.accepts:
		case <-s.done:
			return 0, nil, netip.AddrPort{}, api.Errorf(syscall.ECONNABORTED, "accept: socket closed")
		case <-ctx.Done():
			return 0, nil, netip.AddrPort{}, api.Errorf(syscall.ECONNABORTED, "accept: "+ctx.Err().Error())
		}
	}
	ns, f, err := ss.add(api.SockStream, s.family, ac.ep, ac.wq)
	if err != nil {
		return 0, nil, netip.AddrPort{}, err
	}
	ns.established()
	return ns.id, f, addrPortOf(ac.peer, s.family), nil
}

// acceptInFlight takes, for an Accept that does not wait, a connection
// whose byte is already on the pair but that is not yet in the queue: it
// takes a moment to get there. ok is false when there is none (another
// accepter may have taken it).
func (s *socket) acceptInFlight() (ac acceptedConn, ok bool) {
	for {
		// The count first: a connection that leaves it is in the queue.
		pending := s.inflight.Load() > 0
		select {
		case ac = <-s.accepts:
			return ac, true
		case <-s.done:
			return ac, false
		default:
		}
		if !pending {
			return ac, false
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// SockName returns a socket's local address.
func (ss *SocketSet) SockName(id int) (netip.AddrPort, error) {
	s, err := ss.lookup(id)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return s.name(false)
}

// PeerName returns the address a socket is connected to (ENOTCONN if
// none).
func (ss *SocketSet) PeerName(id int) (netip.AddrPort, error) {
	s, err := ss.lookup(id)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return s.name(true)
}

func (s *socket) name(peer bool) (netip.AddrPort, error) {
	var fa tcpip.FullAddress
	var terr tcpip.Error
	if peer {
		fa, terr = s.ep.GetRemoteAddress()
	} else {
		fa, terr = s.ep.GetLocalAddress()
	}
	if terr != nil {
		return netip.AddrPort{}, tcpipError("name", terr)
	}
	return addrPortOf(fa, s.family), nil
}

// Shutdown shuts a socket down for reading (0), writing (1) or both (2).
func (ss *SocketSet) Shutdown(id, how int) error {
	s, err := ss.lookup(id)
	if err != nil {
		return err
	}
	var flags tcpip.ShutdownFlags
	switch how {
	case unix.SHUT_RD:
		flags = tcpip.ShutdownRead
	case unix.SHUT_WR:
		flags = tcpip.ShutdownWrite
	case unix.SHUT_RDWR:
		flags = tcpip.ShutdownRead | tcpip.ShutdownWrite
	default:
		return api.Errorf(syscall.EINVAL, "shutdown how "+strconv.Itoa(how))
	}
	if s.typ != api.SockStream && flags&tcpip.ShutdownWrite != 0 {
		s.sendMu.Lock()
		defer s.sendMu.Unlock()
		s.flushPair()
	}
	if terr := s.ep.Shutdown(flags); terr != nil {
		return tcpipError("shutdown", terr)
	}
	return nil
}

// CloseSocket closes one socket.
func (ss *SocketSet) CloseSocket(id int) error {
	s, err := ss.lookup(id)
	if err != nil {
		return err
	}
	s.close()
	return nil
}

// fullAddress turns an address into the stack's form for this socket's
// family: an invalid or unspecified address is any, and an IPv4 address
// on an IPv6 socket is mapped.
func (s *socket) fullAddress(ap netip.AddrPort) (tcpip.FullAddress, error) {
	fa := tcpip.FullAddress{Port: ap.Port()}
	a := ap.Addr()
	switch {
	case !a.IsValid() || a.IsUnspecified():
		if a.IsValid() && (a.Is4() != (s.family == 4)) {
			return fa, api.Errorf(syscall.EAFNOSUPPORT, ap.String())
		}
		return fa, nil
	case s.family == 4:
		if !a.Unmap().Is4() {
			return fa, api.Errorf(syscall.EAFNOSUPPORT, ap.String())
		}
		fa.Addr = tcpip.AddrFrom4(a.Unmap().As4())
	default:
		fa.Addr = tcpip.AddrFrom16(a.As16())
	}
	return fa, nil
}

// addrPortOf is the inverse of fullAddress; an IPv4 address reported on
// an IPv6 socket is mapped, as Linux reports it.
func addrPortOf(fa tcpip.FullAddress, family int) netip.AddrPort {
	var a netip.Addr
	switch fa.Addr.Len() {
	case 4:
		a = netip.AddrFrom4(fa.Addr.As4())
		if family == 6 {
			a = netip.AddrFrom16(a.As16())
		}
	case 16:
		a = netip.AddrFrom16(fa.Addr.As16())
	default:
		a = netip.IPv4Unspecified()
		if family == 6 {
			a = netip.IPv6Unspecified()
		}
	}
	return netip.AddrPortFrom(a, fa.Port)
}
