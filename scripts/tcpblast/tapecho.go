package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"

	"github.com/rumpnet/rumpnet/pkg/hosttap"
)

// tapEcho opens (creating) tap name the way rump_server's virt interfaces
// do and answers ARP requests and ICMP echo requests for addr on it, with
// no network stack at all, until it is killed. scripts/bench pings it for
// the floor under the rump kernel's ping figure: what reading a tap from a
// Go program costs before any protocol work.
func tapEcho(name, addr string) error {
	ip := net.ParseIP(addr).To4()
	if ip == nil {
		return fmt.Errorf("%q is not an IPv4 address", addr)
	}
	t, err := hosttap.Open(name)
	if err != nil {
		return err
	}
	defer t.Close()
	b := make([]byte, hosttap.VnetHdrLen+64<<10)
	for {
		n, err := t.Read(b)
		if err != nil {
			return err
		}
		if n < hosttap.VnetHdrLen || !answer(b[hosttap.VnetHdrLen:n], ip) {
			continue
		}
		// A reply needs nothing from the host: no checksum to finish,
		// no segmentation.
		clear(b[:hosttap.VnetHdrLen])
		if _, err := t.Write(b[:n]); err != nil {
			return err
		}
	}
}

// echoMAC is tapEcho's Ethernet address (locally administered).
var echoMAC = [6]byte{0x02, 0x72, 0x75, 0x6d, 0x70, 0x01}

// answer turns frame, in place, into the reply to it if it is an ARP
// request or an ICMP echo request for ip, and reports whether it did.
func answer(frame []byte, ip net.IP) bool {
	const ethLen = 14
	if len(frame) < ethLen {
		return false
	}
	p := frame[ethLen:]
	switch binary.BigEndian.Uint16(frame[12:]) {
	case 0x0806: // ARP for IPv4 over Ethernet
		if len(p) < 28 || binary.BigEndian.Uint32(p[0:]) != 0x00010800 ||
			p[4] != 6 || p[5] != 4 || binary.BigEndian.Uint16(p[6:]) != 1 ||
			!bytes.Equal(p[24:28], ip) {
			return false
		}
		copy(frame[0:6], p[8:14])
		copy(frame[6:12], echoMAC[:])
		binary.BigEndian.PutUint16(p[6:], 2)
		copy(p[18:28], p[8:18]) // the asker becomes the target
		copy(p[8:14], echoMAC[:])
		copy(p[14:18], ip)
		return true
	case 0x0800:
		if len(p) < 20 || p[0]>>4 != 4 {
			return false
		}
		hl := int(p[0]&0xf) * 4
		if hl < 20 || len(p) < hl+8 || p[9] != 1 || !bytes.Equal(p[16:20], ip) || p[hl] != 8 || p[hl+1] != 0 {
			return false
		}
		var mac [6]byte
		copy(mac[:], frame[0:6])
		copy(frame[0:6], frame[6:12])
		copy(frame[6:12], mac[:])
		var src [4]byte
		copy(src[:], p[12:16])
		copy(p[12:16], p[16:20])
		copy(p[16:20], src[:])
		// The IP header checksum is unchanged by swapping its two
		// addresses; ICMP's changes by the type going from 8 to 0
		// (RFC 1624).
		icmp := p[hl:]
		icmp[0] = 0
		sum := uint32(binary.BigEndian.Uint16(icmp[2:])) + 0x0800
		sum = sum&0xffff + sum>>16
		binary.BigEndian.PutUint16(icmp[2:], uint16(sum))
		return true
	}
	return false
}
