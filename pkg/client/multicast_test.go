package client_test

import (
	"net"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/rump"
)

// groupRefcnt is the refcount k lists for group on shmif0, 0 for none.
func groupRefcnt(k *rump.Kernel, group string) int {
	for _, m := range k.Multicast() {
		for _, a := range m.Addrs {
			for _, g := range a.Groups {
				if m.Interface == "shmif0" && g.Group == group {
					return g.Refcnt
				}
			}
		}
	}
	return 0
}

func TestListenMulticastUDP(t *testing.T) {
	ks, cs := busPair(t)
	for _, tt := range []struct {
		network, group, from string
	}{
		{"udp4", "239.1.2.3:7400", "10.9.0.1:0"},
		{"udp", "[ff15::1234]:7401", "[fd00::1]:0"},
	} {
		gaddr, _ := net.ResolveUDPAddr("udp", tt.group)
		pc, err := cs[1].ListenMulticastUDP(tt.network, nil, gaddr)
		if err != nil {
			t.Fatalf("ListenMulticastUDP(%s, %s): %v", tt.network, tt.group, err)
		}
		group := gaddr.IP.String()
		if got := groupRefcnt(ks[1], group); got != 1 {
			t.Errorf("%s: got refcount %d, want 1", group, got)
		}
		from, err := cs[0].ListenPacket("udp", tt.from)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		deadline := time.Now().Add(10 * time.Second)
		got := ""
		for got == "" && time.Now().Before(deadline) {
			from.WriteTo([]byte("to the group"), gaddr)
			pc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if n, _, err := pc.ReadFrom(buf); err == nil {
				got = string(buf[:n])
			}
		}
		if got != "to the group" {
			t.Errorf("%s: got %q, want %q", group, got, "to the group")
		}
		from.Close()
		pc.Close()
		poll(t, group+" left on close", func() bool { return groupRefcnt(ks[1], group) == 0 })
	}
	if _, err := cs[1].ListenMulticastUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(10, 9, 0, 9), Port: 1}); err == nil {
		t.Errorf("ListenMulticastUDP of a unicast address: got nil error, want EINVAL")
	}
}
