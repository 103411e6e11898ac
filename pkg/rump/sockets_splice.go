package rump

// The data path of a session's socket: one goroutine per direction
// between rump_server's end of the pair and the stack's endpoint.
//
// pairToStack runs from the socket's birth. A stream's bytes are read
// from the pair straight into the endpoint's send buffer, as much as it
// has room for, once the socket is connected (sockets_stream.go); a
// datagram socket reads one message at a time and writes it to the
// endpoint, holding sendMu from the read to the write, so that a Shutdown
// for writing, which first sends what is still on the pair (flushPair),
// never overtakes a datagram the program wrote before it. At end of file (the program shut its end
// down for writing, or closed it) a stream sends FIN; then the goroutine
// waits for the pair to hang up, that is for every holder of the program's
// end to close it, and closes the socket. It is the only one that closes a
// socket on the program's behalf, so nothing the program wrote before
// closing is lost.
//
// stackToPair starts when the socket can receive (a datagram socket at
// once, a stream once connected). It waits on the endpoint's queue, reads
// what arrived into a pooled buffer and writes it to the pair. At a
// stream's end of file it shuts the pair down for writing (the program
// reads end of file). A reset or another failure of the connection closes
// the socket: the program reads end of file and its writes fail (EPIPE).
//
// A listening socket's acceptLoop takes connections off the endpoint as
// they complete, writes one byte to the pair for each, and queues them for
// Accept (doc/sockets.md).
//
// Buffers come from pools and are held only while data moves, so an idle
// socket holds none; the pairs' socket buffers are large (pairBufferSize).

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/waiter"
)

const (
	// streamChunk is the most a stream moves in one read.
	streamChunk = 256 << 10
	// dgramHeaderMax is the longest address header: family, port, IPv6
	// address, then packet info: interface index, IPv6 address.
	dgramHeaderMax = 1 + 2 + 16 + 4 + 16
	// dgramMax is the longest datagram payload with its header.
	dgramMax = 64<<10 + dgramHeaderMax
)

var (
	streamBufs = sync.Pool{New: func() any { b := make([]byte, streamChunk); return &b }}
	dgramBufs  = sync.Pool{New: func() any { b := make([]byte, dgramMax); return &b }}
)

func (s *socket) bufPool() *sync.Pool {
	if s.typ == api.SockStream {
		return &streamBufs
	}
	return &dgramBufs
}

// startReading starts stackToPair once.
func (s *socket) startReading() {
	s.rdOnce.Do(func() {
		ss := s.set
		ss.mu.Lock()
		defer ss.mu.Unlock()
		if ss.closed {
			return
		}
		ss.wg.Add(1)
		go s.stackToPair()
	})
}

// readPair reads one message from the pair into a pooled buffer. With
// wait it waits until there is one, and returns holding s.sendMu on a
// message (not at end of file or on an error), so that a Shutdown cannot
// come between its read and its write to the stack. Without, the caller
// holds s.sendMu and it fails with EAGAIN when the pair is empty; it
// reads beside a waiting reader (through Control: Read would wait for
// that reader's turn, which holds the descriptor until a message comes).
// eof is end of file: an empty read with the peer's write side shut down.
func (s *socket) readPair(wait bool) (buf *[]byte, n int, eof bool, err error) {
	pool := s.bufPool()
	var rerr error
	held := false
	read := func(fd uintptr) bool {
		if buf == nil {
			buf = pool.Get().(*[]byte)
		}
		if wait {
			s.sendMu.Lock()
			held = true
		}
		for {
			n, rerr = unix.Read(int(fd), *buf)
			if rerr != unix.EINTR {
				break
			}
		}
		if rerr == unix.EAGAIN && wait {
			s.sendMu.Unlock()
			held = false
			pool.Put(buf)
			buf = nil
			return false
		}
		return true
	}
	if wait {
		err = s.raw.Read(read)
	} else {
		err = s.raw.Control(func(fd uintptr) { read(fd) })
	}
	if err == nil {
		err = rerr
	}
	if err == nil && n == 0 && s.pairPolls(unix.POLLRDHUP) {
		eof = true
	}
	if err != nil || eof {
		if held {
			s.sendMu.Unlock()
		}
		if buf != nil {
			pool.Put(buf)
		}
		return nil, 0, eof, err
	}
	return buf, n, false, nil
}

// pairPolls reports whether rump_server's end of the pair has one of the
// poll events now.
func (s *socket) pairPolls(events int16) bool {
	var got bool
	s.raw.Control(func(fd uintptr) {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: events}}
		if n, _ := unix.Poll(pfd, 0); n > 0 {
			got = pfd[0].Revents&(events|unix.POLLHUP) != 0
		}
	})
	return got
}

// waitHangup waits until every holder of the program's end has closed it,
// or the socket is closed.
func (s *socket) waitHangup() {
	s.raw.Read(func(uintptr) bool {
		return s.pairPolls(unix.POLLHUP)
	})
}

// pairToStack is the program-to-stack direction.
func (s *socket) pairToStack() {
	defer s.set.wg.Done()
	defer s.close()
	entry, writable := waiter.NewChannelEntry(waiter.WritableEvents | waiter.EventHUp | waiter.EventErr)
	s.wq.EventRegister(&entry)
	defer s.wq.EventUnregister(&entry)
	if s.typ == api.SockStream {
		if s.streamToStack(writable) {
			s.waitHangup()
		}
		return
	}
	if h := testPairHook.Load(); h != nil {
		(*h)()
	}
	var r bytes.Reader
	for {
		buf, n, eof, err := s.readPair(true)
		if err != nil {
			return
		}
		if eof {
			s.waitHangup()
			return
		}
		ok := s.toStack(&r, (*buf)[:n], writable)
		s.sendMu.Unlock()
		s.bufPool().Put(buf)
		if !ok {
			return
		}
	}
}

// flushPair sends the datagrams on the pair now, without waiting for
// more: the program wrote them before the Shutdown the caller is about
// to apply, which would otherwise overtake them (a request to the
// session is handled at once, the pair is read when pairToStack gets to
// it). The caller holds s.sendMu.
func (s *socket) flushPair() {
	entry, writable := waiter.NewChannelEntry(waiter.WritableEvents | waiter.EventHUp | waiter.EventErr)
	s.wq.EventRegister(&entry)
	defer s.wq.EventUnregister(&entry)
	var r bytes.Reader
	for {
		buf, n, eof, err := s.readPair(false)
		if err != nil || eof {
			return
		}
		ok := s.toStack(&r, (*buf)[:n], writable)
		s.bufPool().Put(buf)
		if !ok {
			return
		}
	}
}

func (s *socket) isReady() bool {
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

// toStack writes one datagram to the endpoint; false when the socket is
// done for.
func (s *socket) toStack(r *bytes.Reader, b []byte, writable <-chan struct{}) bool {
	var opts tcpip.WriteOptions
	if !s.connected.Load() {
		to, cm, payload, ok := parseDgramHeader(b, s.family)
		if !ok {
			return true // not addressed: dropped
		}
		opts.To, opts.ControlMessages = &to, cm
		b = payload
	}
	r.Reset(b)
	for {
		_, terr := s.ep.Write(r, opts)
		switch terr.(type) {
		case nil:
			return true
		case *tcpip.ErrWouldBlock:
			select {
			case <-writable:
				continue
			case <-s.done:
				return false
			}
		}
		// A datagram that cannot be sent (no route, too long) is
		// dropped, as UDP may.
		return true
	}
}

// stackToPair is the stack-to-program direction.
func (s *socket) stackToPair() {
	defer s.set.wg.Done()
	entry, readable := waiter.NewChannelEntry(waiter.ReadableEvents | waiter.EventHUp | waiter.EventErr)
	s.wq.EventRegister(&entry)
	defer s.wq.EventUnregister(&entry)
	pool := s.bufPool()
	for {
		buf := pool.Get().(*[]byte)
		more, ok := s.toPair(*buf)
		pool.Put(buf)
		if !ok {
			return
		}
		if more {
			continue
		}
		select {
		case <-readable:
		case <-s.done:
			return
		}
	}
}

// toPair moves what the endpoint holds, one read, to the pair. more says
// whether it read something (so there may be more); ok false ends the
// direction.
func (s *socket) toPair(buf []byte) (more, ok bool) {
	if s.typ == api.SockStream {
		w := tcpip.SliceWriter(buf)
		res, terr := s.ep.Read(&w, tcpip.ReadOptions{})
		switch terr.(type) {
		case nil:
			_, err := s.conn.Write(buf[:res.Count])
			return true, err == nil
		case *tcpip.ErrWouldBlock:
			return false, true
		case *tcpip.ErrClosedForReceive:
			s.conn.CloseWrite() // FIN from the peer: the program reads EOF
			return false, false
		}
		s.close() // reset, timed out: the program's reads end
		return false, false
	}
	w := tcpip.SliceWriter(buf[dgramHeaderMax:])
	res, terr := s.ep.Read(&w, tcpip.ReadOptions{NeedRemoteAddr: true})
	switch terr.(type) {
	case nil:
	case *tcpip.ErrWouldBlock:
		return false, true
	case *tcpip.ErrClosedForReceive:
		return false, false
	default:
		return true, true // an ICMP error for a datagram: the next one may do
	}
	start := dgramHeaderMax
	s.framing.Lock()
	if !s.connected.Load() {
		h := dgramHeader(res.RemoteAddr, &res.ControlMessages, s.typ, s.family)
		start -= len(h)
		copy(buf[start:], h)
	}
	_, err := s.conn.Write(buf[start : dgramHeaderMax+res.Count])
	s.framing.Unlock()
	if err != nil && !isTransient(err) {
		return false, false
	}
	return true, true
}

// isTransient reports a pair write error after which the socket goes on:
// a message the pair cannot take is dropped, as a datagram may be.
func isTransient(err error) bool {
	return errors.Is(err, syscall.EMSGSIZE) || errors.Is(err, syscall.ENOBUFS)
}

// dgramHeader is the address header of an unconnected datagram's message:
// family, port in network order (0 for ICMP), address, and the packet info
// when the socket asked for it (doc/sockets.md). On an IPv6 socket it is
// always IPv6, IPv4 addresses mapped, as Linux reports them.
func dgramHeader(fa tcpip.FullAddress, cm *tcpip.ReceivableControlMessages, typ string, family int) []byte {
	var h [dgramHeaderMax]byte
	a := addrPortOf(fa, family).Addr().AsSlice()
	h[0] = 4
	if len(a) == 16 {
		h[0] = 6
	}
	if typ != api.SockICMP {
		binary.BigEndian.PutUint16(h[1:3], fa.Port)
	}
	n := 3 + copy(h[3:], a)
	nic, local, ok := recvPacketInfo(cm)
	if !ok {
		return h[:n]
	}
	h[0] |= dgramInfoFlag
	binary.BigEndian.PutUint32(h[n:], uint32(nic))
	n += 4
	n += copy(h[n:], addrPortOf(tcpip.FullAddress{Addr: local}, family).Addr().AsSlice())
	return h[:n]
}

// parseDgramHeader splits a message from the program into its destination,
// the packet info it asks to send with, and payload. An IPv4 destination
// on an IPv6 socket is mapped.
func parseDgramHeader(b []byte, family int) (tcpip.FullAddress, tcpip.SendableControlMessages, []byte, bool) {
	var cm tcpip.SendableControlMessages
	if len(b) < 3 {
		return tcpip.FullAddress{}, cm, nil, false
	}
	fa := tcpip.FullAddress{Port: binary.BigEndian.Uint16(b[1:3])}
	alen := 0
	switch b[0] &^ dgramInfoFlag {
	case 4:
		alen = 4
	case 6:
		if family != 6 {
			return tcpip.FullAddress{}, cm, nil, false
		}
		alen = 16
	default:
		return tcpip.FullAddress{}, cm, nil, false
	}
	info := b[0]&dgramInfoFlag != 0
	need := 3 + alen
	if info {
		need += 4 + alen
	}
	if len(b) < need {
		return tcpip.FullAddress{}, cm, nil, false
	}
	fa.Addr = stackAddr(b[3:3+alen], family)
	if info {
		cm = sendPacketInfo(binary.BigEndian.Uint32(b[3+alen:]), stackAddr(b[7+alen:need], family), family)
	}
	return fa, cm, b[need:], true
}

// unframeQueued takes the messages queued on the program's end of a
// datagram socket that was just connected, all written with address
// headers, and writes them back without: they stay in order, ahead of
// every message written after. The caller holds s.framing.
func (s *socket) unframeQueued(end *os.File) {
	buf := dgramBufs.Get().(*[]byte)
	defer dgramBufs.Put(buf)
	var msgs [][]byte
	for {
		n, _, err := unix.Recvfrom(int(end.Fd()), *buf, unix.MSG_DONTWAIT)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break
		}
		if _, _, payload, ok := parseDgramHeader((*buf)[:n], s.family); ok {
			msgs = append(msgs, bytes.Clone(payload))
		}
	}
	for _, m := range msgs {
		if _, err := s.conn.Write(m); err != nil && !isTransient(err) {
			return
		}
	}
}

// acceptLoop takes a listener's connections off the endpoint as they
// complete: one byte on the pair for each, then into the queue.
func (s *socket) acceptLoop() {
	defer s.set.wg.Done()
	defer s.drainAccepts()
	entry, readable := waiter.NewChannelEntry(waiter.ReadableEvents | waiter.EventHUp | waiter.EventErr)
	s.wq.EventRegister(&entry)
	defer s.wq.EventUnregister(&entry)
	one := []byte{1}
	for {
		var peer tcpip.FullAddress
		ep, wq, terr := s.ep.Accept(&peer)
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
		// The byte first: once Accept has taken a connection, its byte is
		// there to be read. Until the connection is in the queue it counts
		// as in flight, and Accept waits for it rather than fail with
		// EAGAIN while the pair polls readable: a program that waits on
		// edge-triggered epoll would never be woken again.
		s.inflight.Add(1)
		s.conn.Write(one)
		if testAcceptHook != nil {
			testAcceptHook()
		}
		select {
		case s.accepts <- acceptedConn{ep: ep, wq: wq, peer: peer}:
			s.inflight.Add(-1)
		case <-s.done:
			s.inflight.Add(-1)
			ep.Close()
			return
		}
	}
}

// testPairHook, when set by a test, runs as a datagram socket's
// pairToStack starts, before it reads the pair.
var testPairHook atomic.Pointer[func()]

// testAcceptHook, when set by a test, runs between a connection's byte and
// its joining the queue.
var testAcceptHook func()

// drainAccepts closes the connections nobody accepted.
func (s *socket) drainAccepts() {
	for {
		select {
		case ac := <-s.accepts:
			ac.ep.Close()
		default:
			return
		}
	}
}
