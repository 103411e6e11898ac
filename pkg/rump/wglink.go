package rump

// The wg interface's NIC: an IP-level link endpoint of the kernel's stack
// that is also the tun.Device of its WireGuard device. What the stack
// routes out of wg0 waits in a bounded queue for the device's Read, which
// encrypts it; what the device decrypts comes in through Write and is
// delivered to the stack as received on wg0. Captures see each IP packet
// behind a 4-byte address family (LINKTYPE_NULL), as NetBSD's wg taps
// them with bpf_mtap_af. The queue never blocks the stack: a full queue drops the
// packet and counts it as an output error.

import (
	"os"
	"sync"

	"github.com/rumpnet/rumpnet/pkg/pcap"
	"golang.zx2c4.com/wireguard/tun"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// wgMTU is wg(4)'s MTU: 1500 less WireGuard's and UDP/IPv6's headers.
const wgMTU = 1420

// wgMaxMTU is the largest MTU a wg interface takes: a packet that size,
// sealed (32 bytes more), still fits one UDP datagram over IPv4, which the
// stack fragments to fit the path.
const wgMaxMTU = 65535 - header.IPv4MinimumSize - header.UDPMinimumSize - 32

// wgQueueLen bounds the packets waiting for the device to encrypt them.
const wgQueueLen = 512

// wgEndpoint is a wg interface's link endpoint and tun device.
type wgEndpoint struct {
	ipLink
	stats counters
	taps  captureTaps
	out   chan []byte   // IP packets the stack sent, for Read
	done  chan struct{} // closed by Close
	once  sync.Once
	ev    chan tun.Event // buffered; closed by Close under mu

	mu     sync.RWMutex
	disp   stack.NetworkDispatcher
	mtu    uint32
	closed bool
}

var (
	_ linkEndpoint = (*wgEndpoint)(nil)
	_ tun.Device   = wgTun{}
)

// wgTun is the endpoint as its WireGuard device sees it: the two
// interfaces share method names with other signatures.
type wgTun struct{ e *wgEndpoint }

func newWgEndpoint() *wgEndpoint {
	return &wgEndpoint{out: make(chan []byte, wgQueueLen), done: make(chan struct{}),
		ev: make(chan tun.Event, 1), mtu: wgMTU}
}

func (e *wgEndpoint) counters() *counters { return &e.stats }

// Attach implements stack.LinkEndpoint.
func (e *wgEndpoint) Attach(d stack.NetworkDispatcher) {
	e.mu.Lock()
	e.disp = d
	e.mu.Unlock()
}

// IsAttached implements stack.LinkEndpoint.
func (e *wgEndpoint) IsAttached() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.disp != nil
}

// MTU implements stack.LinkEndpoint.
func (e *wgEndpoint) MTU() uint32 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.mtu
}

// SetMTU implements stack.LinkEndpoint; the device is told, so that it
// pads to the new MTU as wg(4) does.
func (e *wgEndpoint) SetMTU(m uint32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mtu = m
	if !e.closed {
		select {
		case e.ev <- tun.EventMTUUpdate:
		default: // one is pending: the device reads the MTU then
		}
	}
}

// WritePackets implements stack.LinkEndpoint: the packets go to the
// device's queue.
func (e *wgEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	e.stats.countForwarded(pkts)
	n := 0
	for _, pkt := range pkts.AsSlice() {
		v := pkt.ToView()
		p := make([]byte, v.Size())
		copy(p, v.AsSlice())
		v.Release()
		select {
		case <-e.done:
			return n, &tcpip.ErrClosedForSend{}
		case e.out <- p:
			e.stats.countOut(len(p), isGroupIP(p))
			if e.taps.list.Load() != nil {
				e.taps.out(afFramed(p))
			}
		default:
			e.stats.oerrors.Add(1)
		}
		n++
	}
	return n, nil
}

// isGroupIP reports whether an IP packet's destination is multicast.
func isGroupIP(p []byte) bool {
	switch {
	case len(p) >= header.IPv4MinimumSize && p[0]>>4 == 4:
		return p[16] >= 224 && p[16] < 240
	case len(p) >= header.IPv6MinimumSize && p[0]>>4 == 6:
		return p[24] == 0xff
	}
	return false
}

// Close implements stack.LinkEndpoint: Read returns os.ErrClosed from
// then on.
func (e *wgEndpoint) Close() {
	e.once.Do(func() {
		close(e.done)
		e.mu.Lock()
		e.closed = true
		close(e.ev)
		e.mu.Unlock()
	})
}

// Close implements tun.Device.
func (t wgTun) Close() error {
	t.e.Close()
	return nil
}

// File implements tun.Device: there is no host file.
func (wgTun) File() *os.File { return nil }

// Read implements tun.Device: it waits for a packet the stack sent, then
// takes what else is queued, up to len(bufs).
func (t wgTun) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	e := t.e
	var p []byte
	select {
	case <-e.done:
		return 0, os.ErrClosed
	case p = <-e.out:
	}
	n := 0
	for {
		sizes[n] = copy(bufs[n][offset:], p)
		n++
		if n == len(bufs) {
			return n, nil
		}
		select {
		case p = <-e.out:
		default:
			return n, nil
		}
	}
}

// Write implements tun.Device: each decrypted packet is delivered to the
// stack as received on the interface.
func (t wgTun) Write(bufs [][]byte, offset int) (int, error) {
	e := t.e
	e.mu.RLock()
	d := e.disp
	e.mu.RUnlock()
	for _, b := range bufs {
		p := b[offset:]
		var proto tcpip.NetworkProtocolNumber
		switch {
		case len(p) > 0 && p[0]>>4 == 4:
			proto = ipv4.ProtocolNumber
		case len(p) > 0 && p[0]>>4 == 6:
			proto = ipv6.ProtocolNumber
		default:
			e.stats.ierrors.Add(1)
			continue
		}
		e.stats.countIn(len(p), isGroupIP(p))
		if e.taps.list.Load() != nil {
			e.taps.in(afFramed(p), nil)
		}
		if d == nil {
			e.stats.iqdrops.Add(1)
			continue
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(p)})
		d.DeliverNetworkPacket(proto, pkt)
		pkt.DecRef()
	}
	return len(bufs), nil
}

// MTU implements tun.Device.
func (t wgTun) MTU() (int, error) { return int(t.e.MTU()), nil }

// Name implements tun.Device.
func (wgTun) Name() (string, error) { return "wg", nil }

// Events implements tun.Device: none are sent; the kernel brings the
// device up and down itself.
func (t wgTun) Events() <-chan tun.Event { return t.e.ev }

// BatchSize implements tun.Device.
func (wgTun) BatchSize() int { return 16 }

// afFramed returns the IP packet p behind LINKTYPE_NULL's address family,
// for the captures.
func afFramed(p []byte) []byte {
	af := uint32(pcap.AFInet)
	if len(p) > 0 && p[0]>>4 == 6 {
		af = pcap.AFInet6
	}
	return append([]byte{byte(af), byte(af >> 8), byte(af >> 16), byte(af >> 24)}, p...)
}
