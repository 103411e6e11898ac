package rump

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// TestSocketOptionTable sets and reads every option of the table on every
// kind of socket: where it exists it reads back what was set, elsewhere it
// is ENOPROTOOPT both ways.
func TestSocketOptionTable(t *testing.T) {
	k := newKernel(t, Options{})
	ss := newSet(t, k)
	type sockKind struct {
		family int
		typ    string
	}
	kinds := []sockKind{{4, api.SockStream}, {6, api.SockStream}, {4, api.SockDgram}, {6, api.SockDgram}, {6, api.SockICMP}}
	ids := map[sockKind]int{}
	for _, sk := range kinds {
		ids[sk], _ = mustSocket(t, ss, sk.family, sk.typ)
	}
	v6, tcp := func(sk sockKind) bool { return sk.family == 6 }, func(sk sockKind) bool { return sk.typ == api.SockStream }
	all := func(sockKind) bool { return true }
	for _, tt := range []struct {
		name      string
		key       optKey
		set, want int // set -1000: read-only, read want
		exists    func(sockKind) bool
	}{
		{"SO_REUSEADDR", optKey{unix.SOL_SOCKET, unix.SO_REUSEADDR}, 1, 1, all},
		{"SO_REUSEPORT", optKey{unix.SOL_SOCKET, unix.SO_REUSEPORT}, 1, 1, all},
		{"SO_KEEPALIVE", optKey{unix.SOL_SOCKET, unix.SO_KEEPALIVE}, 1, 1, all},
		{"SO_BROADCAST", optKey{unix.SOL_SOCKET, unix.SO_BROADCAST}, 1, 1, all},
		{"SO_RCVBUF", optKey{unix.SOL_SOCKET, unix.SO_RCVBUF}, 65536, 65536, all},
		{"SO_SNDBUF", optKey{unix.SOL_SOCKET, unix.SO_SNDBUF}, 65536, 65536, all},
		{"SO_ERROR", optKey{unix.SOL_SOCKET, unix.SO_ERROR}, -1000, 0, all},
		{"IP_TOS", optKey{unix.IPPROTO_IP, unix.IP_TOS}, 0x10, 0x10, all},
		{"IP_TTL", optKey{unix.IPPROTO_IP, unix.IP_TTL}, 9, 9, all},
		{"IP_MTU_DISCOVER", optKey{unix.IPPROTO_IP, unix.IP_MTU_DISCOVER}, 2, 2, all},
		{"IP_PKTINFO", optKey{unix.IPPROTO_IP, unix.IP_PKTINFO}, 1, 1, all},
		{"IP_RECVERR", optKey{unix.IPPROTO_IP, unix.IP_RECVERR}, 1, 1, all},
		{"IP_RECVTTL", optKey{unix.IPPROTO_IP, unix.IP_RECVTTL}, 3, 1, all},
		{"IP_RECVTOS", optKey{unix.IPPROTO_IP, unix.IP_RECVTOS}, 1, 1, all},
		{"IPV6_V6ONLY", optKey{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY}, 1, 1, v6},
		{"IPV6_UNICAST_HOPS", optKey{unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS}, 9, 9, v6},
		{"IPV6_TCLASS", optKey{unix.IPPROTO_IPV6, unix.IPV6_TCLASS}, 0x20, 0x20, v6},
		{"IPV6_MTU_DISCOVER", optKey{unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER}, 1, 1, v6},
		{"IPV6_RECVPKTINFO", optKey{unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO}, 1, 1, v6},
		{"IPV6_RECVERR", optKey{unix.IPPROTO_IPV6, unix.IPV6_RECVERR}, 1, 1, v6},
		{"IPV6_RECVHOPLIMIT", optKey{unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT}, 1, 1, v6},
		{"IPV6_RECVTCLASS", optKey{unix.IPPROTO_IPV6, unix.IPV6_RECVTCLASS}, 1, 1, v6},
		{"TCP_NODELAY", optKey{unix.IPPROTO_TCP, unix.TCP_NODELAY}, 1, 1, tcp},
		{"TCP_MAXSEG", optKey{unix.IPPROTO_TCP, unix.TCP_MAXSEG}, 1200, 1200, tcp},
		{"TCP_KEEPCNT", optKey{unix.IPPROTO_TCP, unix.TCP_KEEPCNT}, 4, 4, tcp},
		{"TCP_KEEPIDLE", optKey{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}, 30, 30, tcp},
		{"TCP_KEEPINTVL", optKey{unix.IPPROTO_TCP, unix.TCP_KEEPINTVL}, 10, 10, tcp},
		{"TCP_USER_TIMEOUT", optKey{unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT}, 5000, 5000, tcp},
	} {
		delete(untested, tt.key)
		for _, sk := range kinds {
			id := ids[sk]
			errSet := ss.SetOpt(id, tt.key.level, tt.key.name, tt.set)
			got, errGet := ss.GetOpt(id, tt.key.level, tt.key.name)
			switch {
			case !tt.exists(sk):
				if !isErrno(errSet, syscall.ENOPROTOOPT) || !isErrno(errGet, syscall.ENOPROTOOPT) {
					t.Errorf("%s on %d/%s: got %v, %v, want ENOPROTOOPT both", tt.name, sk.family, sk.typ, errSet, errGet)
				}
			case tt.set == -1000 && !isErrno(errSet, syscall.ENOPROTOOPT):
				t.Errorf("%s on %d/%s: set got %v, want ENOPROTOOPT (read-only)", tt.name, sk.family, sk.typ, errSet)
			case tt.set != -1000 && errSet != nil:
				t.Errorf("%s on %d/%s: set got %v, want success", tt.name, sk.family, sk.typ, errSet)
			case errGet != nil || got != tt.want:
				t.Errorf("%s on %d/%s: get got %d, %v, want %d", tt.name, sk.family, sk.typ, got, errGet, tt.want)
			}
		}
	}
	// SO_TYPE differs by socket; it is checked in TestSocketOptions.
	delete(untested, optKey{unix.SOL_SOCKET, unix.SO_TYPE})
	for k := range untested {
		t.Errorf("option %d/%d of the table is not tested", k.level, k.name)
	}
}

// untested starts as every option of the table; TestSocketOptionTable
// strikes out the ones it covers.
var untested = func() map[optKey]bool {
	m := map[optKey]bool{}
	for k := range intOpts {
		m[k] = true
	}
	return m
}()

// tcpPair connects a TCP socket of ss to a listener of ss on loopback and
// returns the connected socket's id.
func tcpPair(t *testing.T, ss *SocketSet) int {
	t.Helper()
	lid, bound := listenOn(t, ss, 4, "127.0.0.1:0")
	id, _ := mustSocket(t, ss, 4, api.SockStream)
	if _, err := ss.Connect(context.Background(), id, bound); err != nil {
		t.Fatal(err)
	}
	_, af, _, err := ss.Accept(context.Background(), lid, true)
	if err != nil {
		t.Fatal(err)
	}
	// Closing the accepted end would send a FIN and leave id in
	// CLOSE_WAIT, as soon as the splice noticed: keep it for the test.
	t.Cleanup(func() { af.Close() })
	return id
}

func TestSocketTCPInfo(t *testing.T) {
	k := newKernel(t, Options{})
	ss := newSet(t, k)
	id := tcpPair(t, ss)
	b, err := ss.GetOptBytes(id, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(b), unix.SizeofTCPInfo; got != want {
		t.Fatalf("TCP_INFO: got %d bytes, want %d", got, want)
	}
	le := binary.LittleEndian
	for _, tt := range []struct {
		name string
		got  uint32
		ok   func(uint32) bool
		want string
	}{
		{"tcpi_state", uint32(b[0]), func(v uint32) bool { return v == 1 }, "1 (ESTABLISHED)"},
		{"tcpi_ca_state", uint32(b[1]), func(v uint32) bool { return v == 0 }, "0 (Open)"},
		{"tcpi_rto", le.Uint32(b[8:]), func(v uint32) bool { return v > 0 }, "> 0"},
		{"tcpi_snd_mss", le.Uint32(b[16:]), func(v uint32) bool { return v > 0 }, "> 0"},
		{"tcpi_snd_cwnd", le.Uint32(b[80:]), func(v uint32) bool { return v > 0 }, "> 0"},
		{"tcpi_reordering", le.Uint32(b[88:]), func(v uint32) bool { return v == 3 }, "3"},
		{"tcpi_total_retrans", le.Uint32(b[100:]), func(v uint32) bool { return v == 0 }, "0"},
		{"tcpi_segs_out", le.Uint32(b[136:]), func(v uint32) bool { return v > 0 }, "> 0"},
	} {
		if !tt.ok(tt.got) {
			t.Errorf("%s: got %d, want %s", tt.name, tt.got, tt.want)
		}
	}
	udp, _ := mustSocket(t, ss, 4, api.SockDgram)
	if _, err := ss.GetOptBytes(udp, unix.IPPROTO_TCP, unix.TCP_INFO); !isErrno(err, syscall.ENOPROTOOPT) {
		t.Errorf("TCP_INFO on UDP: got %v, want ENOPROTOOPT", err)
	}
	if err := ss.SetOptBytes(id, unix.IPPROTO_TCP, unix.TCP_INFO, make([]byte, 8)); !isErrno(err, syscall.ENOPROTOOPT) {
		t.Errorf("set TCP_INFO: got %v, want ENOPROTOOPT", err)
	}
}

func TestSocketTCPCongestion(t *testing.T) {
	k := newKernel(t, Options{})
	ss := newSet(t, k)
	id, _ := mustSocket(t, ss, 6, api.SockStream)
	name := func() string {
		b, err := ss.GetOptBytes(id, unix.IPPROTO_TCP, unix.TCP_CONGESTION)
		if err != nil || len(b) != 16 {
			t.Fatalf("get TCP_CONGESTION: got %q, %v, want 16 bytes", b, err)
		}
		return strings.TrimRight(string(b), "\x00")
	}
	if got := name(); got != "reno" && got != "cubic" {
		t.Errorf("default: got %q, want reno or cubic", got)
	}
	for _, tt := range []struct {
		set  string
		want error
		then string
	}{
		{"cubic", nil, "cubic"},
		{"reno\x00junk", nil, "reno"},
		{"bbr", syscall.ENOENT, "reno"},
		{"", syscall.ENOENT, "reno"},
	} {
		err := ss.SetOptBytes(id, unix.IPPROTO_TCP, unix.TCP_CONGESTION, []byte(tt.set))
		if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("set %q: got %v, want %v", tt.set, err, tt.want)
		}
		if got := name(); got != tt.then {
			t.Errorf("after set %q: got %q, want %q", tt.set, got, tt.then)
		}
	}
}

// TestSocketPacketInfo checks the packet info of unconnected datagrams:
// with IPV6_RECVPKTINFO the header says the interface and destination;
// a header with packet info from the program chooses the source.
func TestSocketPacketInfo(t *testing.T) {
	ks := busKernels(t, 2)
	if err := ks[1].AddAddr("shmif0", api.IfAddr{Addr: "fd00::22/64"}); err != nil {
		t.Fatal(err)
	}
	waitUsable(t, ks[1], "shmif0")
	sa, sb := newSet(t, ks[0]), newSet(t, ks[1])
	bid, bf := mustSocket(t, sb, 6, api.SockDgram)
	if _, err := sb.Bind(bid, netip.MustParseAddrPort("[::]:7000")); err != nil {
		t.Fatal(err)
	}
	if err := sb.SetOpt(bid, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1); err != nil {
		t.Fatal(err)
	}
	aid, af := mustSocket(t, sa, 6, api.SockDgram)
	b, a := fileConn(t, bf), fileConn(t, af)
	fd00 := func(last byte) []byte { return netip.AddrFrom16([16]byte{0: 0xfd, 15: last}).AsSlice() }
	out := append(append([]byte{6, 0x1b, 0x58}, fd00(2)...), "hello"...)
	a.Write(out)
	buf := make([]byte, 200)
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := b.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	local, _ := sa.SockName(aid)
	shmif, _ := ks[1].Interface("shmif0")
	want := append([]byte{6 | dgramInfoFlag, 0, 0}, fd00(1)...)
	binary.BigEndian.PutUint16(want[1:3], local.Port())
	want = binary.BigEndian.AppendUint32(want, uint32(shmif.Index))
	want = append(append(want, fd00(2)...), "hello"...)
	if !bytes.Equal(buf[:n], want) {
		t.Errorf("b read: got %x, want %x", buf[:n], want)
	}
	// b answers from fd00::22, its second address, through the packet info.
	for _, tt := range []struct {
		src  []byte
		want netip.Addr
	}{
		{fd00(0x22), netip.MustParseAddr("fd00::22")},
		{make([]byte, 16), netip.MustParseAddr("fd00::2")}, // unspecified: the stack's choice
	} {
		reply := append([]byte{6 | dgramInfoFlag}, buf[1:19]...)
		reply = binary.BigEndian.AppendUint32(reply, 0)
		reply = append(append(reply, tt.src...), "olleh"...)
		b.Write(reply)
		a.SetReadDeadline(time.Now().Add(10 * time.Second))
		m, err := a.Read(buf[100:])
		if err != nil {
			t.Fatal(err)
		}
		got := buf[100 : 100+m]
		if src := netip.AddrFrom16([16]byte(got[3:19])); got[0] != 6 || src != tt.want || string(got[19:]) != "olleh" {
			t.Errorf("a read: got %x, want from %v", got, tt.want)
		}
	}
}
