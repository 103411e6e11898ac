package rump

// Small servers: the simple TCP and UDP services inetd runs by itself —
// echo (port 7, RFC 862), discard (9, RFC 863), daytime (13, RFC 867) and
// chargen (19, RFC 864) — answered by the kernel's own stack on every
// address of every family the kernel has. They are off at boot and switched
// per protocol with net.inet.tcp.small_servers and net.inet.udp.small_servers.
//
// Ownership. Turning a protocol on builds a smallServers, which owns
// everything it starts: one listening endpoint and one accept goroutine per
// service and family for TCP, one goroutine per accepted connection, and one
// bound endpoint and one reader goroutine per service and family for UDP.
// Every goroutine is counted in smallServers.wg and exits when its endpoint
// is closed (a closed listener fails Accept, a closed connection fails Read
// and Write, a closed UDP endpoint fails Read) or when done is closed.
// smallServers.stop closes all of them — listeners and UDP endpoints first,
// then the open connections — and waits for the goroutines. Turning the
// setting back to 0 calls stop; Kernel.Close calls smallServerSet.shutdown
// first of all, before interfaces go and the stack is closed, so nothing is
// left running on a dead stack, and after it the settings cannot be turned
// on again.
//
// Limits. Each TCP service serves at most smallMaxConns connections at once
// (both families together); a connection beyond that is accepted and closed
// at once, so a flood neither queues in the listen backlog nor starts
// goroutines. Connections use the stack's usual buffers
// (net.inet.tcp.sendspace and recvspace). A UDP datagram gets one answer at
// most, never blocks the reader (a reply that does not fit in the send buffer
// is dropped), and is ignored unless it is unicast to one of the kernel's
// addresses from an unprivileged port (1024 and above): this keeps two echo
// or chargen servers from answering each other for ever and the kernel from
// answering broadcasts and multicasts. An IPv6 answer leaves from the address
// the datagram was sent to; an IPv4 one from the address the stack picks for
// the peer (gVisor cannot set an IPv4 source per datagram), which is the same
// unless an interface has several addresses on the peer's subnet.
//
// Data path. chargen writes slices of one pattern buffer built once for the
// process; it holds whole 95-line periods, so consecutive writes continue
// the pattern seamlessly and no write allocates. echo reads into one buffer
// per connection. discard takes what arrived straight off the connection's
// receive queue and drops it without copying it anywhere, as the bytes are
// never looked at; the window opens as it would after a read.

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

const (
	// smallMaxConns bounds the concurrent TCP connections of one service.
	smallMaxConns = 64
	// smallBacklog is the listen backlog of each TCP service.
	smallBacklog = 16
	// smallBufSize is the read buffer of an echo connection.
	smallBufSize = 64 << 10
	// smallMinPort is the lowest source port a UDP datagram is answered
	// from.
	smallMinPort = 1024
)

// smallService is one of the small servers.
type smallService struct {
	name string
	port uint16
	// stream serves one TCP connection; the caller closes it.
	stream func(k *Kernel, c *smallConn)
	// datagram returns the answer to one UDP datagram and true, or false
	// for none. It may build the answer in scratch; n counts the datagrams
	// answered before.
	datagram func(k *Kernel, in, scratch []byte, n uint64) ([]byte, bool)
}

var smallServices = []smallService{
	{"echo", 7, echoStream, func(_ *Kernel, in, _ []byte, _ uint64) ([]byte, bool) { return in, true }},
	{"discard", 9, discardStream, func(*Kernel, []byte, []byte, uint64) ([]byte, bool) { return nil, false }},
	{"daytime", 13, daytimeStream, func(k *Kernel, _, scratch []byte, _ uint64) ([]byte, bool) { return k.daytime(scratch), true }},
	{"chargen", 19, chargenStream, chargenDatagram},
}

// smallServerSet is the kernel's switch for the small servers. Its mutex
// serialises turning them on and off, and is held while stop waits.
type smallServerSet struct {
	mu       sync.Mutex
	closed   bool          // the kernel is closing: stay off
	tcp, udp *smallServers // nil while off
}

// on reports whether the servers of a protocol run, as the tunable reads.
func (ss *smallServerSet) on(tcpProto bool) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if tcpProto {
		return boolInt(ss.tcp != nil)
	}
	return boolInt(ss.udp != nil)
}

// shutdown stops every small server for good; Kernel.Close calls it.
func (ss *smallServerSet) shutdown() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closed = true
	for _, p := range []**smallServers{&ss.tcp, &ss.udp} {
		if *p != nil {
			(*p).stop()
			*p = nil
		}
	}
}

// setSmallServers is the Set of net.inet.tcp.small_servers (tcpProto) and
// net.inet.udp.small_servers: 1 starts the protocol's servers, 0 stops them
// and waits until they are gone.
func (k *Kernel) setSmallServers(name string, tcpProto bool, v int) error {
	if v != 0 && v != 1 {
		return einval(name, v)
	}
	ss := &k.small
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return api.Errorf(syscall.ENXIO, "kernel halted")
	}
	p := &ss.udp
	if tcpProto {
		p = &ss.tcp
	}
	switch {
	case v == 0 && *p != nil:
		(*p).stop()
		*p = nil
	case v == 1 && *p == nil:
		s, err := k.startSmallServers(tcpProto)
		if err != nil {
			return err
		}
		*p = s
	}
	return nil
}

// smallServers is the running servers of one protocol.
type smallServers struct {
	k    *Kernel
	wg   sync.WaitGroup
	done chan struct{} // closed by stop

	mu       sync.Mutex
	stopping bool
	closers  []func()                // listeners and UDP endpoints
	conns    map[*smallConn]struct{} // open TCP connections
}

// startSmallServers opens every service of a protocol on each family the
// kernel has. If one cannot be opened (its port is taken), the ones already
// started are stopped again.
func (k *Kernel) startSmallServers(tcpProto bool) (*smallServers, error) {
	s := &smallServers{k: k, done: make(chan struct{}), conns: map[*smallConn]struct{}{}}
	var protos []tcpip.NetworkProtocolNumber
	if k.comps.inet() {
		protos = append(protos, ipv4.ProtocolNumber)
	}
	if k.comps.inet6() {
		protos = append(protos, ipv6.ProtocolNumber)
	}
	for i := range smallServices {
		svc := &smallServices[i]
		slots := make(chan struct{}, smallMaxConns) // shared by the families
		for _, proto := range protos {
			var err error
			if tcpProto {
				err = s.listenTCP(svc, proto, slots)
			} else {
				err = s.listenUDP(svc, proto)
			}
			if err != nil {
				s.stop()
				return nil, err
			}
		}
	}
	return s, nil
}

// stop closes the listeners, endpoints and connections and waits for every
// goroutine to return.
func (s *smallServers) stop() {
	s.mu.Lock()
	if !s.stopping {
		s.stopping = true
		close(s.done)
		for _, c := range s.closers {
			c()
		}
		for c := range s.conns {
			c.Close()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// addCloser registers what closes an endpoint.
func (s *smallServers) addCloser(f func()) {
	s.mu.Lock()
	s.closers = append(s.closers, f)
	s.mu.Unlock()
}

// smallEndpoint opens an endpoint of the given transport bound to the
// service's port on every address of one family.
func (s *smallServers) smallEndpoint(svc *smallService, trans tcpip.TransportProtocolNumber, proto tcpip.NetworkProtocolNumber, wq *waiter.Queue) (tcpip.Endpoint, error) {
	ep, terr := s.k.stack.NewEndpoint(trans, proto, wq)
	if terr != nil {
		return nil, api.Errorf(syscall.EPROTONOSUPPORT, "small servers: "+svc.name+": "+terr.String())
	}
	opts := ep.SocketOptions()
	opts.SetReuseAddress(true)
	if proto == ipv6.ProtocolNumber {
		opts.SetV6Only(true) // the inet endpoint serves IPv4
	}
	if terr := ep.Bind(tcpip.FullAddress{Port: svc.port}); terr != nil {
		ep.Close()
		errno := syscall.EINVAL
		if _, ok := terr.(*tcpip.ErrPortInUse); ok {
			errno = syscall.EADDRINUSE
		}
		return nil, api.Errorf(errno, "small servers: "+svc.name+": bind port "+strconv.Itoa(int(svc.port))+": "+terr.String())
	}
	return ep, nil
}

// smallConn is one accepted TCP connection: the stack's endpoint and its
// wait queue, and the same as a net.Conn.
type smallConn struct {
	*gonet.TCPConn
	ep tcpip.Endpoint
	wq *waiter.Queue
}

// listenTCP starts one TCP service on one family.
func (s *smallServers) listenTCP(svc *smallService, proto tcpip.NetworkProtocolNumber, slots chan struct{}) error {
	wq := new(waiter.Queue)
	ep, err := s.smallEndpoint(svc, tcp.ProtocolNumber, proto, wq)
	if err != nil {
		return err
	}
	if terr := ep.Listen(smallBacklog); terr != nil {
		ep.Close()
		return api.Errorf(syscall.EINVAL, "small servers: "+svc.name+": listen: "+terr.String())
	}
	s.addCloser(func() { ep.Close() })
	s.wg.Go(func() { s.accept(ep, wq, svc, slots) })
	return nil
}

// accept runs one TCP service until stop is called or its listening
// endpoint fails.
func (s *smallServers) accept(l tcpip.Endpoint, lwq *waiter.Queue, svc *smallService, slots chan struct{}) {
	entry, readable := waiter.NewChannelEntry(waiter.ReadableEvents)
	lwq.EventRegister(&entry)
	defer lwq.EventUnregister(&entry)
	for {
		ep, wq, terr := l.Accept(nil)
		if _, ok := terr.(*tcpip.ErrWouldBlock); ok {
			select {
			case <-readable:
				continue
			case <-s.done:
				return
			}
		}
		if terr != nil {
			return
		}
		c := &smallConn{TCPConn: gonet.NewTCPConn(wq, ep), ep: ep, wq: wq}
		select {
		case slots <- struct{}{}:
		default:
			c.Close() // over the limit
			continue
		}
		if !s.track(c) {
			<-slots
			c.Close()
			return
		}
		s.wg.Go(func() {
			defer func() { <-slots }()
			defer s.untrack(c)
			svc.stream(s.k, c)
		})
	}
}

// track records an open connection so that stop can close it; false if
// stop has begun.
func (s *smallServers) track(c *smallConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// untrack closes a connection and forgets it.
func (s *smallServers) untrack(c *smallConn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// listenUDP starts one UDP service on one family.
func (s *smallServers) listenUDP(svc *smallService, proto tcpip.NetworkProtocolNumber) error {
	wq := new(waiter.Queue)
	ep, err := s.smallEndpoint(svc, udp.ProtocolNumber, proto, wq)
	if err != nil {
		return err
	}
	if proto == ipv6.ProtocolNumber {
		ep.SocketOptions().SetIPv6ReceivePacketInfo(true)
	} else {
		ep.SocketOptions().SetReceivePacketInfo(true)
	}
	s.addCloser(func() { ep.Close() })
	s.wg.Go(func() { s.serveDatagrams(ep, wq, proto, svc) })
	return nil
}

// serveDatagrams answers the datagrams of one UDP service until its
// endpoint is closed or stop is called.
func (s *smallServers) serveDatagrams(ep tcpip.Endpoint, wq *waiter.Queue, proto tcpip.NetworkProtocolNumber, svc *smallService) {
	entry, readable := waiter.NewChannelEntry(waiter.ReadableEvents)
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)
	var (
		in      bytes.Buffer
		out     bytes.Reader
		to      tcpip.FullAddress
		scratch = make([]byte, 0, 64)
		answers uint64
	)
	for {
		in.Reset()
		res, terr := ep.Read(&in, tcpip.ReadOptions{NeedRemoteAddr: true})
		switch terr.(type) {
		case nil:
		case *tcpip.ErrWouldBlock:
			select {
			case <-readable:
				continue
			case <-s.done:
				return
			}
		default:
			return
		}
		local, ok := s.answerable(proto, res)
		if !ok {
			continue
		}
		reply, ok := svc.datagram(s.k, in.Bytes(), scratch, answers)
		if !ok {
			continue
		}
		answers++
		to = res.RemoteAddr
		opts := tcpip.WriteOptions{To: &to}
		if proto == ipv6.ProtocolNumber {
			opts.ControlMessages.HasIPv6PacketInfo = true
			opts.ControlMessages.IPv6PacketInfo.Addr = local
		}
		out.Reset(reply)
		ep.Write(&out, opts) // best effort, as any datagram
	}
}

// answerable reports whether a datagram may be answered, and the local
// address it was sent to: it must come from an unprivileged port of a
// unicast address and be sent to one of the kernel's unicast addresses.
func (s *smallServers) answerable(proto tcpip.NetworkProtocolNumber, res tcpip.ReadResult) (tcpip.Address, bool) {
	src := res.RemoteAddr
	if src.Port < smallMinPort || src.Addr.Unspecified() {
		return tcpip.Address{}, false
	}
	cm := res.ControlMessages
	if proto == ipv6.ProtocolNumber {
		dst := cm.IPv6PacketInfo.Addr
		ok := cm.HasIPv6PacketInfo && !header.IsV6MulticastAddress(dst) && !header.IsV6MulticastAddress(src.Addr)
		return dst, ok
	}
	dst := cm.PacketInfo.DestinationAddr
	ok := cm.HasIPPacketInfo && dst != header.IPv4Broadcast && !header.IsV4MulticastAddress(dst) &&
		!header.IsV4MulticastAddress(src.Addr) && src.Addr != header.IPv4Broadcast &&
		!s.k.stack.IsSubnetBroadcast(cm.PacketInfo.NIC, ipv4.ProtocolNumber, dst)
	return dst, ok
}

// echoStream returns every byte read until the peer closes (RFC 862).
func echoStream(_ *Kernel, c *smallConn) {
	buf := make([]byte, smallBufSize)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// discardStream drops everything until the peer closes (RFC 863). It reads
// the endpoint into io.Discard, so the data is released, not copied; the
// receive buffer is tuned by what was read, as gonet's Read does.
func discardStream(_ *Kernel, c *smallConn) {
	entry, readable := waiter.NewChannelEntry(waiter.ReadableEvents)
	c.wq.EventRegister(&entry)
	defer c.wq.EventUnregister(&entry)
	for {
		res, terr := c.ep.Read(io.Discard, tcpip.ReadOptions{})
		switch terr.(type) {
		case nil:
			c.ep.ModerateRecvBuf(res.Count)
		case *tcpip.ErrWouldBlock:
			<-readable // closing the endpoint notifies it too
		default:
			return
		}
	}
}

// daytimeStream writes the date and closes (RFC 867).
func daytimeStream(k *Kernel, c *smallConn) {
	var scratch [64]byte
	c.Write(k.daytime(scratch[:0]))
}

// daytime appends the current time to dst as inetd writes it: ctime(3)'s
// format, in UTC, then CR LF ("Sat Nov 28 04:23:18 2026\r\n").
func (k *Kernel) daytime(dst []byte) []byte {
	b := k.stack.Clock().Now().UTC().AppendFormat(dst[:0], time.ANSIC)
	return append(b, '\r', '\n')
}

// The chargen pattern (RFC 864): lines of 72 characters then CR LF, line i
// starting at character i mod 95 of the 95 printable ASCII characters ' '
// to '~'. It repeats after 95 lines.
const (
	chargenLineLen = 72
	chargenRing    = 95
	chargenRowLen  = chargenLineLen + 2
	chargenPeriod  = chargenRing * chargenRowLen // 7030 bytes
	// chargenChunk is one TCP write, in whole periods so that the next
	// write continues where it ended.
	chargenChunk = 32 * chargenPeriod // about 220 KiB
	// chargenMaxDatagram is the longest UDP chargen answer.
	chargenMaxDatagram = 512
)

// chargenPattern is chargenChunk bytes of the pattern from line 0. It is
// built once and only read.
var chargenPattern = sync.OnceValue(func() []byte {
	b := make([]byte, 0, chargenChunk)
	for i := 0; len(b) < chargenChunk; i++ {
		for j := range chargenLineLen {
			b = append(b, byte(' '+(i+j)%chargenRing))
		}
		b = append(b, '\r', '\n')
	}
	return b
})

// chargenStream writes the pattern until the peer goes away.
func chargenStream(_ *Kernel, c *smallConn) {
	p := chargenPattern()
	for {
		if _, err := c.Write(p); err != nil {
			return
		}
	}
}

// chargenDatagram answers a datagram with the pattern, as RFC 864 asks: a
// random length between 0 and 512 bytes, starting at the beginning of a line
// that advances by one with each answer.
func chargenDatagram(_ *Kernel, _, _ []byte, n uint64) ([]byte, bool) {
	off := int(n%chargenRing) * chargenRowLen
	return chargenPattern()[off : off+rand.IntN(chargenMaxDatagram+1)], true
}
