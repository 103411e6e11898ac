package rump

// Route tracing, as traceroute(8) and traceroute6(8) do it from the
// kernel's own stack: probes with growing TTLs (hop limits), each answered
// by the router where its TTL ran out (time exceeded) or by the
// destination (port unreachable for a UDP probe, echo reply for an ICMP
// one). Probes are UDP datagrams from a UDP endpoint, or echo requests
// from a ping endpoint; every answer is read from a raw ICMP endpoint of
// the family, which sees each ICMP message the kernel receives, and is
// matched to the probe it quotes by the quoted UDP ports (or ICMP
// identifier and sequence number).
//
// Traceroute runs on its caller's goroutine and starts none of its own;
// one probe is outstanding at a time, as in NetBSD's traceroute. Every
// way out closes both endpoints. Halting the kernel closes them under the
// run, which ends it. The registry lock is held only while the request is
// checked, never while probes are out or emit is called.

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/raw"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// NetBSD traceroute's defaults and the size of a probe's data: a sequence
// byte, the TTL and a timestamp, as traceroute's outdata.
const (
	traceProbes   = 3
	traceWait     = 5 * time.Second
	tracePort     = 32768 + 666
	traceDataLen  = 12
	traceMaxTries = 1 << 16 // probes in one run, so that Port+n stays a port
)

// Why a run ended (TracerouteEvent.Reason).
const (
	traceReached     = "reached"
	traceUnreachable = "unreachable"
	traceMaxTTL      = "max_ttl"
	traceHalt        = "halt"
)

// traceRun is the state of one run.
type traceRun struct {
	k     *Kernel
	t     pingTarget
	req   api.TracerouteRequest
	wait  time.Duration
	probe tcpip.Endpoint // UDP or ping endpoint the probes leave from
	raw   tcpip.Endpoint // where the answers arrive
	ident uint16         // the probes' UDP source port or ICMP identifier
	seq   int            // the last probe's number, from 1
}

// traceAnswer is what answered a probe.
type traceAnswer struct {
	from          string
	ttl           int
	typ, code     int
	mtu           int
	at            time.Time
	reached, fail bool
}

// Traceroute traces the route to req.Dst and reports it through emit: a
// start event, a probe event for every probe (with who answered, or
// nothing after Wait) and an end event. It returns when the run ends or
// ctx is cancelled (then without an end event). A request that cannot run
// at all fails before any event, with the errors Ping gives for it.
func (k *Kernel) Traceroute(ctx context.Context, req api.TracerouteRequest, emit func(api.TracerouteEvent)) error {
	run, err := k.newTraceRun(req)
	if err != nil {
		return err
	}
	var probeWQ, rawWQ waiter.Queue
	if err := run.open(&probeWQ, &rawWQ); err != nil {
		return err
	}
	defer run.probe.Close()
	defer run.raw.Close()
	entry, readable := waiter.NewChannelEntry(waiter.ReadableEvents | waiter.EventHUp | waiter.EventErr)
	rawWQ.EventRegister(&entry)
	defer rawWQ.EventUnregister(&entry)
	start := api.TracerouteEvent{Type: api.TracerouteStart, Dst: k.addrString(run.t.dst, run.t.nic), MaxTTL: run.req.MaxTTL}
	if r, terr := k.stack.FindRoute(run.t.nic, run.t.src, run.t.dst, run.t.proto, false); terr != nil {
		start.Error = api.NewErrorReply(pingErrno(terr), "route to "+run.t.dst.String()+": "+terr.String())
	} else {
		start.Src = k.addrString(r.LocalAddress(), r.NICID())
		r.Release()
	}
	emit(start)
	reason := run.loop(ctx, readable, emit)
	if reason != "" {
		emit(api.TracerouteEvent{Type: api.TracerouteEnd, Reason: reason})
	}
	return nil
}

// newTraceRun checks a request and fills in its defaults.
func (k *Kernel) newTraceRun(req api.TracerouteRequest) (*traceRun, error) {
	t, err := k.pingTarget(api.PingRequest{Dst: req.Dst, Src: req.Src})
	if err != nil {
		return nil, err
	}
	if req.FirstTTL == 0 {
		req.FirstTTL = 1
	}
	if req.MaxTTL == 0 {
		req.MaxTTL = k.defaultTTL(t.proto)
	}
	if req.Probes == 0 {
		req.Probes = traceProbes
	}
	if req.Port == 0 {
		req.Port = tracePort
	}
	switch {
	case req.FirstTTL < 1 || req.FirstTTL > 255 || req.MaxTTL < 1 || req.MaxTTL > 255:
		return nil, api.Errorf(syscall.EINVAL, "first and max ttl must be in 1..255")
	case req.FirstTTL > req.MaxTTL:
		return nil, api.Errorf(syscall.EINVAL, "first ttl may not be greater than max ttl")
	case req.Probes < 0 || req.Probes*(req.MaxTTL-req.FirstTTL+1) >= traceMaxTries:
		return nil, api.Errorf(syscall.EINVAL, "too many probes")
	case req.Port < 0 || req.Port > 0xffff || !validSeconds(req.Wait):
		return nil, api.Errorf(syscall.EINVAL, "port must be in 1..65535, wait in 0..1e9 seconds")
	}
	wait := api.Seconds(req.Wait)
	if wait == 0 {
		wait = traceWait
	}
	return &traceRun{k: k, t: t, req: req, wait: wait}, nil
}

// open makes the probe and answer endpoints and binds the probe one,
// which gives the run its identifier.
func (p *traceRun) open(probeWQ, rawWQ *waiter.Queue) error {
	transport := icmp.ProtocolNumber4
	if p.t.proto == ipv6.ProtocolNumber {
		transport = icmp.ProtocolNumber6
	}
	sender := udp.ProtocolNumber
	if p.req.ICMP {
		sender = transport
	}
	ep, terr := p.k.stack.NewEndpoint(sender, p.t.proto, probeWQ)
	if terr != nil {
		return api.Errorf(syscall.EIO, "probe endpoint: "+terr.String())
	}
	rawEP, terr := raw.NewEndpoint(p.k.stack, p.t.proto, transport, rawWQ)
	if terr != nil {
		ep.Close()
		return api.Errorf(syscall.EIO, "icmp endpoint: "+terr.String())
	}
	rawEP.SocketOptions().SetReceiveHopLimit(true)
	p.probe, p.raw = ep, rawEP
	if p.t.nic != 0 {
		ep.SocketOptions().SetBindToDevice(int32(p.t.nic))
	}
	if terr := ep.Bind(tcpip.FullAddress{Addr: p.t.src, NIC: p.t.nic}); terr != nil {
		ep.Close()
		rawEP.Close()
		return api.Errorf(pingErrno(terr), "bind "+p.t.src.String()+": "+terr.String())
	}
	local, _ := ep.GetLocalAddress()
	p.ident = local.Port
	return nil
}

// loop sends the probes, TTL after TTL, and returns why it stopped; ""
// when ctx was cancelled.
func (p *traceRun) loop(ctx context.Context, readable <-chan struct{}, emit func(api.TracerouteEvent)) string {
	for ttl := p.req.FirstTTL; ttl <= p.req.MaxTTL; ttl++ {
		reached, unreachable := false, 0
		for n := range p.req.Probes {
			ev, ans, halted := p.oneProbe(ctx, readable, ttl)
			if ctx.Err() != nil {
				return ""
			}
			ev.Probe = n
			emit(ev)
			if halted {
				return traceHalt
			}
			reached = reached || ans.reached
			if ans.fail {
				unreachable++
			}
		}
		switch {
		case reached:
			return traceReached
		case unreachable > 0 && unreachable >= (p.req.Probes+1)/2:
			return traceUnreachable
		}
	}
	return traceMaxTTL
}

// oneProbe sends the next probe with the given TTL and waits for its
// answer.
func (p *traceRun) oneProbe(ctx context.Context, readable <-chan struct{}, ttl int) (api.TracerouteEvent, traceAnswer, bool) {
	p.seq++
	ev := api.TracerouteEvent{Type: api.TracerouteProbe, TTL: ttl}
	sent := time.Now()
	if err := p.send(ttl); err != nil {
		ev.Error = err
		return ev, traceAnswer{}, false
	}
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	for {
		ans, ok, closed := p.receive()
		if closed {
			return ev, traceAnswer{}, true
		}
		if ok {
			ev.From, ev.ReplyTTL, ev.ICMPType, ev.ICMPCode, ev.MTU = ans.from, ans.ttl, ans.typ, ans.code, ans.mtu
			ev.RTT = float64(ans.at.Sub(sent)) / float64(time.Millisecond)
			return ev, ans, false
		}
		select {
		case <-ctx.Done():
			return ev, traceAnswer{}, false
		case <-timer.C:
			return ev, traceAnswer{}, false
		case <-readable:
		}
	}
}

// send sends probe p.seq: a UDP datagram to Port+seq, or an echo request
// with sequence number seq.
func (p *traceRun) send(ttl int) *api.ErrorReply {
	opt := tcpip.IPv4TTLOption
	if p.t.proto == ipv6.ProtocolNumber {
		opt = tcpip.IPv6HopLimitOption
	}
	if terr := p.probe.SetSockOptInt(opt, ttl); terr != nil {
		return api.NewErrorReply(syscall.EINVAL, "ttl: "+terr.String())
	}
	data := make([]byte, traceDataLen)
	data[0], data[1] = byte(p.seq), byte(ttl)
	binary.BigEndian.PutUint64(data[2:], uint64(time.Now().UnixNano()))
	to := tcpip.FullAddress{Addr: p.t.dst, NIC: p.t.nic, Port: uint16(p.req.Port + p.seq)}
	b := data
	if p.req.ICMP {
		to.Port = 0
		b = make([]byte, header.ICMPv4MinimumSize+len(data))
		copy(b[header.ICMPv4MinimumSize:], data)
		if p.t.proto == ipv6.ProtocolNumber {
			header.ICMPv6(b).SetType(header.ICMPv6EchoRequest)
		} else {
			header.ICMPv4(b).SetType(header.ICMPv4Echo)
		}
		binary.BigEndian.PutUint16(b[6:], uint16(p.seq))
	}
	var r bytes.Reader
	r.Reset(b)
	if _, terr := p.probe.Write(&r, tcpip.WriteOptions{To: &to}); terr != nil {
		return api.NewErrorReply(pingErrno(terr), "send to "+p.t.dst.String()+": "+terr.String())
	}
	return nil
}

// receive reads the raw endpoint until it finds the answer to the last
// probe or has nothing left; closed says the endpoint is closed.
func (p *traceRun) receive() (ans traceAnswer, ok, closed bool) {
	p.drainProbe()
	var buf bytes.Buffer
	for {
		buf.Reset()
		res, terr := p.raw.Read(&buf, tcpip.ReadOptions{NeedRemoteAddr: true})
		switch terr.(type) {
		case nil:
		case *tcpip.ErrWouldBlock:
			return ans, false, false
		default:
			return ans, false, true
		}
		msg := buf.Bytes()
		ttl := int(res.ControlMessages.HopLimit)
		if p.t.proto == ipv4.ProtocolNumber {
			ip := header.IPv4(msg)
			if !ip.IsValid(len(msg)) {
				continue
			}
			ttl, msg = int(ip.TTL()), msg[ip.HeaderLength():]
		}
		if !p.answers(msg) {
			continue
		}
		ans = traceAnswer{from: p.k.addrString(res.RemoteAddr.Addr, res.RemoteAddr.NIC), ttl: ttl,
			typ: int(msg[0]), code: int(msg[1]), at: res.ControlMessages.Timestamp}
		if ans.at.IsZero() {
			ans.at = time.Now()
		}
		ans.reached, ans.fail = p.verdict(msg)
		if p.t.proto == ipv4.ProtocolNumber && header.ICMPv4Type(msg[0]) == header.ICMPv4DstUnreachable &&
			header.ICMPv4Code(msg[1]) == header.ICMPv4FragmentationNeeded {
			ans.mtu = int(binary.BigEndian.Uint16(msg[6:]))
		}
		return ans, true, false
	}
}

// drainProbe discards what the probe endpoint received: echo replies for
// ICMP probes (the raw endpoint sees them too), stray datagrams for UDP.
func (p *traceRun) drainProbe() {
	for {
		if _, terr := p.probe.Read(io.Discard, tcpip.ReadOptions{}); terr != nil {
			return
		}
	}
}
