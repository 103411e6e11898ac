package main

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip/checksum"
)

var (
	testIP   = net.IPv4(10, 9, 0, 2).To4()
	asker    = []byte{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}
	askerIP  = []byte{10, 9, 0, 1}
	ethBcast = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

func arpRequest(target []byte) []byte {
	f := append(append([]byte{}, ethBcast...), asker...)
	f = append(f, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1)
	f = append(f, asker...)
	f = append(f, askerIP...)
	f = append(f, 0, 0, 0, 0, 0, 0)
	return append(f, target...)
}

func echoRequest(dst []byte, payload []byte) []byte {
	f := append(append([]byte{}, echoMAC[:]...), asker...)
	f = append(f, 0x08, 0x00)
	ip := []byte{0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0}
	ip = append(append(ip, askerIP...), dst...)
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	binary.BigEndian.PutUint16(ip[10:], ^checksum.Checksum(ip, 0))
	icmp := append([]byte{8, 0, 0, 0, 0x1c, 0xd0, 0, 7}, payload...)
	binary.BigEndian.PutUint16(icmp[2:], ^checksum.Checksum(icmp, 0))
	return append(append(f, ip...), icmp...)
}

func TestAnswerARP(t *testing.T) {
	f := arpRequest(testIP)
	if !answer(f, testIP) {
		t.Fatal("no answer to an ARP request for our address")
	}
	p := f[14:]
	switch {
	case !bytes.Equal(f[0:6], asker) || !bytes.Equal(f[6:12], echoMAC[:]):
		t.Errorf("Ethernet header % x", f[:14])
	case binary.BigEndian.Uint16(p[6:]) != 2:
		t.Errorf("operation %d, want 2 (reply)", binary.BigEndian.Uint16(p[6:]))
	case !bytes.Equal(p[8:14], echoMAC[:]) || !bytes.Equal(p[14:18], testIP):
		t.Errorf("sender % x / %v", p[8:14], net.IP(p[14:18]))
	case !bytes.Equal(p[18:24], asker) || !bytes.Equal(p[24:28], askerIP):
		t.Errorf("target % x / %v", p[18:24], net.IP(p[24:28]))
	}
	if answer(arpRequest([]byte{10, 9, 0, 3}), testIP) {
		t.Error("answered an ARP request for another address")
	}
}

func TestAnswerEcho(t *testing.T) {
	payload := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	f := echoRequest(testIP, payload)
	if !answer(f, testIP) {
		t.Fatal("no answer to an echo request for our address")
	}
	ip, icmp := f[14:34], f[34:]
	switch {
	case !bytes.Equal(f[0:6], asker) || !bytes.Equal(f[6:12], echoMAC[:]):
		t.Errorf("Ethernet header % x", f[:14])
	case !bytes.Equal(ip[12:16], testIP) || !bytes.Equal(ip[16:20], askerIP):
		t.Errorf("addresses %v -> %v", net.IP(ip[12:16]), net.IP(ip[16:20]))
	case checksum.Checksum(ip, 0) != 0xffff:
		t.Errorf("IP header checksum wrong: % x", ip)
	case icmp[0] != 0 || icmp[1] != 0:
		t.Errorf("ICMP type %d code %d, want 0 0", icmp[0], icmp[1])
	case checksum.Checksum(icmp, 0) != 0xffff:
		t.Errorf("ICMP checksum wrong: % x", icmp[:8])
	case !bytes.Equal(icmp[4:8], []byte{0x1c, 0xd0, 0, 7}) || !bytes.Equal(icmp[8:], payload):
		t.Errorf("identifier, sequence or data changed: % x", icmp[4:])
	}
	if answer(echoRequest([]byte{10, 9, 0, 3}, payload), testIP) {
		t.Error("answered an echo request for another address")
	}
	reply := echoRequest(testIP, payload)
	reply[34] = 0
	if answer(reply, testIP) {
		t.Error("answered an echo reply")
	}
}
