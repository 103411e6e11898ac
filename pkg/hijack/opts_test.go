package hijack

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestOptionKinds(t *testing.T) {
	for _, tt := range []struct {
		name       string
		level, opt int
		bytes      bool
		max        int
		oneByteOK  bool
	}{
		{"IP_ADD_MEMBERSHIP", unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, true, 12, false},
		{"IP_DROP_MEMBERSHIP", unix.IPPROTO_IP, unix.IP_DROP_MEMBERSHIP, true, 12, false},
		{"IP_MULTICAST_IF", unix.IPPROTO_IP, unix.IP_MULTICAST_IF, true, 12, false},
		{"IPV6_JOIN_GROUP", unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, true, 20, false},
		{"IPV6_LEAVE_GROUP", unix.IPPROTO_IPV6, unix.IPV6_LEAVE_GROUP, true, 20, false},
		{"TCP_CONGESTION", unix.IPPROTO_TCP, unix.TCP_CONGESTION, true, caNameMax - 1, false},
		{"TCP_INFO", unix.IPPROTO_TCP, unix.TCP_INFO, true, 0, false},
		{"IP_MULTICAST_TTL", unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, false, 0, true},
		{"IP_MULTICAST_LOOP", unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, false, 0, true},
		{"IPV6_MULTICAST_IF", unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, false, 0, false},
		{"IPV6_MULTICAST_HOPS", unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, false, 0, false},
		{"IP_TTL", unix.IPPROTO_IP, unix.IP_TTL, false, 0, false},
	} {
		if got := bytesOption(tt.level, tt.opt); got != tt.bytes {
			t.Errorf("%s: bytesOption got %v, want %v", tt.name, got, tt.bytes)
		}
		if got := bytesOptionMax(tt.level, tt.opt); got != tt.max {
			t.Errorf("%s: bytesOptionMax got %d, want %d", tt.name, got, tt.max)
		}
		if got := byteOption(tt.level, tt.opt); got != tt.oneByteOK {
			t.Errorf("%s: byteOption got %v, want %v", tt.name, got, tt.oneByteOK)
		}
	}
}
