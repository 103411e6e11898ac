package rump

import (
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// TestGroupProtocolVersions joins and leaves an IPv4 and an IPv6 group
// and checks the kernel speaks IGMPv2 and MLDv1 for them, as NetBSD,
// never IGMPv3 or MLDv2.
func TestGroupProtocolVersions(t *testing.T) {
	ks := busKernels(t, 2)
	k := ks[1]
	ss := newSet(t, k)
	u4, _ := mustSocket(t, ss, 4, api.SockDgram)
	u6, _ := mustSocket(t, ss, 6, api.SockDgram)
	joins := []struct {
		id, level, join, leave int
		b                      []byte
	}{
		{u4, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, unix.IP_DROP_MEMBERSHIP, ipMreq("239.1.2.3", "0.0.0.0", -1)},
		{u6, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, unix.IPV6_LEAVE_GROUP, ipv6Mreq("ff15::1234", 0)},
	}
	for _, j := range joins {
		if err := ss.SetOptBytes(j.id, j.level, j.join, j.b); err != nil {
			t.Fatal(err)
		}
	}
	for _, j := range joins {
		if err := ss.SetOptBytes(j.id, j.level, j.leave, j.b); err != nil {
			t.Fatal(err)
		}
	}
	st := k.stack.Stats()
	igmp, mld := st.IGMP.PacketsSent, st.ICMP.V6.PacketsSent
	counts := func() map[string]uint64 {
		return map[string]uint64{
			"IGMPv2 report": igmp.V2MembershipReport.Value(),
			"IGMP leave":    igmp.LeaveGroup.Value(),
			"MLDv1 report":  mld.MulticastListenerReport.Value(),
			"MLD done":      mld.MulticastListenerDone.Value(),
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, sent := counts(), true
		for _, n := range c {
			sent = sent && n > 0
		}
		if sent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sent: got %v, want each above 0", c)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, tt := range []struct {
		name string
		got  uint64
	}{
		{"IGMPv3 reports", igmp.V3MembershipReport.Value()},
		{"IGMPv1 reports", igmp.V1MembershipReport.Value()},
		{"MLDv2 reports", mld.MulticastListenerReportV2.Value()},
	} {
		if tt.got != 0 {
			t.Errorf("%s sent: got %d, want 0", tt.name, tt.got)
		}
	}
}
