package rump

import "testing"

func TestBadTCPHeader(t *testing.T) {
	ip4 := func(proto byte, total int, frag uint16, l4 []byte) []byte {
		b := make([]byte, 20, 20+len(l4))
		b[0], b[9] = 0x45, proto
		b[2], b[3] = byte(total>>8), byte(total)
		b[6], b[7] = byte(frag>>8), byte(frag)
		return append(b, l4...)
	}
	ip6 := func(next byte, plen int, l4 []byte) []byte {
		b := make([]byte, 40, 40+len(l4))
		b[0], b[6] = 0x60, next
		b[4], b[5] = byte(plen>>8), byte(plen)
		return append(b, l4...)
	}
	tcp := func(doff byte, n int) []byte {
		b := make([]byte, n)
		if n > 12 {
			b[12] = doff << 4
		}
		return b
	}
	tests := []struct {
		name string
		ip   []byte
		v6   bool
		want bool
	}{
		{"ipv4 tcp, 20-byte header", ip4(6, 45, 0, tcp(5, 25)), false, false},
		{"ipv4 tcp, options to the end", ip4(6, 60, 0, tcp(10, 40)), false, false},
		{"ipv4 tcp, offset past the end", ip4(6, 45, 0, tcp(13, 25)), false, true},
		{"ipv4 tcp, offset under 20", ip4(6, 45, 0, tcp(4, 25)), false, true},
		{"ipv4 tcp, only the head held", ip4(6, 9000, 0, tcp(15, 20)), false, false},
		{"ipv4 tcp, later fragment", ip4(6, 45, 3, tcp(13, 25)), false, false},
		{"ipv4 tcp, first fragment, offset past its end", ip4(6, 45, 0x2000, tcp(13, 25)), false, true},
		{"ipv4 tcp, too short for a header", ip4(6, 30, 0, tcp(13, 10)), false, false},
		{"ipv4 udp", ip4(17, 45, 0, tcp(13, 25)), false, false},
		{"ipv6 tcp", ip6(6, 25, tcp(5, 25)), true, false},
		{"ipv6 tcp, offset past the end", ip6(6, 25, tcp(13, 25)), true, true},
		{"ipv6 hop-by-hop first", ip6(0, 25, tcp(13, 25)), true, false},
		{"truncated", []byte{0x45, 0, 0}, false, false},
	}
	for _, tt := range tests {
		if got := badTCPHeader(tt.ip, tt.v6); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
