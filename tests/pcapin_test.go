package tests

// shmif_pcapin(1) with real processes: NetBSD's bridge_protection case in
// spirit. Frames no kernel would send (from a MAC address no kernel has,
// to one no kernel has, and to broadcast) are written onto a bridge
// member's bus from pcap files; a protected port must not pass them to
// another protected port, an unprotected one must, and the bus dumps
// (shmif_dumpbus -p | tcpdump -r) show where they went.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/pcap"
)

// udpFrame is an Ethernet frame with an empty UDP datagram from
// 00:11:11:11:11:11 and src (an IPv4 address) to dst MAC and 10.0.0.100,
// port 80 to 80.
func udpFrame(dst [6]byte, src [4]byte) []byte {
	f := append(dst[:], 0, 0x11, 0x11, 0x11, 0x11, 0x11, 0x08, 0x00)
	ip := []byte{0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0}
	ip = append(append(ip, src[:]...), 10, 0, 0, 100)
	var sum uint32
	for i := 0; i < len(ip); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	f = append(f, ip...)
	return append(f, 0, 80, 0, 80, 0, 8, 0, 0) // checksum 0: none
}

// writePcap writes frame as a one-packet pcap file under dir.
func writePcap(t *testing.T, dir, name string, frame []byte) string {
	t.Helper()
	var b bytes.Buffer
	w, err := pcap.NewWriter(&b, pcap.LinkTypeEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(pcap.Packet{Time: time.Unix(1, 0), OrigLen: len(frame), Data: frame}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPcapinBridgeProtection(t *testing.T) {
	e := newEnv(t)
	var buses []string
	for i := 1; i <= 3; i++ {
		buses = append(buses, filepath.Join(e.dir, fmt.Sprintf("bus%d", i)))
	}
	b := e.bridgeKernel("b", []string{"-l", "rumpnet_shmif", "-l", "rumpnet_bridge", "-l", "rumpnet_netinet"}, buses...)
	e.mustRifAt(b, "bridge0", "create")
	e.mustBrAt(b, "bridge0", "add", "shmif0", "add", "shmif1", "add", "shmif2", "up")
	e.mustBrAt(b, "bridge0", "protect", "shmif0", "protect", "shmif1")

	unknown := [6]byte{0, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa}
	broadcast := [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	header := regexp.MustCompile(`^bus version 3, lock: 0, generation: \d+, firstoff: 0x[0-9a-f]{4}, lastoff: 0x[0-9a-f]{4}\n$`)
	seen := func(bus, src string) bool {
		return strings.Contains(e.busDump(bus), "IP "+src+".80 > 10.0.0.100.80: UDP")
	}
	tests := []struct {
		name      string
		dst       [6]byte
		src       [4]byte
		unprotect bool // take protection off shmif1 first
		toBus2    bool
	}{
		{"unicast, protected to protected", unknown, [4]byte{192, 168, 0, 100}, false, false},
		{"broadcast, protected to protected", broadcast, [4]byte{192, 168, 0, 101}, false, false},
		{"unicast, shmif1 unprotected", unknown, [4]byte{192, 168, 0, 102}, true, true},
		{"broadcast, shmif1 unprotected", broadcast, [4]byte{192, 168, 0, 103}, false, true},
	}
	for i, tt := range tests {
		if tt.unprotect {
			e.mustBrAt(b, "bridge0", "-protect", "shmif1")
		}
		file := writePcap(t, e.dir, fmt.Sprintf("in%d.pcap", i), udpFrame(tt.dst, tt.src))
		if out := e.mustRun(nil, bin("shmif_pcapin"), file, buses[0]); !header.MatchString(out) {
			t.Errorf("%s: shmif_pcapin printed %q, want the bus header line", tt.name, out)
		}
		src := fmt.Sprintf("%d.%d.%d.%d", tt.src[0], tt.src[1], tt.src[2], tt.src[3])
		// shmif2 is unprotected: the frame is flooded there in any case,
		// after shmif1 (the bridge floods in member order).
		e.waitFor(tt.name+": frame from "+src+" on bus3", func() (bool, string) {
			return seen(buses[2], src), e.busDump(buses[2])
		})
		if got := seen(buses[1], src); got != tt.toBus2 {
			t.Errorf("%s: frame from %s on bus2 (shmif1): got %v, want %v\n%s", tt.name, src, got, tt.toBus2, e.busDump(buses[1]))
		}
	}
}
