package hijack

// sendmsg(2), recvmsg(2) and their multi-message forms on datagram
// sockets: the msghdr and its iovecs are read from the program, the
// datagram goes through sendOne and recvOne.

import (
	"encoding/binary"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// readMsghdr reads a msghdr and its iovecs.
func readMsghdr(c *call, at uint64) (msghdr, []iovec, syscall.Errno) {
	b, err := c.p.read(at, sizeofMsghdr)
	if err != nil {
		return msghdr{}, nil, syscall.EFAULT
	}
	m := decodeMsghdr(b)
	if m.IovLen > maxIov {
		return msghdr{}, nil, syscall.EMSGSIZE
	}
	vb, err := c.p.read(m.Iov, int(m.IovLen)*sizeofIovec)
	if err != nil {
		return msghdr{}, nil, syscall.EFAULT
	}
	return m, decodeIovecs(vb), 0
}

// gather reads the bytes the iovecs name.
func gather(c *call, iov []iovec) ([]byte, syscall.Errno) {
	var out []byte
	for _, v := range iov {
		if uint64(len(out))+v.Len > maxDatagram {
			return nil, syscall.EMSGSIZE
		}
		b, err := c.p.read(v.Base, int(v.Len))
		if err != nil {
			return nil, syscall.EFAULT
		}
		out = append(out, b...)
	}
	return out, 0
}

// scatter writes b over the iovecs.
func scatter(c *call, iov []iovec, b []byte) syscall.Errno {
	for _, v := range iov {
		if len(b) == 0 {
			break
		}
		n := min(uint64(len(b)), v.Len)
		if c.p.write(v.Base, b[:n]) != nil {
			return syscall.EFAULT
		}
		b = b[n:]
	}
	return 0
}

func iovSize(iov []iovec) int {
	var n uint64
	for _, v := range iov {
		n += v.Len
	}
	return int(min(n, maxDatagram))
}

// sendMsgAt sends the datagram the msghdr at addr describes and returns
// its length.
func (s *Supervisor) sendMsgAt(c *call, k *sock, fd int, at uint64, flags int) (int, syscall.Errno) {
	m, iov, e := readMsghdr(c, at)
	if e != 0 {
		return 0, e
	}
	var to *netip.AddrPort
	if m.Name != 0 && m.NameLen != 0 {
		ap, e := s.readAddr(c, k, m.Name, uint64(m.NameLen))
		if e != 0 {
			return 0, e
		}
		to = &ap
	}
	payload, e := gather(c, iov)
	if e != 0 {
		return 0, e
	}
	var info pktInfo
	if m.Control != 0 && m.ControlLen >= sizeofCmsghdr {
		b, err := c.p.read(m.Control, int(min(m.ControlLen, maxControl)))
		if err != nil {
			return 0, syscall.EFAULT
		}
		info = decodeSendPktinfo(b)
	}
	if !s.valid(c.n.ID) {
		return 0, syscall.EINTR
	}
	return len(payload), s.sendOne(c, k, fd, flags, to, info, payload)
}

// recvMsgAt receives one datagram into the msghdr at addr and returns what
// the call returns for it.
func (s *Supervisor) recvMsgAt(c *call, k *sock, fd int, at uint64, flags int) (int, syscall.Errno) {
	m, iov, e := readMsghdr(c, at)
	if e != 0 {
		return 0, e
	}
	r, e := s.recvOne(c, k, fd, flags, iovSize(iov))
	if e != 0 {
		return 0, e
	}
	if e := scatter(c, iov, r.payload); e != 0 {
		return 0, e
	}
	var mflags uint32
	if r.full > len(r.payload) {
		mflags = unix.MSG_TRUNC
	}
	if m.Name != 0 {
		sa := encodeSockaddr(k.family, r.from)
		if c.p.write(m.Name, sa[:min(int(m.NameLen), len(sa))]) != nil {
			return 0, syscall.EFAULT
		}
		if c.p.write(at+8, u32(uint32(len(sa)))) != nil {
			return 0, syscall.EFAULT
		}
	}
	clen, cflags, e := writeControl(c, k, m, r.info)
	if e != 0 {
		return 0, e
	}
	if c.p.write(at+40, u64(clen)) != nil || c.p.write(at+48, u32(mflags|cflags)) != nil {
		return 0, syscall.EFAULT
	}
	if flags&unix.MSG_TRUNC != 0 {
		return r.full, 0
	}
	return len(r.payload), 0
}

// maxControl bounds the control data read from a sendmsg.
const maxControl = 4096

// writeControl writes a datagram's packet info, when it has any, as the
// control message of the msghdr m, and returns msg_controllen and the
// MSG_CTRUNC flag when the buffer is too short for it, as Linux does.
func writeControl(c *call, k *sock, m msghdr, info pktInfo) (uint64, uint32, syscall.Errno) {
	if !info.ok {
		return 0, 0, 0
	}
	cm := encodePktinfoCmsg(k.family, info)
	if m.Control == 0 || m.ControlLen < binary.LittleEndian.Uint64(cm) { // CMSG_LEN
		return 0, unix.MSG_CTRUNC, 0
	}
	n := min(uint64(len(cm)), m.ControlLen)
	if c.p.write(m.Control, cm[:n]) != nil {
		return 0, 0, syscall.EFAULT
	}
	return n, 0, 0
}

func (s *Supervisor) sendmsg(c *call, k *sock) reply {
	if k.typ == unix.SOCK_STREAM {
		return cont()
	}
	if k.isConnected() && !s.hasName(c, c.arg(1)) {
		return cont()
	}
	return s.withDup(c, func(fd int) reply {
		n, e := s.sendMsgAt(c, k, fd, c.arg(1), int(int32(c.arg(2))))
		if e != 0 {
			return fail(e)
		}
		return ret(int64(n))
	})
}

// hasName reports whether the msghdr at addr names an address.
func (s *Supervisor) hasName(c *call, at uint64) bool {
	b, err := c.p.read(at, sizeofMsghdr)
	if err != nil {
		return false
	}
	m := decodeMsghdr(b)
	return m.Name != 0 && m.NameLen != 0
}

func (s *Supervisor) recvmsg(c *call, k *sock) reply {
	if int(int32(c.arg(2)))&unix.MSG_ERRQUEUE != 0 {
		// The options that ask for queued errors are accepted without
		// effect (doc/sockets.md): the queue is always empty.
		return fail(syscall.EAGAIN)
	}
	if k.typ == unix.SOCK_STREAM {
		return cont()
	}
	if k.isConnected() && !s.hasName(c, c.arg(1)) {
		return cont()
	}
	return s.withDup(c, func(fd int) reply {
		n, e := s.recvMsgAt(c, k, fd, c.arg(1), int(int32(c.arg(2))))
		if e != 0 {
			return fail(e)
		}
		return ret(int64(n))
	})
}

// mmsg runs one(i) for the vlen entries of an mmsghdr array, writing each
// msg_len, and returns how many were done; the first failure is the call's
// error only when nothing was done.
func (s *Supervisor) mmsg(c *call, one func(at uint64, first bool) (int, syscall.Errno)) reply {
	vec, vlen := c.arg(1), int(min(c.arg(2), maxIov))
	done := 0
	for i := range vlen {
		at := vec + uint64(i*sizeofMmsghdr)
		n, e := one(at, i == 0)
		if e != 0 {
			if done == 0 {
				return fail(e)
			}
			break
		}
		if c.p.write(at+sizeofMsghdr, u32(uint32(n))) != nil {
			return fail(syscall.EFAULT)
		}
		done++
	}
	return ret(int64(done))
}

func (s *Supervisor) sendmmsg(c *call, k *sock) reply {
	if k.typ == unix.SOCK_STREAM {
		return cont()
	}
	flags := int(int32(c.arg(3)))
	return s.withDup(c, func(fd int) reply {
		return s.mmsg(c, func(at uint64, _ bool) (int, syscall.Errno) {
			return s.sendMsgAt(c, k, fd, at, flags)
		})
	})
}

// recvmmsg waits for the first datagram as the descriptor says and takes
// the others only while they are queued: the timeout argument is not
// honoured.
func (s *Supervisor) recvmmsg(c *call, k *sock) reply {
	if k.typ == unix.SOCK_STREAM {
		return cont()
	}
	flags := int(int32(c.arg(3))) &^ unix.MSG_WAITFORONE
	return s.withDup(c, func(fd int) reply {
		return s.mmsg(c, func(at uint64, first bool) (int, syscall.Errno) {
			f := flags
			if !first {
				f |= unix.MSG_DONTWAIT
			}
			return s.recvMsgAt(c, k, fd, at, f)
		})
	})
}
