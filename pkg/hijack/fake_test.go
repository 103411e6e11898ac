package hijack

// fakeBackend serves session sockets from the host's own stack, the way
// rump_server serves them from a rump kernel's: each socket is a host
// socket spliced to a socketpair whose other end the supervisor hands to
// the program. It counts the requests, so a test can tell a socket went
// through the supervisor.

import (
	"context"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

type fakeBackend struct {
	// blackhole is a port whose connects never end until Close.
	blackhole uint16
	closed    chan struct{}
	closeOnce sync.Once

	mu    sync.Mutex
	next  int
	socks map[int]*fakeSock
	calls map[string]int
	// noWait6Fails makes SocketNoWait of family 6 fail (EMFILE), as
	// a session full by the time the request arrives.
	noWait6Fails bool
	// sockNameHook, when set, runs at the start of every SockName.
	sockNameHook func()
}

type fakeSock struct {
	fam       int
	typ       string
	hfd       int      // the host socket, blocking
	srv       *os.File // our end of the pair
	mu        sync.Mutex
	connected bool
	queue     chan int // accepted host fds
}

var _ Backend = (*fakeBackend)(nil)

func newFake() *fakeBackend {
	return &fakeBackend{socks: map[int]*fakeSock{}, calls: map[string]int{}, closed: make(chan struct{})}
}

func (b *fakeBackend) count(op string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[op]
}

func (b *fakeBackend) get(op string, id int) (*fakeSock, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls[op]++
	k := b.socks[id]
	if k == nil {
		return nil, syscall.EBADF
	}
	return k, nil
}

func (b *fakeBackend) add(k *fakeSock) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	b.socks[b.next] = k
	return b.next
}

func toSockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func fromSockaddr(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

func (b *fakeBackend) Socket(family int, typ string) (int, *os.File, error) {
	b.mu.Lock()
	b.calls["Socket"]++
	b.mu.Unlock()
	return b.socket(family, typ)
}

// SocketNoWait makes the socket at once, as Socket does, and tells done
// on a goroutine of its own; family 6 fails there, if noWait6 says so.
func (b *fakeBackend) SocketNoWait(family int, typ string, done func(error)) (int, *os.File, error) {
	b.mu.Lock()
	b.calls["SocketNoWait"]++
	fail := family == 6 && b.noWait6Fails
	b.mu.Unlock()
	if fail {
		p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return 0, nil, err
		}
		unix.Close(p[0])
		done(syscall.EMFILE)
		return 1 << 20, os.NewFile(uintptr(p[1]), "client"), nil
	}
	id, f, err := b.socket(family, typ)
	if err == nil {
		done(nil)
	}
	return id, f, err
}

func (b *fakeBackend) socket(family int, typ string) (int, *os.File, error) {
	af := unix.AF_INET
	if family == 6 {
		af = unix.AF_INET6
	}
	st, pt, proto := unix.SOCK_STREAM, unix.SOCK_STREAM, 0
	if typ != "stream" {
		st, pt = unix.SOCK_DGRAM, unix.SOCK_SEQPACKET
		if typ == "icmp" {
			proto = unix.IPPROTO_ICMP
		}
	}
	hfd, err := unix.Socket(af, st|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return 0, nil, err
	}
	p, err := unix.Socketpair(unix.AF_UNIX, pt|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		unix.Close(hfd)
		return 0, nil, err
	}
	k := &fakeSock{fam: af, typ: typ, hfd: hfd, srv: os.NewFile(uintptr(p[0]), "srv")}
	if typ != "stream" {
		go k.datagramsOut()
		go k.datagramsIn()
	}
	return b.add(k), os.NewFile(uintptr(p[1]), "client"), nil
}

// datagramsOut sends what the program writes to the pair.
func (k *fakeSock) datagramsOut() {
	buf := make([]byte, 70000)
	for {
		n, err := k.srv.Read(buf)
		if err != nil || n == 0 {
			unix.Shutdown(k.hfd, unix.SHUT_RDWR)
			return
		}
		k.mu.Lock()
		connected := k.connected
		k.mu.Unlock()
		if connected {
			unix.Write(k.hfd, buf[:n])
			continue
		}
		to, info, payload, err := decodeHeaderInfo(buf[:n])
		if err != nil {
			continue
		}
		var oob []byte
		if info.ok {
			oob = encodePktinfoCmsg(k.fam, info)
		}
		unix.Sendmsg(k.hfd, payload, oob, toSockaddr(to), 0)
	}
}

// datagramsIn gives the program what the host socket receives.
func (k *fakeSock) datagramsIn() {
	buf, oob := make([]byte, 70000), make([]byte, 256)
	for {
		n, oobn, _, from, err := unix.Recvmsg(k.hfd, buf, oob, 0)
		if err != nil || (n == 0 && from == nil) {
			return
		}
		k.mu.Lock()
		connected := k.connected
		k.mu.Unlock()
		if connected {
			k.srv.Write(buf[:n])
		} else {
			h := encodeHeaderInfo(fromSockaddr(from), hostPktinfo(oob[:oobn]))
			k.srv.Write(append(h, buf[:n]...))
		}
	}
}

// hostPktinfo is the packet info of the host's control messages.
func hostPktinfo(oob []byte) pktInfo {
	msgs, _ := unix.ParseSocketControlMessage(oob)
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_PKTINFO && len(m.Data) >= 20:
			return pktInfo{ok: true, ifindex: binary.LittleEndian.Uint32(m.Data[16:]), addr: netip.AddrFrom16([16]byte(m.Data[:16]))}
		case m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_PKTINFO && len(m.Data) >= 12:
			return pktInfo{ok: true, ifindex: binary.LittleEndian.Uint32(m.Data), addr: netip.AddrFrom4([4]byte(m.Data[8:12]))}
		}
	}
	return pktInfo{}
}

// splice copies bytes both ways between a host stream socket and a pair
// end, passing end of file on as shutdown.
func splice(hfd int, srv *os.File) {
	host := os.NewFile(uintptr(hfd), "host")
	sfd := int(srv.Fd())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		io.Copy(srv, host)
		unix.Shutdown(sfd, unix.SHUT_WR)
	}()
	go func() {
		defer wg.Done()
		io.Copy(host, srv)
		unix.Shutdown(hfd, unix.SHUT_WR)
	}()
	go func() {
		wg.Wait()
		host.Close()
		srv.Close()
	}()
}

func (b *fakeBackend) Bind(id int, addr netip.AddrPort) (netip.AddrPort, error) {
	k, err := b.get("Bind", id)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if err := unix.Bind(k.hfd, toSockaddr(addr)); err != nil {
		return netip.AddrPort{}, err
	}
	return b.name(id)
}

func (b *fakeBackend) Listen(id, backlog int) error {
	k, err := b.get("Listen", id)
	if err != nil {
		return err
	}
	if err := unix.Listen(k.hfd, backlog); err != nil {
		return err
	}
	q := make(chan int, 128)
	k.mu.Lock()
	k.queue = q
	k.mu.Unlock()
	go func() {
		for {
			nfd, _, err := unix.Accept4(k.hfd, unix.SOCK_CLOEXEC)
			if err != nil {
				return
			}
			q <- nfd
			k.srv.Write([]byte{1})
		}
	}()
	return nil
}

// ConnectEnd is Connect: the fake frames no datagrams.
func (b *fakeBackend) ConnectEnd(ctx context.Context, id int, addr netip.AddrPort, _ *os.File) (netip.AddrPort, error) {
	return b.Connect(ctx, id, addr)
}

func (b *fakeBackend) Connect(ctx context.Context, id int, addr netip.AddrPort) (netip.AddrPort, error) {
	k, err := b.get("Connect", id)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if b.blackhole != 0 && addr.Port() == b.blackhole {
		select {
		case <-ctx.Done():
		case <-b.closed:
		}
		return netip.AddrPort{}, syscall.ETIMEDOUT
	}
	if err := unix.Connect(k.hfd, toSockaddr(addr)); err != nil {
		return netip.AddrPort{}, err
	}
	if k.typ == "stream" {
		splice(k.hfd, k.srv)
	} else {
		k.mu.Lock()
		k.connected = true
		k.mu.Unlock()
	}
	return b.name(id)
}

func (b *fakeBackend) AcceptNames(ctx context.Context, id int, wait bool) (int, *os.File, netip.AddrPort, netip.AddrPort, error) {
	nid, f, peer, err := b.accept(ctx, id, wait)
	if err != nil {
		return 0, nil, netip.AddrPort{}, netip.AddrPort{}, err
	}
	b.mu.Lock()
	hfd := b.socks[nid].hfd
	b.mu.Unlock()
	sa, _ := unix.Getsockname(hfd)
	return nid, f, peer, fromSockaddr(sa), nil
}

func (b *fakeBackend) accept(ctx context.Context, id int, wait bool) (int, *os.File, netip.AddrPort, error) {
	k, err := b.get("Accept", id)
	if err != nil {
		return 0, nil, netip.AddrPort{}, err
	}
	k.mu.Lock()
	q := k.queue
	k.mu.Unlock()
	if q == nil {
		return 0, nil, netip.AddrPort{}, syscall.EINVAL
	}
	var nfd int
	if wait {
		select {
		case nfd = <-q:
		case <-ctx.Done():
			return 0, nil, netip.AddrPort{}, ctx.Err()
		}
	} else {
		select {
		case nfd = <-q:
		default:
			return 0, nil, netip.AddrPort{}, syscall.EAGAIN
		}
	}
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		unix.Close(nfd)
		return 0, nil, netip.AddrPort{}, err
	}
	sa, _ := unix.Getpeername(nfd)
	nk := &fakeSock{fam: k.fam, typ: "stream", hfd: nfd, srv: os.NewFile(uintptr(p[0]), "srv"), connected: true}
	splice(nfd, nk.srv)
	return b.add(nk), os.NewFile(uintptr(p[1]), "client"), fromSockaddr(sa), nil
}

func (b *fakeBackend) SockName(id int) (netip.AddrPort, error) {
	b.mu.Lock()
	b.calls["SockName"]++
	hook := b.sockNameHook
	b.mu.Unlock()
	if hook != nil {
		hook()
	}
	return b.name(id)
}

// name is SockName for the fake's own use, not counted as a request.
func (b *fakeBackend) name(id int) (netip.AddrPort, error) {
	b.mu.Lock()
	k := b.socks[id]
	b.mu.Unlock()
	if k == nil {
		return netip.AddrPort{}, syscall.EBADF
	}
	sa, err := unix.Getsockname(k.hfd)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return fromSockaddr(sa), nil
}

func (b *fakeBackend) PeerName(id int) (netip.AddrPort, error) {
	k, err := b.get("PeerName", id)
	if err != nil {
		return netip.AddrPort{}, err
	}
	sa, err := unix.Getpeername(k.hfd)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return fromSockaddr(sa), nil
}

func (b *fakeBackend) SetOpt(id, level, name, value int) error {
	k, err := b.get("SetOpt", id)
	if err != nil {
		return err
	}
	return unix.SetsockoptInt(k.hfd, level, name, value)
}

// SetOptNoWait sets the option before it returns, which keeps its
// promise of order; done is told on a goroutine, as the session's reader
// would.
func (b *fakeBackend) SetOptNoWait(id, level, name, value int, done func(error)) error {
	k, err := b.get("SetOptNoWait", id)
	if err != nil {
		return err
	}
	err = unix.SetsockoptInt(k.hfd, level, name, value)
	if done != nil {
		go done(err)
	}
	return nil
}

func (b *fakeBackend) GetOpt(id, level, name int) (int, error) {
	k, err := b.get("GetOpt", id)
	if err != nil {
		return 0, err
	}
	return unix.GetsockoptInt(k.hfd, level, name)
}

func (b *fakeBackend) SetOptBytes(id, level, name int, value []byte) error {
	k, err := b.get("SetOptBytes", id)
	if err != nil {
		return err
	}
	return unix.SetsockoptString(k.hfd, level, name, string(value))
}

func (b *fakeBackend) GetOptBytes(id, level, name int) ([]byte, error) {
	k, err := b.get("GetOptBytes", id)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 512)
	n := uint32(len(buf))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(k.hfd), uintptr(level), uintptr(name),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return nil, e
	}
	return buf[:n], nil
}

// fakeIfaces are the fake kernel's interfaces, by index: names the host
// does not have, so a test sees who answered.
var fakeIfaces = map[int]string{1: "lo0", 2: "shmif0", 4242: "virt4242"}

func (b *fakeBackend) IfName(index int) (string, error) {
	if name, ok := fakeIfaces[index]; ok {
		return name, nil
	}
	return "", syscall.ENODEV
}

func (b *fakeBackend) IfIndex(name string) (int, error) {
	for i, n := range fakeIfaces {
		if n == name {
			return i, nil
		}
	}
	return 0, syscall.ENODEV
}

func (b *fakeBackend) Shutdown(id, how int) error {
	k, err := b.get("Shutdown", id)
	if err != nil {
		return err
	}
	return unix.Shutdown(k.hfd, how)
}

func (b *fakeBackend) CloseSocket(id int) error {
	k, err := b.get("CloseSocket", id)
	if err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.socks, id)
	b.mu.Unlock()
	unix.Shutdown(k.hfd, unix.SHUT_RDWR)
	return k.srv.Close()
}

func (b *fakeBackend) Close() error {
	b.closeOnce.Do(func() { close(b.closed) })
	b.mu.Lock()
	ids := make([]int, 0, len(b.socks))
	for id := range b.socks {
		ids = append(ids, id)
	}
	b.mu.Unlock()
	for _, id := range ids {
		b.CloseSocket(id)
	}
	return nil
}
