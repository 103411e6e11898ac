package hijack

import (
	"bytes"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

func FuzzSockaddr(f *testing.F) {
	f.Add(mustHex("020000500a0100020000000000000000"))
	f.Add(mustHex("0a0001bb00000000fd00000000000000000000000000000100000000"))
	f.Add(mustHex("0100"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ap, err := decodeSockaddr(b)
		if err != nil {
			return
		}
		fam := unix.AF_INET6
		if ap.Addr().Is4() {
			fam = unix.AF_INET
		}
		back, err := decodeSockaddr(encodeSockaddr(fam, ap))
		if err != nil || back != ap {
			t.Errorf("round trip of %v: got %v, %v", ap, back, err)
		}
	})
}

func FuzzHeader(f *testing.F) {
	f.Add(mustHex("0400350a000001"))
	f.Add(mustHex("060000fe80000000000000000000000000000168656c6c6f"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		from, payload, err := decodeHeader(b)
		if err != nil {
			return
		}
		// A header with packet info (FuzzHeaderInfo) is read whole, but
		// encodeHeader writes only the address.
		hasInfo := len(b) > 0 && b[0]&0x80 != 0
		back := append(encodeHeader(from), payload...)
		if from.Addr().Is4() && !hasInfo && !bytes.Equal(back, b) {
			t.Errorf("round trip of %x: got %x", b, back)
		}
		if len(payload) > len(b) {
			t.Errorf("payload %d bytes longer than message %d", len(payload), len(b))
		}
	})
}

func FuzzMsghdr(f *testing.F) {
	f.Add(make([]byte, sizeofMsghdr), mustHex("00400000000000000500000000000000"))
	f.Fuzz(func(t *testing.T, m, v []byte) {
		if len(m) < sizeofMsghdr {
			return
		}
		decodeMsghdr(m)
		if got := len(decodeIovecs(v)); got != len(v)/sizeofIovec {
			t.Errorf("got %d iovecs from %d bytes", got, len(v))
		}
	})
}

func FuzzHeaderInfo(f *testing.F) {
	f.Add(mustHex("8600350000000000000000000000000000000100000002fd000000000000000000000000000000020a"))
	f.Add(mustHex("8400350a00000100000002" + "0a000002" + "68656c6c6f"))
	f.Add(mustHex("0400350a000001"))
	f.Fuzz(func(t *testing.T, b []byte) {
		from, info, payload, err := decodeHeaderInfo(b)
		if err != nil || from.Addr().Is4In6() {
			return // a mapped destination is sent as IPv4: not byte for byte
		}
		back := append(encodeHeaderInfo(from, info), payload...)
		if !bytes.Equal(back, b) {
			t.Errorf("round trip of %x: got %x", b, back)
		}
	})
}

func FuzzSendPktinfo(f *testing.F) {
	f.Add(encodePktinfoCmsg(unix.AF_INET6, pktInfo{ok: true, ifindex: 2, addr: netip.MustParseAddr("fd01::2")}))
	f.Add(encodePktinfoCmsg(unix.AF_INET, pktInfo{ok: true, ifindex: 1, addr: netip.MustParseAddr("10.1.0.2")}))
	f.Add(mustHex("1400000000000000290000003400000001000000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info := decodeSendPktinfo(b)
		if !info.ok {
			return
		}
		fam := unix.AF_INET6
		if info.addr.Is4() {
			fam = unix.AF_INET
		}
		if back := decodeSendPktinfo(encodePktinfoCmsg(fam, info)); back != info {
			t.Errorf("round trip of %+v: got %+v", info, back)
		}
	})
}
