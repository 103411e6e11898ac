package main

// Random and malformed frames out of a host interface (a tap whose other
// end is a rump kernel): random bytes, and random bytes behind plausible
// Ethernet, ARP, IPv4, IPv6, ICMP, TCP and UDP headers, so that the
// kernel's parsers see more than garbage at the first byte.

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

func frames(ifname string, n int) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("packet socket: %w", err)
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}
	sent, refused := 0, 0
	for i := 0; i < n; i++ {
		f := frame(i)
		if err := unix.Sendto(fd, f, 0, sa); err != nil {
			refused++ // too short or too long for the tap: fine
			continue
		}
		sent++
	}
	fmt.Printf("sent %d malformed frames out of %s (%d refused by the host)\n", sent, ifname, refused)
	return nil
}

// ethertypes the crafted frames carry.
var ethertypes = []uint16{0x0800, 0x86dd, 0x0806, 0x8100, 0x88cc, 0x0000, 0xffff}

// frame builds the i-th frame: every fourth pure noise, the others a
// header chain with random fields and a random tail.
func frame(i int) []byte {
	n := 14 + rnd(1500)
	f := make([]byte, n)
	rand.Read(f)
	if i%4 == 0 {
		return f
	}
	if i%3 == 0 {
		copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) // broadcast: every stack reads it
	} else {
		f[0] &^= 1 // unicast to a random MAC
	}
	et := ethertypes[i%len(ethertypes)]
	binary.BigEndian.PutUint16(f[12:], et)
	p := f[14:]
	switch et {
	case 0x0800:
		if len(p) >= 20 {
			p[0] = 0x40 | byte(rnd(16)) // version 4, any header length
			p[9] = []byte{1, 6, 17, 2, 0, 255}[rnd(6)]
			binary.BigEndian.PutUint16(p[2:], uint16(rnd(len(p)+64)))
		}
	case 0x86dd:
		if len(p) >= 40 {
			p[0] = 0x60
			p[6] = []byte{58, 6, 17, 0, 43, 44, 60, 59}[rnd(8)]
			binary.BigEndian.PutUint16(p[4:], uint16(rnd(len(p)+64)))
			p[24] = 0xfe // often to a link-local address
			p[25] = 0x80
		}
	case 0x0806:
		if len(p) >= 8 {
			binary.BigEndian.PutUint16(p[0:], 1)
			binary.BigEndian.PutUint16(p[2:], 0x0800)
			p[4], p[5] = 6, 4
		}
	}
	return f
}
