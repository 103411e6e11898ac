package hijack

// setsockopt(2) and getsockopt(2). Options about the descriptor itself
// (timeouts, low-water marks, linger) are the pair's and the host answers
// them; what the stack knows goes to the session; what the supervisor
// knows better (the type, family and protocol, a pending connect's result)
// it answers itself.

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// soRcvtimeoNew and soSndtimeoNew are Linux's 64-bit-time SO_RCVTIMEO and
// SO_SNDTIMEO.
const (
	soRcvtimeoNew = 66
	soSndtimeoNew = 67
)

// pairOption reports whether a SOL_SOCKET option belongs to the descriptor.
func pairOption(level, name int) bool {
	if level != unix.SOL_SOCKET {
		return false
	}
	switch name {
	case unix.SO_RCVTIMEO, unix.SO_SNDTIMEO, soRcvtimeoNew, soSndtimeoNew,
		unix.SO_RCVLOWAT, unix.SO_SNDLOWAT, unix.SO_LINGER:
		return true
	}
	return false
}

func (s *Supervisor) setsockopt(c *call, k *sock) reply {
	level, name, val, n := int(int32(c.arg(1))), int(int32(c.arg(2))), c.arg(3), int(int32(c.arg(4)))
	if pairOption(level, name) {
		return cont()
	}
	if bytesOption(level, name) {
		return s.setBytesOpt(c, k, level, name, val, n)
	}
	var v uint32
	var err error
	switch {
	case n >= 4:
		v, err = c.p.readU32(val)
	case n >= 1 && byteOption(level, name):
		var b []byte
		if b, err = c.p.read(val, 1); err == nil {
			v = uint32(b[0])
		}
	default:
		return fail(syscall.EINVAL)
	}
	if err != nil {
		return fail(syscall.EFAULT)
	}
	if !s.valid(c.n.ID) {
		return fail(syscall.EINTR)
	}
	if sureOption(k, level, name, int(int32(v))) {
		if err := s.backend.SetOptNoWait(k.id, level, name, int(int32(v)), s.optDone(k.id, level, name)); err != nil {
			return failErr(err)
		}
		return ret(0)
	}
	if err := s.backend.SetOpt(k.id, level, name, int(int32(v))); err != nil {
		return failErr(err)
	}
	return ret(0)
}

// sureOption reports whether setting an option is certain to succeed, on
// the rump kernel as on Linux, so the program need not wait for the
// answer: the options a TCP client or server sets on every connection (Go
// sets all five), with values both accept. The session sets options in the
// order they come, before anything asked after them.
func sureOption(k *sock, level, name, v int) bool {
	if k.typ != unix.SOCK_STREAM {
		return false
	}
	switch {
	case level == unix.SOL_SOCKET && name == unix.SO_KEEPALIVE,
		level == unix.IPPROTO_TCP && name == unix.TCP_NODELAY:
		return true
	case level == unix.IPPROTO_TCP && (name == unix.TCP_KEEPIDLE || name == unix.TCP_KEEPINTVL):
		return v >= 1 && v <= 32767
	case level == unix.IPPROTO_TCP && name == unix.TCP_KEEPCNT:
		return v >= 1 && v <= 127
	}
	return false
}

// optDone is told the result of an option set without waiting; a failure
// (the socket was closed meanwhile) is only logged.
func (s *Supervisor) optDone(id, level, name int) func(error) {
	if s.Logf == nil {
		return nil
	}
	return func(err error) {
		if err != nil {
			s.Logf("socket %d: setsockopt(%d, %d): %v", id, level, name, err)
		}
	}
}

func (s *Supervisor) getsockopt(c *call, k *sock) reply {
	level, name, valp, lenp := int(int32(c.arg(1))), int(int32(c.arg(2))), c.arg(3), c.arg(4)
	if pairOption(level, name) {
		return cont()
	}
	n, err := c.p.readU32(lenp)
	if err != nil {
		return fail(syscall.EFAULT)
	}
	if int32(n) < 0 {
		return fail(syscall.EINVAL)
	}
	if bytesOption(level, name) {
		b, err := s.backend.GetOptBytes(k.id, level, name)
		if err != nil {
			return failErr(err)
		}
		b = b[:min(int(n), len(b))]
		if c.p.write(valp, b) != nil || c.p.write(lenp, u32(uint32(len(b)))) != nil {
			return fail(syscall.EFAULT)
		}
		return ret(0)
	}
	v, e := s.optValue(c, k, level, name)
	if e != 0 {
		return fail(e)
	}
	b := u32(uint32(int32(v)))[:min(int(n), 4)]
	if c.p.write(valp, b) != nil || c.p.write(lenp, u32(uint32(len(b)))) != nil {
		return fail(syscall.EFAULT)
	}
	return ret(0)
}

// bytesOption reports an option whose value is not an integer: TCP_INFO
// (struct tcp_info), TCP_CONGESTION (a name), and the multicast options
// whose value is a structure.
func bytesOption(level, name int) bool {
	return level == unix.IPPROTO_TCP && name == unix.TCP_INFO || bytesOptionMax(level, name) > 0
}

// bytesOptionMax is the most bytes a set of a bytes option takes:
// struct ip_mreqn for IPv4's joins, leaves and IP_MULTICAST_IF, struct
// ipv6_mreq for IPv6's, a name for TCP_CONGESTION; 0 for other options.
func bytesOptionMax(level, name int) int {
	switch {
	case level == unix.IPPROTO_IP && (name == unix.IP_ADD_MEMBERSHIP || name == unix.IP_DROP_MEMBERSHIP || name == unix.IP_MULTICAST_IF):
		return 12
	case level == unix.IPPROTO_IPV6 && (name == unix.IPV6_JOIN_GROUP || name == unix.IPV6_LEAVE_GROUP):
		return 20
	case level == unix.IPPROTO_TCP && name == unix.TCP_CONGESTION:
		return caNameMax - 1
	}
	return 0
}

// byteOption reports an integer option Linux also takes as one byte.
func byteOption(level, name int) bool {
	return level == unix.IPPROTO_IP && (name == unix.IP_MULTICAST_TTL || name == unix.IP_MULTICAST_LOOP)
}

// caNameMax is Linux's TCP_CA_NAME_MAX, the longest TCP_CONGESTION.
const caNameMax = 16

func (s *Supervisor) setBytesOpt(c *call, k *sock, level, name int, val uint64, n int) reply {
	if n < 1 {
		return fail(syscall.EINVAL)
	}
	b, err := c.p.read(val, min(n, max(bytesOptionMax(level, name), 1)))
	if err != nil {
		return fail(syscall.EFAULT)
	}
	if !s.valid(c.n.ID) {
		return fail(syscall.EINTR)
	}
	if err := s.backend.SetOptBytes(k.id, level, name, b); err != nil {
		return failErr(err)
	}
	return ret(0)
}

// optValue is the value of an option, from the supervisor or the session.
func (s *Supervisor) optValue(c *call, k *sock, level, name int) (int, syscall.Errno) {
	if level == unix.SOL_SOCKET {
		switch name {
		case unix.SO_TYPE:
			return k.typ, 0 // the pair of a datagram socket is SEQPACKET
		case unix.SO_DOMAIN:
			return k.family, 0
		case unix.SO_PROTOCOL:
			return k.proto, 0
		case unix.SO_ACCEPTCONN:
			k.mu.Lock()
			defer k.mu.Unlock()
			if k.listening {
				return 1, 0
			}
			return 0, 0
		case unix.SO_ERROR:
			if e, pending := s.connectResult(c, k); pending {
				return int(e), 0
			}
		}
	}
	v, err := s.backend.GetOpt(k.id, level, name)
	if err != nil {
		if level == unix.SOL_SOCKET && name == unix.SO_ERROR {
			return 0, 0
		}
		return 0, errnoOf(err)
	}
	return v, 0
}

// connectResult waits for a non-blocking connect to end and returns its
// error once; pending is false when there was none.
func (s *Supervisor) connectResult(c *call, k *sock) (e syscall.Errno, pending bool) {
	k.mu.Lock()
	done := k.done
	k.mu.Unlock()
	if done == nil {
		return 0, false
	}
	ctx, cancel := s.watch(c)
	defer cancel()
	select {
	case <-done:
	case <-ctx.Done():
		return 0, true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	e = k.soError
	k.soError = 0
	if k.done == done {
		k.done = nil
	}
	return e, true
}
