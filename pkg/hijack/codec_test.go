package hijack

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestSockaddr(t *testing.T) {
	tests := []struct {
		name   string
		family int
		ap     netip.AddrPort
		raw    string
	}{
		{"inet", unix.AF_INET, netip.MustParseAddrPort("10.1.0.2:80"), "020000500a0100020000000000000000"},
		{"inet any", unix.AF_INET, netip.MustParseAddrPort("0.0.0.0:0"), "02000000000000000000000000000000"},
		{"inet6", unix.AF_INET6, netip.MustParseAddrPort("[fd00::1]:443"), "0a0001bb00000000fd000000000000000000000000000001" + "00000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := mustHex(tt.raw)
			if got := encodeSockaddr(tt.family, tt.ap); !bytes.Equal(got, raw) {
				t.Errorf("encode: got %x, want %x", got, raw)
			}
			got, err := decodeSockaddr(raw)
			if err != nil || got != tt.ap {
				t.Errorf("decode: got %v, %v, want %v", got, err, tt.ap)
			}
		})
	}
}

func TestSockaddrErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want error
	}{
		{"empty", "", unix.EINVAL},
		{"short inet", "0200005000", unix.EINVAL},
		{"short inet6", "0a0001bb", unix.EINVAL},
		{"unix", "0100", unix.EAFNOSUPPORT},
		{"unspec", "00000000000000000000000000000000", unix.EAFNOSUPPORT},
	}
	for _, tt := range tests {
		if _, err := decodeSockaddr(mustHex(tt.raw)); err != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestEncodeMappedOnInet(t *testing.T) {
	got := encodeSockaddr(unix.AF_INET, netip.MustParseAddrPort("[::ffff:127.0.0.1]:7"))
	if want := mustHex("020000077f0000010000000000000000"); !bytes.Equal(got, want) {
		t.Errorf("got %x, want %x", got, want)
	}
}

func TestHeader(t *testing.T) {
	tests := []struct {
		ap  netip.AddrPort
		raw string
	}{
		{netip.MustParseAddrPort("10.0.0.1:53"), "0400350a000001"},
		{netip.MustParseAddrPort("[::ffff:10.0.0.1]:53"), "0400350a000001"},
		{netip.MustParseAddrPort("[fe80::1]:0"), "060000fe800000000000000000000000000001"},
	}
	for _, tt := range tests {
		raw := mustHex(tt.raw)
		if got := encodeHeader(tt.ap); !bytes.Equal(got, raw) {
			t.Errorf("encode %v: got %x, want %x", tt.ap, got, raw)
		}
		from, payload, err := decodeHeader(append(raw, 'x'))
		if err != nil || from.Addr() != tt.ap.Addr().Unmap() || from.Port() != tt.ap.Port() || string(payload) != "x" {
			t.Errorf("decode %x: got %v %q %v, want %v \"x\"", raw, from, payload, err, tt.ap)
		}
	}
	for _, bad := range []string{"", "04", "040035", "0400350a00", "06003500", "0500350a000001"} {
		if _, _, err := decodeHeader(mustHex(bad)); err != unix.EPROTO {
			t.Errorf("decode %q: got %v, want EPROTO", bad, err)
		}
	}
}

func TestMsghdr(t *testing.T) {
	raw := mustHex("0010000000000000" + "10000000" + "00000000" + "0020000000000000" + "0200000000000000" +
		"0030000000000000" + "2000000000000000" + "00000000" + "00000000")
	got := decodeMsghdr(raw)
	want := msghdr{Name: 0x1000, NameLen: 16, Iov: 0x2000, IovLen: 2, Control: 0x3000, ControlLen: 32}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	iov := decodeIovecs(mustHex("00400000000000000500000000000000" + "00500000000000000700000000000000"))
	if len(iov) != 2 || iov[0] != (iovec{0x4000, 5}) || iov[1] != (iovec{0x5000, 7}) {
		t.Errorf("got %+v, want [{0x4000 5} {0x5000 7}]", iov)
	}
	if got, want := iovSize(iov), 12; got != want {
		t.Errorf("iovSize: got %d, want %d", got, want)
	}
}

func TestDescribe(t *testing.T) {
	n := &notif{Pid: 12, Nr: unix.SYS_CONNECT, Args: [6]uint64{3, 0x1000, 16}}
	tests := []struct {
		r    reply
		want string
	}{
		{fail(unix.ECONNREFUSED), "pid 12: connect(3, 0x1000, 0x10) = -1 ECONNREFUSED"},
		{ret(0), "pid 12: connect(3, 0x1000, 0x10) = 0"},
		{cont(), "pid 12: connect(3, 0x1000, 0x10): the host's"},
	}
	for _, tt := range tests {
		if got := describe(n, tt.r); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestHeaderInfo(t *testing.T) {
	for _, tt := range []struct {
		name string
		to   netip.AddrPort
		info pktInfo
		want string // hex
	}{
		{"IPv4 bare", netip.MustParseAddrPort("10.1.0.2:53"), pktInfo{}, "0400350a010002"},
		{"IPv4 info", netip.MustParseAddrPort("10.1.0.2:53"), pktInfo{ok: true, ifindex: 2, addr: netip.MustParseAddr("10.1.0.1")},
			"8400350a010002" + "00000002" + "0a010001"},
		{"IPv6 info", netip.MustParseAddrPort("[fd01::1]:53"), pktInfo{ok: true, ifindex: 3, addr: netip.MustParseAddr("fd01::2")},
			"860035fd010000000000000000000000000001" + "00000003" + "fd010000000000000000000000000002"},
		{"IPv6 info, source unset", netip.MustParseAddrPort("[fd01::1]:53"), pktInfo{ok: true, ifindex: 3},
			"860035fd010000000000000000000000000001" + "00000003" + "00000000000000000000000000000000"},
		{"mapped destination, IPv4 info", netip.MustParseAddrPort("[::ffff:10.1.0.2]:53"), pktInfo{ok: true, addr: netip.MustParseAddr("::ffff:10.1.0.1")},
			"8400350a010002" + "00000000" + "0a010001"},
	} {
		got := hex.EncodeToString(encodeHeaderInfo(tt.to, tt.info))
		if got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestPktinfoCmsg(t *testing.T) {
	info6 := pktInfo{ok: true, ifindex: 2, addr: netip.MustParseAddr("fd01::2")}
	info4 := pktInfo{ok: true, ifindex: 2, addr: netip.MustParseAddr("10.1.0.2")}
	for _, tt := range []struct {
		name   string
		family int
		info   pktInfo
		want   string // hex
	}{
		{"IPV6_PKTINFO", unix.AF_INET6, info6,
			"2400000000000000" + "29000000" + "32000000" + "fd010000000000000000000000000002" + "02000000" + "00000000"},
		{"IP_PKTINFO", unix.AF_INET, info4,
			"1c00000000000000" + "00000000" + "08000000" + "02000000" + "0a010002" + "0a010002" + "00000000"},
	} {
		b := encodePktinfoCmsg(tt.family, tt.info)
		if got := hex.EncodeToString(b); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
		if got := decodeSendPktinfo(b); got != tt.info {
			t.Errorf("%s: decoded %+v, want %+v", tt.name, got, tt.info)
		}
	}
	// Other messages before it are skipped; a short or broken one ends
	// the search.
	other := mustHex("1400000000000000" + "29000000" + "34000000" + "40000000" + "00000000")
	if got := decodeSendPktinfo(append(other, encodePktinfoCmsg(unix.AF_INET6, info6)...)); got != info6 {
		t.Errorf("after IPV6_HOPLIMIT: got %+v, want %+v", got, info6)
	}
	if got := decodeSendPktinfo(mustHex("ff00000000000000290000003200000000")); got.ok {
		t.Errorf("overlong cmsg_len: got %+v, want none", got)
	}
}
