package client

// Dial, Listen and ListenPacket: standard net types over the kernel's
// stack, on a socket session the Client opens on first use and shares.

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

var noDeadline time.Time

// sockets returns the shared session, opening it (again) if need be.
func (c *Client) sockets(ctx context.Context) (*Sockets, error) {
	c.smu.Lock()
	defer c.smu.Unlock()
	if c.socks != nil {
		select {
		case <-c.socks.Done():
		default:
			return c.socks, nil
		}
	}
	s, err := c.OpenSockets(ctx)
	if err != nil {
		return nil, err
	}
	c.socks = s
	return s, nil
}

// CloseSockets ends the session Dial, Listen and ListenPacket share: every
// connection, listener and packet conn they made is closed in the kernel.
func (c *Client) CloseSockets() error {
	c.smu.Lock()
	s := c.socks
	c.socks = nil
	c.smu.Unlock()
	if s == nil {
		return nil
	}
	return s.Close()
}

// netFamily resolves a network and a literal address into the socket's
// family and type. An empty host is any address for a listener and the
// loopback address for a dialer.
func netFamily(network, address string, listen bool) (family int, typ string, ap netip.AddrPort, err error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return 0, "", ap, api.Errorf(syscall.EINVAL, err.Error())
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return 0, "", ap, api.Errorf(syscall.EINVAL, "port "+strconv.Quote(port))
	}
	var addr netip.Addr
	if host != "" {
		if addr, err = netip.ParseAddr(host); err != nil {
			return 0, "", ap, api.Errorf(syscall.EINVAL, "host "+strconv.Quote(host)+": a rump kernel resolves no names, give an address")
		}
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
		typ = api.SockStream
	case "udp", "udp4", "udp6":
		typ = api.SockDgram
	default:
		return 0, "", ap, api.Errorf(syscall.EPROTONOSUPPORT, "network "+strconv.Quote(network))
	}
	switch {
	case network[len(network)-1] == '4':
		family = 4
	case network[len(network)-1] == '6':
		family = 6
	case addr.IsValid() && addr.Unmap().Is4() && !addr.Is4In6():
		family = 4
	case addr.IsValid():
		family = 6
	case listen:
		family = 6 // any address: dual stack
	default:
		family = 4
	}
	if !addr.IsValid() && !listen {
		addr = netip.MustParseAddr("127.0.0.1")
		if family == 6 {
			addr = netip.IPv6Loopback()
		}
	}
	if addr.IsValid() && (family == 4) != addr.Unmap().Is4() {
		return 0, "", ap, api.Errorf(syscall.EAFNOSUPPORT, address+" on "+network)
	}
	return family, typ, netip.AddrPortFrom(addr, uint16(p)), nil
}

// Dial connects to an address of the kernel's network: networks tcp,
// tcp4, tcp6, udp, udp4 and udp6, addresses as IP literals.
func (c *Client) Dial(network, address string) (net.Conn, error) {
	return c.DialContext(context.Background(), network, address)
}

// DialContext is Dial with a context for the connect.
func (c *Client) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	family, typ, ap, err := netFamily(network, address, false)
	if err != nil {
		return nil, opError("dial", network, nil, err)
	}
	s, err := c.sockets(ctx)
	if err != nil {
		return nil, opError("dial", network, nil, err)
	}
	id, f, err := s.Socket(family, typ)
	if err != nil {
		return nil, opError("dial", network, nil, err)
	}
	local, err := s.Connect(ctx, id, ap)
	if err != nil {
		f.Close()
		return nil, opError("dial", network, netAddr(typ, ap), err)
	}
	return fileConn(f, netAddr(typ, local), netAddr(typ, ap))
}

// Listen listens on an address of the kernel's network (tcp, tcp4, tcp6).
// An empty host listens on every address, of both families for tcp. The
// listener is a *Listener: its Accept also ends by a deadline or a context.
func (c *Client) Listen(network, address string) (net.Listener, error) {
	family, typ, ap, err := netFamily(network, address, true)
	if err == nil && typ != api.SockStream {
		err = api.Errorf(syscall.EPROTONOSUPPORT, "listen on "+network)
	}
	if err != nil {
		return nil, opError("listen", network, nil, err)
	}
	s, err := c.sockets(context.Background())
	if err != nil {
		return nil, opError("listen", network, nil, err)
	}
	id, f, bound, err := bindNew(s, family, typ, ap)
	if err == nil {
		if err = s.Listen(id, 128); err != nil {
			f.Close()
			s.CloseSocket(id)
		}
	}
	if err != nil {
		return nil, opError("listen", network, netAddr(typ, ap), err)
	}
	return newListener(s, id, f, netAddr(typ, bound)), nil
}

// ListenPacket opens a UDP socket bound to an address of the kernel's
// network (udp, udp4, udp6).
func (c *Client) ListenPacket(network, address string) (net.PacketConn, error) {
	family, typ, ap, err := netFamily(network, address, true)
	if err == nil && typ != api.SockDgram {
		err = api.Errorf(syscall.EPROTONOSUPPORT, "listen packet on "+network)
	}
	if err != nil {
		return nil, opError("listen", network, nil, err)
	}
	s, err := c.sockets(context.Background())
	if err != nil {
		return nil, opError("listen", network, nil, err)
	}
	_, f, bound, err := bindNew(s, family, typ, ap)
	if err != nil {
		return nil, opError("listen", network, netAddr(typ, ap), err)
	}
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	return &packetConn{UnixConn: nc.(*net.UnixConn), laddr: netAddr(typ, bound), family: family}, nil
}

// bindNew makes a socket and binds it.
func bindNew(s *Sockets, family int, typ string, ap netip.AddrPort) (int, *os.File, netip.AddrPort, error) {
	id, f, err := s.Socket(family, typ)
	if err != nil {
		return 0, nil, ap, err
	}
	if !ap.Addr().IsValid() || ap.Addr().IsUnspecified() {
		ap = netip.AddrPortFrom(netip.Addr{}, ap.Port())
	}
	bound, err := s.Bind(id, ap)
	if err != nil {
		f.Close()
		s.CloseSocket(id)
		return 0, nil, ap, err
	}
	return id, f, bound, nil
}

func opError(op, network string, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: network, Addr: addr, Err: err}
}

func netAddr(typ string, ap netip.AddrPort) net.Addr {
	if typ == api.SockStream {
		return net.TCPAddrFromAddrPort(ap)
	}
	return net.UDPAddrFromAddrPort(ap)
}

// conn is a connection of the kernel's stack: the descriptor's own
// net.Conn with the kernel's addresses. CloseWrite sends FIN.
type conn struct {
	*net.UnixConn
	laddr, raddr net.Addr
}

func fileConn(f *os.File, laddr, raddr net.Addr) (net.Conn, error) {
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	return &conn{UnixConn: nc.(*net.UnixConn), laddr: laddr, raddr: raddr}, nil
}

// LocalAddr returns the kernel's local address of the connection.
func (c *conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns the peer's address.
func (c *conn) RemoteAddr() net.Addr { return c.raddr }

// packetConn is an unconnected UDP socket of the kernel's stack: each
// message on the descriptor carries the address header of doc/sockets.md.
type packetConn struct {
	*net.UnixConn
	laddr  net.Addr
	family int
	rmu    sync.Mutex
	rbuf   []byte
}

// ReadFrom reads one datagram and its source.
func (c *packetConn) ReadFrom(p []byte) (int, net.Addr, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.rbuf == nil {
		c.rbuf = make([]byte, 64<<10+19)
	}
	for {
		n, err := c.UnixConn.Read(c.rbuf)
		if err != nil {
			return 0, nil, err
		}
		ap, payload, ok := parseHeader(c.rbuf[:n])
		if !ok {
			continue
		}
		return copy(p, payload), net.UDPAddrFromAddrPort(ap), nil
	}
}

// WriteTo sends one datagram to addr (a *net.UDPAddr).
func (c *packetConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, opError("write", "udp", addr, api.Errorf(syscall.EINVAL, "not a UDP address"))
	}
	ap := ua.AddrPort()
	a := ap.Addr()
	if c.family == 4 {
		a = a.Unmap()
	}
	msg := make([]byte, 0, 19+len(p))
	if a.Is4() {
		msg = append(msg, 4)
	} else {
		msg = append(msg, 6)
	}
	msg = binary.BigEndian.AppendUint16(msg, ap.Port())
	msg = append(msg, a.AsSlice()...)
	msg = append(msg, p...)
	if _, err := c.UnixConn.Write(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

// LocalAddr returns the kernel's address the socket is bound to.
func (c *packetConn) LocalAddr() net.Addr { return c.laddr }

// parseHeader splits a message into its source and payload; packet info
// after the address (a socket with IP_PKTINFO or IPV6_RECVPKTINFO set
// through SetOpt) is skipped.
func parseHeader(b []byte) (netip.AddrPort, []byte, bool) {
	if len(b) < 3 {
		return netip.AddrPort{}, nil, false
	}
	port := binary.BigEndian.Uint16(b[1:3])
	alen := 0
	switch b[0] &^ headerInfoFlag {
	case 4:
		alen = 4
	case 6:
		alen = 16
	default:
		return netip.AddrPort{}, nil, false
	}
	need := 3 + alen
	if b[0]&headerInfoFlag != 0 {
		need += 4 + alen
	}
	if len(b) < need {
		return netip.AddrPort{}, nil, false
	}
	a, _ := netip.AddrFromSlice(b[3 : 3+alen])
	return netip.AddrPortFrom(a, port), b[need:], true
}

// headerInfoFlag, in an address header's family byte, says packet info
// follows the address (doc/sockets.md).
const headerInfoFlag = 0x80
