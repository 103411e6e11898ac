package traceroute

import (
	"bytes"
	"testing"
)

type probeResult struct {
	ttl                      int
	from                     string
	rtt                      float64
	typ, code, mtu, replyTTL int
}

func TestLines(t *testing.T) {
	named := func(a string) string {
		if a == "10.0.1.1" {
			return "b.example"
		}
		return a
	}
	tests := []struct {
		name    string
		family  Family
		numeric bool
		probes  []probeResult
		want    string
	}{
		{"two hops", Inet, false, []probeResult{
			{1, "10.0.1.1", 0.412, 11, 0, 0, 64}, {1, "10.0.1.1", 0.301, 11, 0, 0, 64}, {1, "10.0.1.1", 0.29, 11, 0, 0, 64},
			{2, "10.0.2.2", 1, 3, 3, 0, 63}, {2, "10.0.2.2", 1, 3, 3, 0, 63}, {2, "10.0.2.2", 1, 3, 3, 0, 63}},
			" 1  b.example (10.0.1.1)  0.412 ms  0.301 ms  0.290 ms\n 2  10.0.2.2 (10.0.2.2)  1.000 ms  1.000 ms  1.000 ms\n"},
		{"numeric with timeouts", Inet, true, []probeResult{
			{1, "10.0.1.1", 0.5, 11, 0, 0, 64}, {1, "", 0, 0, 0, 0, 0}, {2, "", 0, 0, 0, 0, 0}},
			" 1  10.0.1.1  0.500 ms *\n 2  *\n"},
		{"refusals", Inet, true, []probeResult{
			{3, "10.0.1.1", 2, 3, 1, 0, 64}, {3, "10.0.1.1", 2, 3, 0, 0, 64}, {3, "10.0.1.1", 2, 3, 2, 0, 64},
			{3, "10.0.1.1", 2, 3, 13, 0, 64}, {3, "10.0.1.1", 2, 3, 4, 1400, 64}, {3, "10.0.1.1", 2, 3, 9, 0, 64}},
			" 3  10.0.1.1  2.000 ms !H  2.000 ms !N  2.000 ms !P  2.000 ms !X  2.000 ms !F-1400  2.000 ms !<9>\n"},
		{"two routers answer", Inet, true, []probeResult{
			{1, "10.0.1.1", 1, 11, 0, 0, 64}, {1, "10.0.1.9", 1, 11, 0, 0, 64}},
			" 1  10.0.1.1  1.000 ms\n    10.0.1.9  1.000 ms\n"},
		{"last hop ttl 1", Inet, true, []probeResult{{1, "10.0.1.1", 1, 0, 0, 0, 1}},
			" 1  10.0.1.1  1.000 ms !\n"},
		{"inet6 names alone", Inet6, false, []probeResult{
			{1, "fc01::1", 1, 3, 0, 0, 64}, {1, "fc01::2", 1, 1, 4, 0, 63}, {2, "fc01::1", 1, 1, 0, 0, 64}, {2, "fc01::1", 1, 1, 1, 0, 64}},
			" 1  fc01::1  1.000 ms fc01::2  1.000 ms\n 2  fc01::1  1.000 ms !N  1.000 ms !P\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			p := &printer{w: &b, family: tt.family, numeric: tt.numeric, name: named}
			for _, r := range tt.probes {
				p.probe(r.ttl, r.from, r.rtt, r.typ, r.code, r.mtu, r.replyTTL)
			}
			p.close()
			if got := b.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	tests := []struct {
		o                   options
		host, dst, src, out string
		max                 int
	}{
		{options{family: Inet}, "10.0.2.2", "10.0.2.2", "10.0.1.2", "traceroute to 10.0.2.2 (10.0.2.2), 64 hops max, 40 byte packets\n", 64},
		{options{family: Inet, src: "10.0.1.2"}, "c", "10.0.2.2", "10.0.1.2", "traceroute to c (10.0.2.2) from 10.0.1.2, 30 hops max, 40 byte packets\n", 30},
		{options{family: Inet6}, "fc02::2", "fc02::2", "fc01::2", "traceroute6 to fc02::2 (fc02::2) from fc01::2, 64 hops max, 20 byte packets\n", 64},
	}
	for _, tt := range tests {
		if got := header(tt.o, tt.host, tt.dst, tt.src, tt.max); got != tt.out {
			t.Errorf("header %+v: got %q, want %q", tt.o, got, tt.out)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		family Family
		args   []string
		want   options
		err    string
	}{
		{Inet, []string{"-n", "-m", "5", "-q1", "-w", "2", "-f", "2", "-p", "0x100", "-I", "-s", "10.0.1.2", "h"},
			options{family: Inet, host: "h", numeric: true, maxTTL: 5, probes: 1, wait: 2, firstTTL: 2, port: 256, icmp: true, src: "10.0.1.2"}, ""},
		{Inet6, []string{"-l", "h"}, options{family: Inet6, host: "h", both: true}, ""},
		{Inet, []string{"-l", "h"}, options{}, "unknown option -- l"},
		{Inet, []string{"-w", "1", "h"}, options{}, "wait time must be > 1"},
		{Inet, []string{"-m", "256", "h"}, options{}, "max ttl must be <= 255"},
		{Inet, []string{"-q", "x", "h"}, options{}, `"x" bad value for nprobes`},
		{Inet, []string{"-f", "9", "-m", "3", "h"}, options{}, "first ttl (9) may not be greater than max ttl (3)"},
		{Inet, nil, options{}, ""},
	}
	for _, tt := range tests {
		got, err := parse(tt.family, tt.args)
		if tt.err != "" || len(tt.args) == 0 {
			if err == nil || err.Error() != tt.err {
				t.Errorf("parse %q: got error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parse %q: got %+v, %v, want %+v", tt.args, got, err, tt.want)
		}
	}
}
