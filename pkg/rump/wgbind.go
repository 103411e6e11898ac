package rump

// The wg interface's UDP: a conn.Bind whose sockets are UDP endpoints of
// the kernel's own stack, so WireGuard's datagrams leave and arrive through
// the kernel's interfaces and routes (shmif, virt, ...), never through the
// host's. One endpoint per family, both on the listen port: IPv6 with
// V6ONLY set, so that the IPv4 one can share the port.

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.zx2c4.com/wireguard/conn"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// wgSocketBuffer is the send and receive buffer of a wg interface's UDP
// sockets. The stack's default (about 200 KiB) overflows whenever the
// device's receive goroutine is a moment late, and a TCP flow through the
// tunnel reads each overflow as congestion; wireguard-go asks its host
// for the same amount.
const wgSocketBuffer = 7 << 20

// stackBind is a conn.Bind on a kernel's stack.
type stackBind struct {
	st     *stack.Stack
	inet4  bool // the kernel has IPv4
	inet6  bool // and IPv6
	mu     sync.Mutex
	c4, c6 *gonet.UDPConn
	eps    []tcpip.Endpoint // the sockets' endpoints, for their options
}

var _ conn.Bind = (*stackBind)(nil)

// stackEndpoint is a peer's address as the bind knows it.
type stackEndpoint struct{ netip.AddrPort }

func (e stackEndpoint) ClearSrc()           {}
func (e stackEndpoint) SrcToString() string { return "" }
func (e stackEndpoint) DstToString() string { return e.AddrPort.String() }
func (e stackEndpoint) DstToBytes() []byte  { b, _ := e.AddrPort.MarshalBinary(); return b }
func (e stackEndpoint) DstIP() netip.Addr   { return e.Addr() }
func (e stackEndpoint) SrcIP() netip.Addr   { return netip.Addr{} }
func (*stackBind) SetMark(uint32) error     { return nil }
func (*stackBind) BatchSize() int           { return 1 }
func (*stackBind) ParseEndpoint(s string) (conn.Endpoint, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return nil, err
	}
	return stackEndpoint{netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}, nil
}

// Open binds the listen port (0: one the stack picks) in every family the
// kernel has.
func (b *stackBind) Open(port uint16) ([]conn.ReceiveFunc, uint16, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c4 != nil || b.c6 != nil {
		return nil, 0, conn.ErrBindAlreadyOpen
	}
	var fns []conn.ReceiveFunc
	if b.inet6 {
		c, p, err := b.listen(ipv6.ProtocolNumber, port)
		if err != nil {
			return nil, 0, err
		}
		b.c6, port = c, p
		fns = append(fns, receiveFrom(c))
	}
	if b.inet4 {
		c, p, err := b.listen(ipv4.ProtocolNumber, port)
		if err != nil {
			b.closeLocked()
			return nil, 0, err
		}
		b.c4, port = c, p
		fns = append(fns, receiveFrom(c))
	}
	return fns, port, nil
}

// listen opens one socket; b.mu is held.
func (b *stackBind) listen(proto tcpip.NetworkProtocolNumber, port uint16) (*gonet.UDPConn, uint16, error) {
	var wq waiter.Queue
	ep, terr := b.st.NewEndpoint(udp.ProtocolNumber, proto, &wq)
	if terr != nil {
		return nil, 0, api.Errorf(syscall.EAFNOSUPPORT, "wg socket: "+terr.String())
	}
	if proto == ipv6.ProtocolNumber {
		ep.SocketOptions().SetV6Only(true)
	}
	ep.SocketOptions().SetReceiveBufferSize(wgSocketBuffer, false)
	ep.SocketOptions().SetSendBufferSize(wgSocketBuffer, false)
	if terr := ep.Bind(tcpip.FullAddress{Port: port}); terr != nil {
		ep.Close()
		if _, ok := terr.(*tcpip.ErrPortInUse); ok {
			return nil, 0, api.Errorf(syscall.EADDRINUSE, "wg listen port in use")
		}
		return nil, 0, api.Errorf(syscall.EINVAL, "wg bind: "+terr.String())
	}
	la, _ := ep.GetLocalAddress()
	b.eps = append(b.eps, ep)
	return gonet.NewUDPConn(&wq, ep), la.Port, nil
}

func receiveFrom(c *gonet.UDPConn) conn.ReceiveFunc {
	return func(packets [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
		n, from, err := c.ReadFrom(packets[0])
		if err != nil {
			return 0, net.ErrClosed
		}
		ua := from.(*net.UDPAddr)
		ip, _ := netip.AddrFromSlice(ua.IP)
		sizes[0] = n
		eps[0] = stackEndpoint{netip.AddrPortFrom(ip.Unmap(), uint16(ua.Port))}
		return 1, nil
	}
}

// Close closes the sockets; the receive functions return net.ErrClosed.
func (b *stackBind) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closeLocked()
	return nil
}

func (b *stackBind) closeLocked() {
	for _, c := range []*gonet.UDPConn{b.c4, b.c6} {
		if c != nil {
			c.Close()
		}
	}
	b.c4, b.c6, b.eps = nil, nil, nil
}

// receiveBuffers returns the open sockets' receive buffer sizes.
func (b *stackBind) receiveBuffers() []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []int64
	for _, ep := range b.eps {
		out = append(out, ep.SocketOptions().GetReceiveBufferSize())
	}
	return out
}

// Send sends bufs to ep from the socket of ep's family.
func (b *stackBind) Send(bufs [][]byte, ep conn.Endpoint) error {
	se, ok := ep.(stackEndpoint)
	if !ok {
		return conn.ErrWrongEndpointType
	}
	b.mu.Lock()
	c := b.c4
	if se.Addr().Is6() {
		c = b.c6
	}
	b.mu.Unlock()
	if c == nil {
		return errors.New("wg: no socket for the endpoint's family")
	}
	to := net.UDPAddrFromAddrPort(se.AddrPort)
	for _, p := range bufs {
		if _, err := c.WriteTo(p, to); err != nil {
			return err
		}
	}
	return nil
}
