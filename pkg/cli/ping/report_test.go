package ping

import (
	"bytes"
	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// Event builders for the runs below.
func start(src, dst string) api.PingEvent {
	return api.PingEvent{Type: api.PingStart, Src: src, Dst: dst}
}

func sent(seq int) api.PingEvent { return api.PingEvent{Type: api.PingSent, Seq: seq} }

func sentErr(seq int, e syscall.Errno) api.PingEvent {
	return api.PingEvent{Type: api.PingSent, Seq: seq, Error: api.NewErrorReply(e, "send")}
}

func reply(seq int, from string, bytes, ttl int, rtt float64) api.PingEvent {
	return api.PingEvent{Type: api.PingReply, Seq: seq, From: from, Bytes: bytes, TTL: ttl, RTT: rtt}
}

// icmpErr is an ICMP error of type and code from a router, quoting the
// run's echo request seq (identifier 7) from 10.0.0.2 to 10.9.0.1.
func icmpErr(typ, code byte, seq int) api.PingEvent {
	m := []byte{typ, code, 0, 0, 0, 0, 0, 0,
		0x45, 0, 0, 84, 0, 1, 0, 0, 1, 1, 0, 0, 10, 0, 0, 2, 10, 9, 0, 1,
		8, 0, 0, 0, 0, 7, 0, byte(seq)}
	return api.PingEvent{Type: api.PingICMP, From: "10.0.0.1", Bytes: len(m), ICMP: m, Mine: true, Seq: seq}
}

// rrReply is a reply whose record route option holds route.
func rrReply(seq int, route ...string) api.PingEvent {
	o := make([]byte, 40)
	o[0], o[1], o[2] = 7, 39, byte(4+4*len(route))
	for i, a := range route {
		b := netip.MustParseAddr(a).As4()
		copy(o[3+4*i:], b[:])
	}
	ev := reply(seq, route[0], 64, 64, 0.25)
	ev.Options = o
	return ev
}

func TestReportGolden(t *testing.T) {
	tests := []struct {
		name   string
		family Family
		args   string // options; the host is the target
		host   string
		addr   string
		events []api.PingEvent
		status int
	}{
		{"ping", Inet, "-n", "10.0.0.1", "10.0.0.1", []api.PingEvent{
			start("10.0.0.2", "10.0.0.1"),
			sent(0), reply(0, "10.0.0.1", 64, 64, 0.211),
			sent(1), reply(1, "10.0.0.1", 64, 64, 0.105),
			sent(2), reply(2, "10.0.0.1", 64, 64, 0.1234),
		}, 0},
		{"ping-named", Inet, "-c 2", "localhost", "127.0.0.1", []api.PingEvent{
			start("127.0.0.1", "127.0.0.1"),
			sent(0), reply(0, "127.0.0.1", 64, 64, 0.05),
			sent(1), reply(1, "127.0.0.1", 64, 64, 0.07),
		}, 0},
		{"ping-loss-dup", Inet, "-n -s 100", "10.0.0.1", "10.0.0.1", []api.PingEvent{
			start("10.0.0.2", "10.0.0.1"),
			sent(0), reply(0, "10.0.0.1", 108, 255, 1.5), reply(0, "10.0.0.1", 108, 255, 1.75),
			sent(1),
			sent(2), reply(2, "10.0.0.1", 108, 255, 2),
			sent(3),
		}, 0},
		{"ping-no-timing", Inet, "-n -s 4", "10.0.0.1", "10.0.0.1", []api.PingEvent{
			start("10.0.0.2", "10.0.0.1"),
			sent(0), reply(0, "10.0.0.1", 16, 64, 0.3),
		}, 0},
		{"ping-quiet", Inet, "-nq", "10.0.0.1", "10.0.0.1", []api.PingEvent{
			start("10.0.0.2", "10.0.0.1"),
			sent(0), reply(0, "10.0.0.1", 64, 64, 0.2),
			sent(1),
		}, 0},
		{"ping-no-route", Inet, "-n", "192.0.2.1", "192.0.2.1", []api.PingEvent{
			{Type: api.PingStart, Dst: "192.0.2.1", Error: api.NewErrorReply(syscall.EHOSTUNREACH, "route")},
			sentErr(0, syscall.EHOSTUNREACH), sentErr(1, syscall.EHOSTUNREACH),
		}, 2},
		{"ping-nothing-sent", Inet, "-n", "10.0.0.1", "10.0.0.1", []api.PingEvent{
			start("10.0.0.2", "10.0.0.1"),
		}, 2},
		{"ping6", Inet6, "", "fc00::1", "fc00::1", []api.PingEvent{
			start("fc00::2", "fc00::1"),
			sent(0), reply(0, "fc00::1", 16, 64, 0.25),
			sent(1), reply(1, "fc00::1", 16, 64, 0.35),
			sent(2), reply(2, "fc00::1", 16, 64, 0.3), reply(2, "fc00::1", 16, 64, 0.4),
		}, 0},
		{"ping6-link-local", Inet6, "-s 56", "fe80::1%virt0", "fe80::1%virt0", []api.PingEvent{
			start("fe80::b00a:5cff:fe0b:e00%virt0", "fe80::1%virt0"),
			sent(0), reply(0, "fe80::1%virt0", 64, 255, 0.5),
		}, 0},
		{"ping-icmp-errors", Inet, "-n", "10.9.0.1", "10.9.0.1", []api.PingEvent{
			start("10.0.0.2", "10.9.0.1"),
			sent(0), icmpErr(11, 0, 0),
			sent(1), icmpErr(3, 0, 1),
			sent(2), icmpErr(3, 1, 2),
		}, 2},
		{"ping-icmp-semiquiet", Inet, "-n -Q", "10.9.0.1", "10.9.0.1", []api.PingEvent{
			start("10.0.0.2", "10.9.0.1"),
			sent(0), icmpErr(11, 0, 0),
		}, 2},
		{"ping-icmp-verbose", Inet, "-n -v", "10.9.0.1", "10.9.0.1", []api.PingEvent{
			start("10.0.0.2", "10.9.0.1"),
			sent(0), icmpErr(11, 0, 0),
			{Type: api.PingICMP, From: "10.0.0.1", Bytes: 8, ICMP: []byte{8, 0, 0, 0, 0, 3, 0, 9}},
		}, 2},
		{"ping6-icmp-verbose", Inet6, "-v", "fd09::1", "fd09::1", []api.PingEvent{
			start("fc00::2", "fd09::1"),
			sent(0), {Type: api.PingICMP, From: "fc00::1", Bytes: 56, ICMP: []byte{3, 0, 0, 0, 0, 0, 0, 0}, Mine: true},
			{Type: api.PingICMP, From: "fc00::1", Bytes: 32, ICMP: []byte{135, 0, 0, 0, 0, 0, 0, 0}},
		}, 2},
		{"ping6-icmp-quiet-without-v", Inet6, "", "fd09::1", "fd09::1", []api.PingEvent{
			start("fc00::2", "fd09::1"),
			sent(0), {Type: api.PingICMP, From: "fc00::1", Bytes: 56, ICMP: []byte{3, 0, 0, 0, 0, 0, 0, 0}, Mine: true},
		}, 2},
		{"ping-record-route", Inet, "-n -R", "10.0.0.2", "10.0.0.2", []api.PingEvent{
			start("10.0.0.1", "10.0.0.2"),
			sent(0), rrReply(0, "10.0.0.2", "10.0.0.1"),
			sent(1), rrReply(1, "10.0.0.2", "10.0.0.1"),
			sent(2), rrReply(2, "10.0.0.2"),
			sent(3), reply(3, "10.0.0.2", 64, 64, 0.2),
		}, 0},
		{"ping6-node-info", Inet6, "-w", "fc00::1", "fc00::1", []api.PingEvent{
			start("fc00::2", "fc00::1"),
			sent(0), {Type: api.PingReply, Seq: 0, From: "fc00::1", Bytes: 26,
				ICMP: []byte{140, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 30, 4, 'n', 'o', 'd', 'e', 0}},
			sent(1), {Type: api.PingReply, Seq: 1, From: "fc00::1", Bytes: 37,
				ICMP: []byte{140, 0, 0, 0, 0, 2, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 0, 0, 0, 30, 4, 'n', 'o', 'd', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 1, 'x', 0, 0}},
			sent(2), {Type: api.PingReply, Seq: 2, From: "fc00::1", Bytes: 16,
				ICMP: []byte{140, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6}},
		}, 0},
		{"ping6-send-errors", Inet6, "", "fc00::1", "fc00::1", []api.PingEvent{
			start("fc00::2", "fc00::1"),
			sentErr(0, syscall.EHOSTUNREACH), sent(1),
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parse(tt.family, append(strings.Fields(tt.args), tt.host))
			if err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			tool := &cli.Tool{Name: map[Family]string{Inet: "rping", Inet6: "rping6"}[tt.family], Stdout: &out, Stderr: &errb}
			r := newReport(tool, o, target{addr: netip.MustParseAddr(tt.addr), hostname: tt.host})
			for _, ev := range tt.events {
				switch ev.Type {
				case api.PingStart:
					r.start(ev)
				case api.PingSent:
					r.sent(ev)
				case api.PingReply:
					r.reply(ev)
				case api.PingICMP:
					r.icmp(ev)
				}
			}
			if st := r.finish(); st != tt.status {
				t.Errorf("status: got %d, want %d", st, tt.status)
			}
			golden.Check(t, tt.name, append(append(out.Bytes(), "--- stderr\n"...), errb.Bytes()...))
		})
	}
}
