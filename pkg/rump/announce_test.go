package rump

import (
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// arpSeen is one ARP request as tcpdump shows it: "who-has target tell
// sender" from the Ethernet source src.
type arpSeen struct{ src, target, sender string }

// arpRequests returns the ARP requests recorded so far.
func (r *recorder) arpRequests() []arpSeen {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []arpSeen
	for _, f := range r.frames {
		if len(f) < header.EthernetMinimumSize+header.ARPSize || header.Ethernet(f).Type() != header.ARPProtocolNumber {
			continue
		}
		a := header.ARP(f[header.EthernetMinimumSize:])
		if a.Op() != header.ARPRequest {
			continue
		}
		out = append(out, arpSeen{
			src:    header.Ethernet(f).SourceAddress().String(),
			target: tcpip.AddrFromSlice(a.ProtocolAddressTarget()).String(),
			sender: tcpip.AddrFromSlice(a.ProtocolAddressSender()).String(),
		})
	}
	return out
}

// unsolicitedNAs returns the targets of the neighbour advertisements to
// all nodes, override set, recorded so far, with their Ethernet sources.
func (r *recorder) unsolicitedNAs() []arpSeen {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []arpSeen
	for _, f := range r.frames {
		if len(f) < header.EthernetMinimumSize+header.IPv6MinimumSize || header.Ethernet(f).Type() != header.IPv6ProtocolNumber {
			continue
		}
		ip := header.IPv6(f[header.EthernetMinimumSize:])
		if ip.NextHeader() != uint8(header.ICMPv6ProtocolNumber) || ip.DestinationAddress() != header.IPv6AllNodesMulticastAddress {
			continue
		}
		icmp := header.ICMPv6(ip.Payload())
		if len(icmp) < header.ICMPv6NeighborAdvertMinimumSize || icmp.Type() != header.ICMPv6NeighborAdvert {
			continue
		}
		if header.ICMPv6Checksum(header.ICMPv6ChecksumParams{Header: icmp, Src: ip.SourceAddress(), Dst: ip.DestinationAddress()}) != icmp.Checksum() {
			continue
		}
		na := header.NDPNeighborAdvert(icmp.MessageBody())
		if !na.OverrideFlag() || na.SolicitedFlag() {
			continue
		}
		out = append(out, arpSeen{src: header.Ethernet(f).SourceAddress().String(), target: na.TargetAddress().String()})
	}
	return out
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.frames = nil
	r.mu.Unlock()
}

// recordingKernel is a kernel whose virt0 writes into a recorder, with
// net.inet.ip.dad_count set to dad.
func recordingKernel(t *testing.T, dad int) (*Kernel, *recorder) {
	a, _ := framepipe.New()
	rec := &recorder{End: a}
	k := newKernel(t, Options{OpenTap: func(string) (FrameDevice, error) { return rec, nil }})
	if err := tunable(t, "net.inet.ip.dad_count").Set(k, dad); err != nil {
		t.Fatal(err)
	}
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	return k, rec
}

func countARP(seen []arpSeen, target, sender string) int {
	n := 0
	for _, s := range seen {
		if s.target == target && s.sender == sender {
			n++
		}
	}
	return n
}

// waitARP polls until the recorder has an ARP request for target from
// sender.
func waitARP(t *testing.T, rec *recorder, target, sender string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for countARP(rec.arpRequests(), target, sender) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no ARP request who-has %s tell %s; got %+v", target, sender, rec.arpRequests())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func inetFlags(t *testing.T, k *Kernel, addr string) int {
	t.Helper()
	v, err := k.Interface("virt0")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range v.Inet {
		if a.Addr == addr {
			return a.Flags
		}
	}
	t.Fatalf("%s not on virt0: %+v", addr, v.Inet)
	return 0
}

// TestGratuitousARP follows NetBSD's t_arp arp_garp and
// arp_garp_without_dad: an address given while the interface is down is
// announced when it comes up, DAD or not; one given to an interface that
// is up is announced at once without DAD, and with DAD only after its
// probes (sender 0.0.0.0) went unanswered.
func TestGratuitousARP(t *testing.T) {
	for _, dad := range []int{0, 3} {
		k, rec := recordingKernel(t, dad)
		if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.1/24"}); err != nil {
			t.Fatal(err)
		}
		if f := inetFlags(t, k, "10.0.0.1/24"); f != 0 {
			t.Errorf("dad_count %d: address given while down: got flags %#x, want 0", dad, f)
		}
		waitARP(t, rec, "10.0.0.1", "10.0.0.1")
		if n := countARP(rec.arpRequests(), "10.0.0.1", "0.0.0.0"); n != 0 {
			t.Errorf("dad_count %d: got %d probes for an address given while down, want 0", dad, n)
		}

		rec.reset()
		if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.4/24"}); err != nil {
			t.Fatal(err)
		}
		if dad == 0 {
			if n := countARP(rec.arpRequests(), "10.0.0.4", "10.0.0.4"); n != 1 {
				t.Errorf("dad_count 0: got %d announcements right after adding, want 1", n)
			}
			continue
		}
		if f := inetFlags(t, k, "10.0.0.4/24"); f != api.IN_IFF_TENTATIVE {
			t.Errorf("dad_count 3: got flags %#x right after adding, want TENTATIVE", f)
		}
		if n := countARP(rec.arpRequests(), "10.0.0.4", "10.0.0.4"); n != 0 {
			t.Errorf("dad_count 3: got %d announcements before DAD, want 0", n)
		}
		waitARP(t, rec, "10.0.0.4", "10.0.0.4")
		if n := countARP(rec.arpRequests(), "10.0.0.4", "0.0.0.0"); n != dad {
			t.Errorf("dad_count 3: got %d probes, want %d", n, dad)
		}
		if f := inetFlags(t, k, "10.0.0.4/24"); f != 0 {
			t.Errorf("dad_count 3: got flags %#x after the announcement, want 0", f)
		}
	}
}

// TestInetDADAfterDown: an address the interface had while it was up does
// DAD again when it comes back up, as NetBSD's in_if_link_up.
func TestInetDADAfterDown(t *testing.T) {
	k, rec := recordingKernel(t, 1)
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.1/24"}); err != nil {
		t.Fatal(err)
	}
	if err := k.SetFlags("virt0", 0); err != nil {
		t.Fatal(err)
	}
	rec.reset()
	if err := k.SetFlags("virt0", api.IFF_UP); err != nil {
		t.Fatal(err)
	}
	if f := inetFlags(t, k, "10.0.0.1/24"); f != api.IN_IFF_TENTATIVE {
		t.Errorf("after down and up: got flags %#x, want TENTATIVE", f)
	}
	waitARP(t, rec, "10.0.0.1", "10.0.0.1")
	if n := countARP(rec.arpRequests(), "10.0.0.1", "0.0.0.0"); n != 1 {
		t.Errorf("got %d probes, want 1", n)
	}
}

// TestInet6GivenWhileDown: an inet6 address given to an interface that is
// down is usable as soon as the interface is up (NetBSD does DAD only on
// interfaces up and running); the link-local address the interface gets
// on coming up does DAD.
func TestInet6GivenWhileDown(t *testing.T) {
	k, _ := recordingKernel(t, 0)
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "fc00::1/64"}); err != nil {
		t.Fatal(err)
	}
	v, _ := k.Interface("virt0")
	for _, a := range v.Inet6 {
		if a.Addr == "fc00::1/64" && a.Flags&api.IN6_IFF_TENTATIVE != 0 {
			t.Errorf("fc00::1 right after coming up: got flags %#x, want not TENTATIVE", a.Flags)
		}
		if a.Addr != "fc00::1/64" && a.Flags&api.IN6_IFF_TENTATIVE == 0 {
			t.Errorf("%s right after coming up: got flags %#x, want TENTATIVE", a.Addr, a.Flags)
		}
	}
}

// TestLinkActivationAnnounces follows t_arp arp_link_activation: adding an
// inactive link address announces nothing; activating one sends a
// gratuitous ARP and, for IPv6, an unsolicited neighbour advertisement
// from the new address.
func TestLinkActivationAnnounces(t *testing.T) {
	k, rec := recordingKernel(t, 0)
	for _, a := range []string{"10.0.0.1/24", "fc00::1/64"} {
		if err := k.AddAddr("virt0", api.IfAddr{Addr: a}); err != nil {
			t.Fatal(err)
		}
	}
	waitUsable(t, k, "virt0")
	rec.reset()
	if err := k.AddLinkAddr("virt0", "b2:a1:00:00:00:01", false); err != nil {
		t.Fatal(err)
	}
	if got := rec.arpRequests(); len(got) != 0 {
		t.Errorf("inactive link address: got ARP %+v, want none", got)
	}
	if err := k.AddLinkAddr("virt0", "b2:a1:00:00:00:02", true); err != nil {
		t.Fatal(err)
	}
	want := arpSeen{src: "b2:a1:00:00:00:02", target: "10.0.0.1", sender: "10.0.0.1"}
	if got := rec.arpRequests(); len(got) != 1 || got[0] != want {
		t.Errorf("activation: got ARP %+v, want [%+v]", got, want)
	}
	var nas []string
	for _, na := range rec.unsolicitedNAs() {
		if na.src != "b2:a1:00:00:00:02" {
			t.Errorf("advertisement from %s, want b2:a1:00:00:00:02", na.src)
		}
		nas = append(nas, na.target)
	}
	if !containsString(nas, "fc00::1") || len(nas) != 2 {
		t.Errorf("activation: got advertisements for %v, want fc00::1 and the link-local address", nas)
	}
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
