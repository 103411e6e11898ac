package rump

// The integer options the stack keeps per endpoint (TTL, hop limit, TOS,
// traffic class, MSS, path MTU discovery, keepalive and user timeouts), and the options that ask for
// control messages, which a session socket accepts and remembers but
// whose messages it does not deliver: the pair carries bytes only.

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

// stackOpt is an option the endpoint holds as an integer.
type stackOpt struct {
	opt    tcpip.SockOptInt
	family int  // 6: IPv6 sockets only; 0: either
	stream bool // TCP only
	min    int
	max    int
}

var stackOpts = map[optKey]stackOpt{
	{unix.IPPROTO_IP, unix.IP_TOS}:              {opt: tcpip.IPv4TOSOption, min: 0, max: 255},
	{unix.IPPROTO_IP, unix.IP_TTL}:              {opt: tcpip.IPv4TTLOption, min: -1, max: 255},
	{unix.IPPROTO_IP, unix.IP_MTU_DISCOVER}:     {opt: tcpip.MTUDiscoverOption, min: 0, max: 3},
	{unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS}: {opt: tcpip.IPv6HopLimitOption, family: 6, min: -1, max: 255},
	{unix.IPPROTO_IPV6, unix.IPV6_TCLASS}:       {opt: tcpip.IPv6TrafficClassOption, family: 6, min: -1, max: 255},
	{unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER}: {opt: tcpip.MTUDiscoverOption, family: 6, min: 0, max: 3},
	{unix.IPPROTO_TCP, unix.TCP_MAXSEG}:         {opt: tcpip.MaxSegOption, stream: true, min: 0, max: 65535},
	{unix.IPPROTO_TCP, unix.TCP_KEEPCNT}:        {opt: tcpip.KeepaliveCountOption, stream: true, min: 1, max: 127},
}

// durationOpts are the TCP options the stack holds as durations, in the
// unit Linux gives them in.
var durationOpts = map[optKey]time.Duration{
	{unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT}: time.Millisecond,
	{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}:     time.Second,
	{unix.IPPROTO_TCP, unix.TCP_KEEPINTVL}:    time.Second,
}

// durationOpt is the stack's option for k holding d.
func durationOpt(k optKey, d time.Duration) tcpip.SettableSocketOption {
	switch k.name {
	case unix.TCP_USER_TIMEOUT:
		o := tcpip.TCPUserTimeoutOption(d)
		return &o
	case unix.TCP_KEEPIDLE:
		o := tcpip.KeepaliveIdleOption(d)
		return &o
	}
	o := tcpip.KeepaliveIntervalOption(d)
	return &o
}

// rememberedOpts are the options that ask for control messages or queued
// errors: accepted, read back, without effect.
var rememberedOpts = map[optKey]int{
	{unix.IPPROTO_IP, unix.IP_PKTINFO}:          0,
	{unix.IPPROTO_IP, unix.IP_RECVERR}:          0,
	{unix.IPPROTO_IP, unix.IP_RECVTTL}:          0,
	{unix.IPPROTO_IP, unix.IP_RECVTOS}:          0,
	{unix.IPPROTO_IPV6, unix.IPV6_RECVERR}:      6,
	{unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO}:  6,
	{unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT}: 6,
	{unix.IPPROTO_IPV6, unix.IPV6_RECVTCLASS}:   6,
}

// applies reports whether an option of family (0 any) and stream-ness
// exists on s.
func (s *socket) applies(family int, stream bool) bool {
	return (family == 0 || family == s.family) && (!stream || s.typ == api.SockStream)
}

func (s *socket) setOtherOpt(level, name, value int) error {
	k := optKey{level, name}
	if o, ok := stackOpts[k]; ok && s.applies(o.family, o.stream) {
		if value < o.min || value > o.max {
			return api.Errorf(syscall.EINVAL, "option value out of range")
		}
		if o.opt == tcpip.IPv4TTLOption && value == -1 {
			value = tcpip.UseDefaultIPv4TTL
		}
		if terr := s.ep.SetSockOptInt(o.opt, value); terr != nil {
			return tcpipError("setsockopt", terr)
		}
		return nil
	}
	if unit, ok := durationOpts[k]; ok && s.typ == api.SockStream {
		if value < 0 || (value == 0 && k.name != unix.TCP_USER_TIMEOUT) {
			return api.Errorf(syscall.EINVAL, "option value out of range")
		}
		if terr := s.ep.SetSockOpt(durationOpt(k, time.Duration(value)*unit)); terr != nil {
			return tcpipError("setsockopt", terr)
		}
		return nil
	}
	if family, ok := rememberedOpts[k]; ok && s.applies(family, false) {
		s.optMu.Lock()
		defer s.optMu.Unlock()
		if s.opts == nil {
			s.opts = map[optKey]int{}
		}
		s.opts[k] = boolInt(value != 0)
		return nil
	}
	return optError(level, name)
}

func (s *socket) getOtherOpt(level, name int) (int, error) {
	k := optKey{level, name}
	if o, ok := stackOpts[k]; ok && s.applies(o.family, o.stream) {
		v, terr := s.ep.GetSockOptInt(o.opt)
		if terr != nil {
			return 0, tcpipError("getsockopt", terr)
		}
		switch {
		case o.opt == tcpip.IPv4TTLOption && v == tcpip.UseDefaultIPv4TTL,
			o.opt == tcpip.IPv6HopLimitOption && v == tcpip.UseDefaultIPv6HopLimit:
			v = defaultHops
		case o.opt == tcpip.IPv6TrafficClassOption && v < 0:
			v = 0
		}
		return v, nil
	}
	if unit, ok := durationOpts[k]; ok && s.typ == api.SockStream {
		o := durationOpt(k, 0)
		if terr := s.ep.GetSockOpt(o.(tcpip.GettableSocketOption)); terr != nil {
			return 0, tcpipError("getsockopt", terr)
		}
		var d time.Duration
		switch o := o.(type) {
		case *tcpip.TCPUserTimeoutOption:
			d = time.Duration(*o)
		case *tcpip.KeepaliveIdleOption:
			d = time.Duration(*o)
		case *tcpip.KeepaliveIntervalOption:
			d = time.Duration(*o)
		}
		return int(d / unit), nil
	}
	if family, ok := rememberedOpts[k]; ok && s.applies(family, false) {
		s.optMu.Lock()
		defer s.optMu.Unlock()
		return s.opts[k], nil
	}
	return 0, optError(level, name)
}
