package rump

// The table of a session socket's integer options: each (level, name) of
// Linux is one line naming the kind of option and what of the endpoint it
// sets. The options that ask for control messages the pair cannot carry
// are remembered and read back, without effect.

import (
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// defaultHops is what IP_TTL and IPV6_UNICAST_HOPS read while the socket
// uses the stack's default, as on Linux.
const defaultHops = 64

// optDef is one option: on which sockets it exists, and how it is set and
// read. set is nil for a read-only option.
type optDef struct {
	family int  // 6: IPv6 sockets only; 0: either
	stream bool // TCP only
	set    func(s *socket, v int) error
	get    func(s *socket) (int, error)
}

// flagOpt is a boolean the endpoint's SocketOptions hold; inverted for
// TCP_NODELAY, which is the opposite of the delay option.
func flagOpt(get func(*tcpip.SocketOptions) bool, set func(*tcpip.SocketOptions, bool), inverted bool) optDef {
	return optDef{
		set: func(s *socket, v int) error { set(s.ep.SocketOptions(), (v != 0) != inverted); return nil },
		get: func(s *socket) (int, error) { return boolInt(get(s.ep.SocketOptions()) != inverted), nil },
	}
}

// bufOpt is a buffer size the endpoint's SocketOptions hold.
func bufOpt(get func(*tcpip.SocketOptions) int64, set func(*tcpip.SocketOptions, int64, bool)) optDef {
	return optDef{
		set: func(s *socket, v int) error { set(s.ep.SocketOptions(), int64(v), true); return nil },
		get: func(s *socket) (int, error) { return int(get(s.ep.SocketOptions())), nil },
	}
}

// intOpt is an integer the endpoint holds, in [lo, hi].
func intOpt(opt tcpip.SockOptInt, lo, hi int) optDef {
	return optDef{
		set: func(s *socket, v int) error {
			if v < lo || v > hi {
				return api.Errorf(syscall.EINVAL, "option value out of range")
			}
			if opt == tcpip.IPv4TTLOption && v == -1 {
				v = tcpip.UseDefaultIPv4TTL
			}
			return sockOptErr("setsockopt", s.ep.SetSockOptInt(opt, v))
		},
		get: func(s *socket) (int, error) {
			v, terr := s.ep.GetSockOptInt(opt)
			if terr != nil {
				return 0, tcpipError("getsockopt", terr)
			}
			switch {
			case opt == tcpip.IPv4TTLOption && v == tcpip.UseDefaultIPv4TTL,
				opt == tcpip.IPv6HopLimitOption && v == tcpip.UseDefaultIPv6HopLimit:
				v = defaultHops
			case opt == tcpip.IPv6TrafficClassOption && v < 0:
				v = 0
			}
			return v, nil
		},
	}
}

// durationOpt is a TCP duration the endpoint holds, in Linux's unit; zero
// is allowed when zeroOK (it turns the option off).
func durationOpt[T ~int64](unit time.Duration, zeroOK bool) optDef {
	return optDef{
		stream: true,
		set: func(s *socket, v int) error {
			if v < 0 || (v == 0 && !zeroOK) {
				return api.Errorf(syscall.EINVAL, "option value out of range")
			}
			o := T(time.Duration(v) * unit)
			return sockOptErr("setsockopt", s.ep.SetSockOpt(any(&o).(tcpip.SettableSocketOption)))
		},
		get: func(s *socket) (int, error) {
			var o T
			if terr := s.ep.GetSockOpt(any(&o).(tcpip.GettableSocketOption)); terr != nil {
				return 0, tcpipError("getsockopt", terr)
			}
			return int(time.Duration(o) / unit), nil
		},
	}
}

// rememberedOpt is an option that asks for control messages the pair does
// not carry: read back as 0 or 1, without effect.
func rememberedOpt(k optKey) optDef {
	return optDef{
		set: func(s *socket, v int) error {
			s.optMu.Lock()
			defer s.optMu.Unlock()
			if s.opts == nil {
				s.opts = map[optKey]int{}
			}
			s.opts[k] = boolInt(v != 0)
			return nil
		},
		get: func(s *socket) (int, error) {
			s.optMu.Lock()
			defer s.optMu.Unlock()
			return s.opts[k], nil
		},
	}
}

// only restricts d to IPv6 sockets (family 6) or to TCP (stream).
func only(d optDef, family int, stream bool) optDef {
	d.family, d.stream = family, stream || d.stream
	return d
}

type sockOpts = tcpip.SocketOptions

var (
	keyIPRecvErr    = optKey{unix.IPPROTO_IP, unix.IP_RECVERR}
	keyIPRecvTTL    = optKey{unix.IPPROTO_IP, unix.IP_RECVTTL}
	keyIPRecvTOS    = optKey{unix.IPPROTO_IP, unix.IP_RECVTOS}
	keyV6RecvErr    = optKey{unix.IPPROTO_IPV6, unix.IPV6_RECVERR}
	keyV6RecvHops   = optKey{unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT}
	keyV6RecvTClass = optKey{unix.IPPROTO_IPV6, unix.IPV6_RECVTCLASS}
)

// intOpts is every integer option a session socket has (doc/sockets.md).
var intOpts = map[optKey]optDef{
	{unix.SOL_SOCKET, unix.SO_REUSEADDR}:        flagOpt((*sockOpts).GetReuseAddress, (*sockOpts).SetReuseAddress, false),
	{unix.SOL_SOCKET, unix.SO_REUSEPORT}:        flagOpt((*sockOpts).GetReusePort, (*sockOpts).SetReusePort, false),
	{unix.SOL_SOCKET, unix.SO_KEEPALIVE}:        flagOpt((*sockOpts).GetKeepAlive, (*sockOpts).SetKeepAlive, false),
	{unix.SOL_SOCKET, unix.SO_BROADCAST}:        flagOpt((*sockOpts).GetBroadcast, (*sockOpts).SetBroadcast, false),
	{unix.SOL_SOCKET, unix.SO_RCVBUF}:           bufOpt((*sockOpts).GetReceiveBufferSize, (*sockOpts).SetReceiveBufferSize),
	{unix.SOL_SOCKET, unix.SO_SNDBUF}:           bufOpt((*sockOpts).GetSendBufferSize, (*sockOpts).SetSendBufferSize),
	{unix.SOL_SOCKET, unix.SO_ERROR}:            {get: (*socket).soError},
	{unix.SOL_SOCKET, unix.SO_TYPE}:             {get: (*socket).soType},
	{unix.IPPROTO_IP, unix.IP_TOS}:              intOpt(tcpip.IPv4TOSOption, 0, 255),
	{unix.IPPROTO_IP, unix.IP_TTL}:              intOpt(tcpip.IPv4TTLOption, -1, 255),
	{unix.IPPROTO_IP, unix.IP_MTU_DISCOVER}:     intOpt(tcpip.MTUDiscoverOption, 0, 3),
	{unix.IPPROTO_IP, unix.IP_PKTINFO}:          flagOpt((*sockOpts).GetReceivePacketInfo, (*sockOpts).SetReceivePacketInfo, false),
	keyIPRecvErr:                                rememberedOpt(keyIPRecvErr),
	keyIPRecvTTL:                                rememberedOpt(keyIPRecvTTL),
	keyIPRecvTOS:                                rememberedOpt(keyIPRecvTOS),
	{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY}:       only(flagOpt((*sockOpts).GetV6Only, (*sockOpts).SetV6Only, false), 6, false),
	{unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS}: only(intOpt(tcpip.IPv6HopLimitOption, -1, 255), 6, false),
	{unix.IPPROTO_IPV6, unix.IPV6_TCLASS}:       only(intOpt(tcpip.IPv6TrafficClassOption, -1, 255), 6, false),
	{unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER}: only(intOpt(tcpip.MTUDiscoverOption, 0, 3), 6, false),
	{unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO}:  only(flagOpt((*sockOpts).GetIPv6ReceivePacketInfo, (*sockOpts).SetIPv6ReceivePacketInfo, false), 6, false),
	keyV6RecvErr:                              only(rememberedOpt(keyV6RecvErr), 6, false),
	keyV6RecvHops:                             only(rememberedOpt(keyV6RecvHops), 6, false),
	keyV6RecvTClass:                           only(rememberedOpt(keyV6RecvTClass), 6, false),
	{unix.IPPROTO_TCP, unix.TCP_NODELAY}:      only(flagOpt((*sockOpts).GetDelayOption, (*sockOpts).SetDelayOption, true), 0, true),
	{unix.IPPROTO_TCP, unix.TCP_MAXSEG}:       only(intOpt(tcpip.MaxSegOption, 0, 65535), 0, true),
	{unix.IPPROTO_TCP, unix.TCP_KEEPCNT}:      only(intOpt(tcpip.KeepaliveCountOption, 1, 127), 0, true),
	{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}:     durationOpt[tcpip.KeepaliveIdleOption](time.Second, false),
	{unix.IPPROTO_TCP, unix.TCP_KEEPINTVL}:    durationOpt[tcpip.KeepaliveIntervalOption](time.Second, false),
	{unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT}: durationOpt[tcpip.TCPUserTimeoutOption](time.Millisecond, true),
}

// optDefFor is the option (level, name) of s; ENOPROTOOPT when s has none.
func (s *socket) optDefFor(level, name int) (optDef, error) {
	d, ok := intOpts[optKey{level, name}]
	if !ok || (d.family != 0 && d.family != s.family) || (d.stream && s.typ != api.SockStream) {
		return optDef{}, optError(level, name)
	}
	return d, nil
}

func (s *socket) soError() (int, error) {
	if terr := s.ep.SocketOptions().GetLastError(); terr != nil {
		return int(tcpipErrno(terr)), nil
	}
	return 0, nil
}

// soType is SOCK_DGRAM for icmp too, as for Linux's ping sockets.
func (s *socket) soType() (int, error) {
	if s.typ == api.SockStream {
		return unix.SOCK_STREAM, nil
	}
	return unix.SOCK_DGRAM, nil
}

// sockOptErr is nil for nil, the errno of terr otherwise.
func sockOptErr(what string, terr tcpip.Error) error {
	if terr == nil {
		return nil
	}
	return tcpipError(what, terr)
}
