package rump

// Echo requests sent by the kernel itself: what ping(8) and ping6(8) do
// through a rump kernel's sockets, done here with a gVisor ping endpoint
// (the ICMP "datagram" socket Linux calls a ping socket).
//
// Ping runs on its caller's goroutine and starts none of its own. One loop
// waits on a timer for the next request, on the endpoint's waiter queue for
// replies and on the caller's context; every path out of it closes the
// endpoint (which unregisters it from the stack) and stops the timers.
// Halting the kernel aborts the endpoint, which wakes the loop and ends the
// run. The registry lock is held only while the request is checked and an
// interface name looked up, never while the loop runs or emit is called.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// Limits of a ping run.
const (
	// pingMinInterval is the shortest time between requests: a run sends
	// at most a thousand a second.
	pingMinInterval = time.Millisecond
	// pingStampLen is the size of the timestamp a request carries at the
	// start of its data, when there is room for it.
	pingStampLen = 8
	// pingMaxSize4 and pingMaxSize6 are the largest data sizes: what fits
	// in an IPv4 datagram, and in an IPv6 payload without jumbograms.
	pingMaxSize4 = 0xffff - header.IPv4MinimumSize - header.ICMPv4MinimumSize
	pingMaxSize6 = 0xffff - header.ICMPv6EchoMinimumSize
)

// pingTarget is a checked request.
type pingTarget struct {
	req      api.PingRequest
	proto    tcpip.NetworkProtocolNumber
	dst, src tcpip.Address // src may be empty
	gateway  tcpip.Address // the loose source route's first hop; empty for none
	nic      tcpip.NICID   // 0: any interface
	interval time.Duration
}

// Ping sends echo requests from the kernel's own stack to req.Dst and
// reports the run through emit: a start event, a sent event for every
// request (with the error if it could not be sent), a reply event for every
// echo reply, and an end event. It returns when the run ends or ctx is
// cancelled (then without an end event).
//
// An error is returned, before any event, only for a request that cannot
// run at all: EINVAL (malformed), EAFNOSUPPORT (the kernel lacks the
// family), EMSGSIZE (size), ENXIO (no such interface, or the kernel is
// halted), EADDRNOTAVAIL (the source is not the kernel's, or the interface
// has no address of the family). A destination without a route is not an
// error: the start event says so and every request fails with EHOSTUNREACH,
// as NetBSD's ping reports it.
func (k *Kernel) Ping(ctx context.Context, req api.PingRequest, emit func(api.PingEvent)) error {
	t, err := k.pingTarget(req)
	if err != nil {
		return err
	}
	var wq waiter.Queue
	transport := icmp.ProtocolNumber4
	if t.proto == ipv6.ProtocolNumber {
		transport = icmp.ProtocolNumber6
	}
	ep, terr := k.stack.NewEndpoint(transport, t.proto, &wq)
	if terr != nil {
		return api.Errorf(syscall.EIO, "ping endpoint: "+terr.String())
	}
	defer ep.Close()
	entry, readable := waiter.NewChannelEntry(waiter.ReadableEvents | waiter.EventHUp | waiter.EventErr)
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)
	if err := t.configure(ep); err != nil {
		return err
	}
	local, _ := ep.GetLocalAddress()
	var until time.Time
	if d := api.Seconds(req.Deadline); d > 0 {
		until = time.Now().Add(d)
		k.awaitSource(ctx, t, until)
	}
	start := api.PingEvent{Type: api.PingStart, Dst: k.addrString(t.dst, t.nic), Ident: int(local.Port)}
	if r, terr := k.stack.FindRoute(t.nic, t.src, t.dst, t.proto, false); terr != nil {
		start.Error = api.NewErrorReply(k.unreachErrno(t.dst, pingErrno(terr)), "route to "+t.dst.String()+": "+terr.String())
	} else {
		start.Src = k.addrString(r.LocalAddress(), r.NICID())
		r.Release()
	}
	emit(start)
	run := &pingRun{k: k, t: t, ep: ep, emit: emit, begin: time.Now(), until: until, seen: make(map[uint16]bool), ident: local.Port, nonce: newNonce()}
	errs := run.openErrors()
	if run.raw != nil {
		defer run.closeErrors()
	}
	run.loop(ctx, readable, errs)
	return nil
}

// pingTarget checks a request against the kernel: family, sizes, source
// and interface.
func (k *Kernel) pingTarget(req api.PingRequest) (pingTarget, error) {
	t := pingTarget{req: req, interval: api.Seconds(req.Interval)}
	dst, err := netip.ParseAddr(req.Dst)
	if err != nil {
		return t, api.Errorf(syscall.EINVAL, fmt.Sprintf("dst %q: not an address", req.Dst))
	}
	dst = dst.Unmap()
	maxSize := pingMaxSize4
	t.proto = ipv4.ProtocolNumber
	if dst.Is6() {
		maxSize, t.proto = pingMaxSize6, ipv6.ProtocolNumber
	}
	switch {
	case t.proto == ipv4.ProtocolNumber && !k.comps.inet(), t.proto == ipv6.ProtocolNumber && !k.comps.inet6():
		return t, api.Errorf(syscall.EAFNOSUPPORT, "ping "+req.Dst+": the kernel has no "+familyName(dst))
	case req.Size < 0 || req.Size > maxSize:
		return t, api.Errorf(syscall.EMSGSIZE, fmt.Sprintf("size %d not in 0..%d", req.Size, maxSize))
	case req.Count < 0 || !validSeconds(req.Interval) || !validSeconds(req.Deadline) || !validSeconds(req.Wait):
		return t, api.Errorf(syscall.EINVAL, "count cannot be negative; interval, deadline and wait must be in 0..1e9 seconds")
	case req.TTL < 0 || req.TTL > 255 || req.TOS < 0 || req.TOS > 255:
		return t, api.Errorf(syscall.EINVAL, "ttl and tos must be in 0..255")
	}
	if req.NextHop != "" {
		return t, api.Errorf(syscall.EOPNOTSUPP, "IPV6_NEXTHOP: the stack takes the next hop from its routing table only")
	}
	if req.NodeInfo && !dst.Is6() {
		return t, api.Errorf(syscall.EINVAL, "node information queries only for an inet6 destination")
	}
	if req.RecordRoute || req.SourceRoute != "" || req.DontFragment {
		if err := t.checkOptions(dst); err != nil {
			return t, err
		}
	}
	if t.interval == 0 {
		t.interval = time.Second
	}
	t.interval = max(t.interval, pingMinInterval)
	t.dst = tcpip.AddrFromSlice(dst.AsSlice())
	if req.Src != "" {
		src, err := netip.ParseAddr(req.Src)
		if err != nil || src.Unmap().Is4() != dst.Is4() {
			return t, api.Errorf(syscall.EINVAL, fmt.Sprintf("src %q: not an %s address", req.Src, familyName(dst)))
		}
		t.src = tcpip.AddrFromSlice(src.Unmap().AsSlice())
	}
	ifname := req.Interface
	if zone := dst.Zone(); zone != "" {
		if ifname != "" && ifname != zone {
			return t, api.Errorf(syscall.EINVAL, "dst zone "+zone+" and interface "+ifname+" differ")
		}
		ifname = zone
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return t, api.Errorf(syscall.ENXIO, "kernel halted")
	}
	if ifname == "" {
		t.nic = k.ownerOfLocked(dst)
		return t, nil
	}
	ifp, err := k.lookupZoneLocked(ifname)
	if err != nil {
		return t, err
	}
	t.nic = ifp.nic
	for _, a := range ifp.addrs {
		if a.is4() == dst.Is4() {
			return t, nil
		}
	}
	return t, api.Errorf(syscall.EADDRNOTAVAIL, ifname+" has no "+familyName(dst)+" address")
}

// ownerOfLocked is the non-loopback interface that has address a, or 0.
// A ping to one of the kernel's own addresses goes out through that
// interface (and loops there): sent without one, gVisor loops it through
// lo0, whose IPv4 side then finds no route back for the echo reply.
func (k *Kernel) ownerOfLocked(a netip.Addr) tcpip.NICID {
	for _, ifp := range k.ifaces {
		if ifp.cloner == "lo" {
			continue
		}
		for _, ia := range ifp.addrs {
			if ia.prefix.Addr() == a.WithZone("") {
				return ifp.nic
			}
		}
	}
	return 0
}

// pingMaxSeconds bounds a run's times, to keep them far from the range
// of a time.Duration.
const pingMaxSeconds = 1e9

func validSeconds(s float64) bool { return s >= 0 && s <= pingMaxSeconds }

// lookupZoneLocked finds an interface by name or, as a zone may give it,
// by index.
func (k *Kernel) lookupZoneLocked(zone string) (*Interface, error) {
	if n, err := strconv.Atoi(zone); err == nil {
		for _, ifp := range k.ifaces {
			if int(ifp.nic) == n {
				return ifp, nil
			}
		}
	}
	return k.lookupLocked(zone)
}

func familyName(a netip.Addr) string {
	if a.Is4() {
		return "inet"
	}
	return "inet6"
}

// configure sets the endpoint's options and binds it, which gives it its
// ICMP identifier.
func (t pingTarget) configure(ep tcpip.Endpoint) error {
	ops := ep.SocketOptions()
	ops.SetBroadcast(true) // ping(8) may ping a broadcast address
	if t.proto == ipv4.ProtocolNumber {
		ops.SetReceiveTTL(true)
	} else {
		ops.SetReceiveHopLimit(true)
	}
	if t.nic != 0 {
		if terr := ops.SetBindToDevice(int32(t.nic)); terr != nil {
			return api.Errorf(syscall.ENXIO, "bind to interface: "+terr.String())
		}
	}
	opts := map[tcpip.SockOptInt]int{}
	if t.req.DontFragment {
		opts[tcpip.MTUDiscoverOption] = int(tcpip.PMTUDiscoveryDo)
	}
	if t.req.TTL != 0 {
		if t.proto == ipv4.ProtocolNumber {
			opts[tcpip.IPv4TTLOption] = t.req.TTL
		} else {
			opts[tcpip.IPv6HopLimitOption] = t.req.TTL
		}
		opts[tcpip.MulticastTTLOption] = t.req.TTL
	}
	if t.req.TOS != 0 {
		if t.proto == ipv4.ProtocolNumber {
			opts[tcpip.IPv4TOSOption] = t.req.TOS
		} else {
			opts[tcpip.IPv6TrafficClassOption] = t.req.TOS
		}
	}
	for opt, v := range opts {
		if terr := ep.SetSockOptInt(opt, v); terr != nil {
			return api.Errorf(syscall.EINVAL, "socket option: "+terr.String())
		}
	}
	if terr := ep.Bind(tcpip.FullAddress{Addr: t.src, NIC: t.nic}); terr != nil {
		return api.Errorf(pingErrno(terr), "bind "+t.src.String()+": "+terr.String())
	}
	return nil
}

// unreachErrno refines e, the errno of a failure to route to dst, for a
// reject route: one whose gateway is on a loopback interface is refused by
// that interface's output, which gives ENETUNREACH for a network route and
// EHOSTUNREACH for a host route (NetBSD's looutput); a reject route through
// another interface fails at resolving its gateway, EHOSTUNREACH. A
// destination without any route is announced with RTM_MISS.
func (k *Kernel) unreachErrno(dst tcpip.Address, e syscall.Errno) syscall.Errno {
	if e != syscall.EHOSTUNREACH {
		return e
	}
	a, ok := netip.AddrFromSlice(dst.AsSlice())
	if !ok {
		return e
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	r := k.routeToLocked(a, false)
	if r == nil {
		k.rtm.publish(missMessage(0, dst)) // NetBSD's rtalloc reports the miss
	}
	if r != nil && r.flags&(api.RTF_REJECT|api.RTF_HOST) == api.RTF_REJECT &&
		r.ifp != nil && r.ifp.flags&api.IFF_LOOPBACK != 0 {
		return syscall.ENETUNREACH
	}
	return e
}

// pingErrno is the errno NetBSD's socket calls give for a gVisor failure
// to route or send: a destination without a route is EHOSTUNREACH there.
func pingErrno(e tcpip.Error) syscall.Errno {
	switch e.(type) {
	case *tcpip.ErrNetworkUnreachable, *tcpip.ErrHostUnreachable, *tcpip.ErrNoNet:
		return syscall.EHOSTUNREACH
	case *tcpip.ErrHostDown:
		return syscall.EHOSTDOWN
	case *tcpip.ErrBadLocalAddress:
		return syscall.EADDRNOTAVAIL
	case *tcpip.ErrMessageTooLong:
		return syscall.EMSGSIZE
	case *tcpip.ErrWouldBlock, *tcpip.ErrNoBufferSpace:
		return syscall.ENOBUFS
	case *tcpip.ErrBroadcastDisabled:
		return syscall.EACCES
	case *tcpip.ErrClosedForSend, *tcpip.ErrClosedForReceive:
		return syscall.ENETDOWN
	case *tcpip.ErrUnknownNICID:
		return syscall.ENXIO
	}
	return syscall.EIO
}

// addrString prints an address, with the interface as zone for an IPv6
// link-local one.
func (k *Kernel) addrString(a tcpip.Address, nic tcpip.NICID) string {
	ip, _ := netip.AddrFromSlice(a.AsSlice())
	if nic == 0 || !ip.Is6() || !(ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()) {
		return ip.String()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, ifp := range k.ifaces {
		if ifp.nic == nic {
			return ip.WithZone(ifp.name).String()
		}
	}
	return ip.String()
}

// pingRun is the state of one run's loop.
type pingRun struct {
	k     *Kernel
	t     pingTarget
	ep    tcpip.Endpoint
	emit  func(api.PingEvent)
	begin time.Time
	until time.Time // the deadline; zero for none

	sent   int             // requests sent (or tried)
	lastTx time.Time       // when the last one went
	seen   map[uint16]bool // sequence numbers answered
	tmax   time.Duration   // longest round trip so far

	ident uint16         // the ICMP identifier of the run's requests
	nonce [6]byte        // the node information queries' nonce, after the sequence number
	raw   tcpip.Endpoint // the raw ICMP endpoint errors arrive on; nil without one
	rawWQ waiter.Queue
	rawWE waiter.Entry
}

// loop sends and receives until the run ends.
func (p *pingRun) loop(ctx context.Context, readable, errs <-chan struct{}) {
	send := time.NewTimer(0)
	defer send.Stop()
	sendC, next := send.C, p.begin
	var deadlineC, lingerC <-chan time.Time
	if !p.until.IsZero() {
		deadline := time.NewTimer(max(time.Until(p.until), 0))
		defer deadline.Stop()
		deadlineC = deadline.C
	}
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	defer linger.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-deadlineC:
			p.end(api.PingEndDeadline)
			return
		case <-sendC:
			p.send()
			if p.t.req.Count > 0 && p.sent >= p.t.req.Count {
				sendC = nil
				linger.Reset(p.lingerLeft())
				lingerC = linger.C
				break
			}
			// A fixed schedule, as NetBSD's ping keeps: a late request
			// does not delay the next ones.
			next = next.Add(p.t.interval)
			send.Reset(max(time.Until(next), 0))
		case <-lingerC:
			// The longest round trip may have grown since the timer was set.
			if left := p.lingerLeft(); left > 0 {
				linger.Reset(left)
				break
			}
			p.end(api.PingEndCount)
			return
		case <-errs:
			p.receiveICMP()
		case <-readable:
			if closed := p.receive(); closed {
				p.end(api.PingEndHalt)
				return
			}
		}
		if n := p.t.req.Count; n > 0 && p.sent >= n && len(p.seen) >= n {
			p.end(api.PingEndCount)
			return
		}
	}
}

// lingerLeft is how much longer to wait for replies after the last
// request: Wait if given, else NetBSD ping's twice the longest round trip,
// at least ten intervals.
func (p *pingRun) lingerLeft() time.Duration {
	wait := api.Seconds(p.t.req.Wait)
	if wait == 0 {
		wait = max(2*p.tmax, 10*p.t.interval)
	}
	return wait - time.Since(p.lastTx)
}

func (p *pingRun) end(reason string) {
	p.emit(api.PingEvent{Type: api.PingEnd, Seq: p.sent, Reason: reason})
}

// send sends request number p.sent: the ICMP header, then the time since
// the run began (if there is room) and bytes counting up, as NetBSD's ping
// fills its data.
func (p *pingRun) send() {
	seq := uint16(p.sent)
	b := make([]byte, header.ICMPv4MinimumSize+p.t.req.Size)
	if p.t.proto == ipv4.ProtocolNumber {
		h := header.ICMPv4(b)
		h.SetType(header.ICMPv4Echo)
		h.SetSequence(seq)
	} else {
		h := header.ICMPv6(b)
		h.SetType(header.ICMPv6EchoRequest)
		h.SetSequence(seq)
	}
	data := b[header.ICMPv4MinimumSize:]
	for i := range data {
		data[i] = byte(i)
	}
	p.lastTx = time.Now()
	if len(data) >= pingStampLen {
		binary.BigEndian.PutUint64(data, uint64(p.lastTx.Sub(p.begin)))
	}
	ev := api.PingEvent{Type: api.PingSent, Seq: int(seq)}
	var r bytes.Reader
	r.Reset(b)
	to := tcpip.FullAddress{Addr: p.t.dst, NIC: p.t.nic}
	ep := p.ep
	switch {
	case p.withOptions() && p.raw != nil:
		ep, to.Addr = p.raw, p.t.firstHop()
		r.Reset(p.withHeader(b))
	case p.t.req.NodeInfo && p.raw != nil:
		ep = p.raw
		r.Reset(p.nodeInfoQuery(seq))
	}
	if p.tooBig(r.Len()) {
		ev.Error = api.NewErrorReply(syscall.EMSGSIZE, "send to "+p.t.dst.String()+": bigger than the MTU and may not be fragmented")
	} else if _, terr := ep.Write(&r, tcpip.WriteOptions{To: &to}); terr != nil {
		ev.Error = api.NewErrorReply(p.k.unreachErrno(p.t.dst, pingErrno(terr)), "send to "+p.t.dst.String()+": "+terr.String())
	}
	p.sent++
	p.emit(ev)
}

// receive reads every queued echo reply and reports it; it returns true
// once the endpoint is closed (the kernel is halting).
func (p *pingRun) receive() (closed bool) {
	var buf bytes.Buffer
	for {
		buf.Reset()
		res, terr := p.ep.Read(&buf, tcpip.ReadOptions{NeedRemoteAddr: true})
		switch terr.(type) {
		case nil:
		case *tcpip.ErrWouldBlock:
			return false
		default:
			return true
		}
		b := buf.Bytes()
		if len(b) < header.ICMPv4MinimumSize || p.withOptions() {
			// With IP options the raw endpoint reports the replies, with
			// the options they carry.
			continue
		}
		ttl := int(res.ControlMessages.TTL)
		if p.t.proto == ipv6.ProtocolNumber {
			ttl = int(res.ControlMessages.HopLimit)
		}
		p.reply(b, p.k.addrString(res.RemoteAddr.Addr, res.RemoteAddr.NIC), ttl, res.ControlMessages.Timestamp, nil)
	}
}

// reply reports echo reply b (from its ICMP header on), received at rx.
func (p *pingRun) reply(b []byte, from string, ttl int, rx time.Time, options []byte) {
	seq := header.ICMPv4(b).Sequence() // the same place in ICMPv6
	ev := api.PingEvent{Type: api.PingReply, Seq: int(seq), From: from, Bytes: len(b), TTL: ttl, Options: options}
	if len(b) >= header.ICMPv4MinimumSize+pingStampLen {
		sentAt := time.Duration(binary.BigEndian.Uint64(b[header.ICMPv4MinimumSize:]))
		rtt := rx.Sub(p.begin) - sentAt
		p.tmax = max(p.tmax, rtt)
		ev.RTT = float64(rtt) / float64(time.Millisecond)
	}
	p.seen[seq] = true
	p.emit(ev)
}
