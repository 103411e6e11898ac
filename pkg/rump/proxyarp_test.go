package rump

import (
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// TestProxyARP follows NetBSD's t_arp arp_proxy_arp_pub: a kernel with a
// published entry answers ARP requests for the address with the published
// link address, lists the entry as published, and stops answering once it
// is deleted.
func TestProxyARP(t *testing.T) {
	ka, kb := linkedKernels(t) // ka 10.0.0.1, kb 10.0.0.2 on one link
	const pubMAC = "b2:a0:20:00:00:50"
	if err := kb.AddNeighbor(4, api.Neighbor{Addr: "10.0.0.50", LinkAddr: pubMAC, Published: true}); err != nil {
		t.Fatal(err)
	}
	var listed []api.Neighbor
	for _, n := range kb.Neighbors(4) {
		if n.Published {
			listed = append(listed, n)
		}
	}
	if len(listed) != 1 || listed[0].Addr != "10.0.0.50" || listed[0].LinkAddr != pubMAC || !listed[0].Permanent || listed[0].Interface != "virt0" {
		t.Fatalf("published entries: got %+v, want 10.0.0.50 at %s on virt0, permanent", listed, pubMAC)
	}
	// ka asks for 10.0.0.50 (the echo request itself goes unanswered).
	deadline := time.Now().Add(15 * time.Second)
	for neighborMAC(ka, "10.0.0.50") != pubMAC {
		if time.Now().After(deadline) {
			t.Fatalf("ka's entry for 10.0.0.50: got %q, want %s", neighborMAC(ka, "10.0.0.50"), pubMAC)
		}
		pingAll(t, ka, api.PingRequest{Dst: "10.0.0.50", Count: 1, Wait: 0.2})
	}
	if err := kb.DeleteNeighbor(4, api.Neighbor{Addr: "10.0.0.50"}); err != nil {
		t.Fatal(err)
	}
	if err := kb.DeleteNeighbor(4, api.Neighbor{Addr: "10.0.0.50"}); api.ErrnoOf(err) != syscall.ESRCH {
		t.Errorf("second delete: got %v, want ESRCH", err)
	}
	for _, n := range kb.Neighbors(4) {
		if n.Published {
			t.Errorf("after delete: got published %+v, want none", n)
		}
	}
}

func neighborMAC(k *Kernel, addr string) string {
	for _, n := range k.Neighbors(4) {
		if n.Addr == addr {
			return n.LinkAddr
		}
	}
	return ""
}

func TestProxyReply(t *testing.T) {
	self := tcpip.LinkAddress("\xb2\x0a\x01\x0b\x0e\x00")
	pub := tcpip.LinkAddress("\xb2\xa0\x20\x00\x00\x50")
	table := proxyTable{{10, 0, 0, 2}: pub}
	asker := tcpip.LinkAddress("\x02\x00\x00\x00\x00\x01")
	tests := []struct {
		name           string
		op             header.ARPOp
		sender, target [4]byte
		want           bool
	}{
		{"published", header.ARPRequest, [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, true},
		{"not published", header.ARPRequest, [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 3}, false},
		{"a reply", header.ARPReply, [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, false},
		{"gratuitous", header.ARPRequest, [4]byte{10, 0, 0, 2}, [4]byte{10, 0, 0, 2}, false},
	}
	for _, tt := range tests {
		frame := make([]byte, header.EthernetMinimumSize+header.ARPSize)
		header.Ethernet(frame).Encode(&header.EthernetFields{SrcAddr: asker, DstAddr: header.EthernetBroadcastAddress, Type: header.ARPProtocolNumber})
		a := header.ARP(frame[header.EthernetMinimumSize:])
		a.SetIPv4OverEthernet()
		a.SetOp(tt.op)
		copy(a.HardwareAddressSender(), asker)
		copy(a.ProtocolAddressSender(), tt.sender[:])
		copy(a.ProtocolAddressTarget(), tt.target[:])
		reply := proxyReply(frame, table, self)
		if (reply != nil) != tt.want {
			t.Errorf("%s: got reply %v, want %v", tt.name, reply != nil, tt.want)
			continue
		}
		if reply == nil {
			continue
		}
		r := header.ARP(reply[header.EthernetMinimumSize:])
		if got := tcpip.LinkAddress(r.HardwareAddressSender()); got != pub || header.Ethernet(reply).DestinationAddress() != asker ||
			string(r.ProtocolAddressTarget()) != string(tt.sender[:]) {
			t.Errorf("%s: got reply %x, want %s is-at %s to %s", tt.name, reply, tt.target, pub, asker)
		}
	}
}

// TestProxyRoute follows NetBSD's route -proxy (t_flags announce): an inet
// host route with RTF_ANNOUNCE keeps the flag, and its destination is
// answered for with the route's interface's link address until the route
// is deleted.
func TestProxyRoute(t *testing.T) {
	ka, kb := linkedKernels(t) // ka 10.0.0.1, kb 10.0.0.2 on one link
	r := api.Route{Dest: "10.0.0.60/32", Gateway: "10.0.0.2", Flags: api.RTF_STATIC | api.RTF_ANNOUNCE}
	if err := kb.AddRoute(4, r); err != nil {
		t.Fatal(err)
	}
	var flags int
	for _, rt := range kb.Routes(4) {
		if rt.Dest == r.Dest {
			flags = rt.Flags
		}
	}
	if want := api.RTF_UP | api.RTF_HOST | api.RTF_STATIC | api.RTF_ANNOUNCE; flags != want {
		t.Fatalf("route flags: got %#x, want %#x", flags, want)
	}
	var virt0 *Interface
	for _, ifp := range kb.ifaces {
		if ifp.name == "virt0" {
			virt0 = ifp
		}
	}
	mac := macString(virt0.eth.LinkAddress())
	deadline := time.Now().Add(15 * time.Second)
	for neighborMAC(ka, "10.0.0.60") != mac {
		if time.Now().After(deadline) {
			t.Fatalf("ka's entry for 10.0.0.60: got %q, want %s", neighborMAC(ka, "10.0.0.60"), mac)
		}
		pingAll(t, ka, api.PingRequest{Dst: "10.0.0.60", Count: 1, Wait: 0.2})
	}
	if err := kb.DeleteRoute(4, r); err != nil {
		t.Fatal(err)
	}
	if p := virt0.eth.proxy.Load(); p != nil {
		t.Errorf("after delete: got proxy table %v, want none", *p)
	}
}
