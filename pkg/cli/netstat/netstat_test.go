package netstat

import (
	"bytes"
	"errors"
	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// fake is a kernel with fixed contents.
type fake struct{}

func (fake) Interfaces() ([]api.Interface, error) {
	return []api.Interface{
		{Name: "lo0", Index: 1, Flags: 0x8049, MTU: 33624,
			Stats: api.Stats{IPackets: 12, IBytes: 1008, OPackets: 12, OBytes: 1008},
			Inet6: []api.IfAddr{{Addr: "::1/128"}, {Addr: "fe80::1/64"}},
			Inet:  []api.IfAddr{{Addr: "127.0.0.1/8"}}},
		{Name: "virt0", Index: 2, Flags: 0x8843, MTU: 1500, Address: "b2:0a:5c:0b:0e:00",
			Stats: api.Stats{IPackets: 1234567, IBytes: 987654321, IErrors: 3, IQDrops: 2, OPackets: 76543, OBytes: 5432109, OErrors: 1},
			Inet6: []api.IfAddr{{Addr: "fe80::b00a:5cff:fe0b:e00/64"}, {Addr: "fc00:1234:5678::2/64"}},
			Inet:  []api.IfAddr{{Addr: "10.0.0.2/24"}, {Addr: "192.168.100.200/25"}}},
		{Name: "virt1", Index: 3, Flags: 0x8802, MTU: 1500, Address: "b2:0a:11:0b:0e:01"},
	}, nil
}

func (fake) Routes(family int) ([]api.Route, error) {
	if family == 6 {
		return []api.Route{{Dest: "fc00:1234:5678::/64", Interface: "virt0", Index: 2, Flags: api.RTF_UP | api.RTF_CONNECTED}}, nil
	}
	return []api.Route{
		{Dest: "0.0.0.0/0", Gateway: "10.0.0.1", Interface: "virt0", Index: 2, Flags: api.RTF_UP | api.RTF_GATEWAY | api.RTF_STATIC},
		{Dest: "10.0.0.0/24", Interface: "virt0", Index: 2, Flags: api.RTF_UP | api.RTF_CONNECTED},
	}, nil
}

func (fake) Neighbors(family int) ([]api.Neighbor, error) {
	if family == 6 {
		return nil, nil
	}
	return []api.Neighbor{{Addr: "10.0.0.1", LinkAddr: "b2:0a:11:0b:0e:01", Interface: "virt0", Index: 2, State: api.NeighborReachable}}, nil
}

func (fake) Sockets() ([]api.Socket, error) {
	return []api.Socket{
		{Proto: "tcp", Family: 4, LocalPort: 22, State: "LISTEN"},
		{Proto: "tcp", Family: 4, LocalAddr: "10.0.0.2", LocalPort: 22, ForeignAddr: "10.0.0.1", ForeignPort: 54321, State: "ESTABLISHED", SendQ: 36},
		{Proto: "tcp", Family: 4, LocalAddr: "10.0.0.2", LocalPort: 40000, ForeignAddr: "192.168.100.100", ForeignPort: 80, State: "TIME_WAIT"},
		{Proto: "udp", Family: 4, LocalPort: 53},
		{Proto: "udp", Family: 4, LocalAddr: "10.0.0.2", LocalPort: 5000, ForeignAddr: "10.0.0.1", ForeignPort: 53, RecvQ: 512},
		{Proto: "tcp", Family: 6, LocalPort: 8080, State: "LISTEN"},
		{Proto: "tcp", Family: 6, LocalAddr: "fc00:1234:5678::2", LocalPort: 8080, ForeignAddr: "fc00:1234:5678::1", ForeignPort: 41000, State: "CLOSE_WAIT"},
		{Proto: "udp", Family: 6, LocalPort: 547},
	}, nil
}

func (fake) NetStats() (api.NetStats, error) {
	return api.NetStats{
		IP:    api.IPStats{Total: 120, Delivered: 108, Forwarded: 10, CantForward: 1, LocalOut: 119, NoRoute: 1, BadAddr: 2},
		IP6:   api.IPStats{Total: 30, Delivered: 28, Forwarded: 1, LocalOut: 31, BadScope: 1},
		ICMP:  api.ICMPStats{Error: 1, OutHist: map[int]uint64{0: 3, 3: 1}, InHist: map[int]uint64{8: 3}, Reflect: 3},
		ICMP6: api.ICMPStats{OutHist: map[int]uint64{129: 3, 135: 4, 136: 2, 143: 5}, InHist: map[int]uint64{128: 3, 135: 2, 136: 4}, Reflect: 3},
		TCP:   api.TCPStats{SndTotal: 40, SndRexmit: 2, RcvTotal: 38, ConnAttempt: 1, Accepts: 2, Connects: 3, Closed: 1},
		UDP:   api.UDPStats{IPackets: 9, NoPort: 2, OPackets: 7},
		ARP:   api.ARPStats{SndTotal: 3, SndReply: 2, SndRequest: 1, RcvTotal: 4, RcvReply: 1, RcvRequest: 3},
	}, nil
}

func runMain(b Backend, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := Main(&cli.Tool{Name: "rnetstat", Stdout: &out, Stderr: &errb}, func() Backend { return b }, args)
	return out.String(), errb.String(), st
}

func TestOutputs(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	tests := []struct {
		name string
		args string
	}{
		{"sockets", "-n"},
		{"sockets-all", "-an"},
		{"sockets-inet6", "-an -f inet6"},
		{"interfaces", "-in"},
		{"interfaces-verbose", "-inv"},
		{"interfaces-bytes-drops", "-ibdn"},
		{"interface-inet6", "-n -I virt0 -f inet6"},
		{"routes", "-rn"},
		{"routes-nolink", "-rnL -f inet"},
		{"route-stats", "-rs"},
		{"stats", "-s"},
		{"stats-nonzero", "-ss"},
		{"stats-inet6", "-s -f inet6"},
		{"stats-icmp", "-p icmp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, st := runMain(fake{}, strings.Fields(tt.args)...)
			if st != 0 || errs != "" {
				t.Fatalf("rnetstat %s: status %d, stderr %q", tt.args, st, errs)
			}
			golden.Check(t, tt.name, []byte(out))
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		args string
		err  string // "" for success; "usage" for a usage error
	}{
		{"", ""},
		{"-an -f inet", ""},
		{"-f appletalk", "appletalk: unknown address family"},
		{"-p frob", "frob: unknown or uninstrumented protocol"},
		{"-m", "-m: the rump kernel has no mbuf statistics"},
		{"-w 1", "-w: interval display is not supported"},
		{"-i -s", "-i: per-interface protocol statistics are not kept"},
		{"-x", "usage"},
		{"1", "usage"},
	}
	for _, tt := range tests {
		_, err := parse(strings.Fields(tt.args))
		var ue *cli.UsageError
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q: got %v, want success", tt.args, err)
		case tt.err == "usage" && !errors.As(err, &ue):
			t.Errorf("%q: got %v, want a usage error", tt.args, err)
		case tt.err != "" && tt.err != "usage" && (err == nil || err.Error() != tt.err):
			t.Errorf("%q: got %v, want %q", tt.args, err, tt.err)
		}
	}
}

func TestAgainstKernel(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	c := ktest.Client(t)
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args, want string
	}{
		{"-rn -f inet", "(?m)^10.0.0/24          link#2             UC          -        -      -  virt0$"},
		{"-in", "(?m)^virt0 1500  10.0.0/24     10.0.0.2          +\\d+ +0 +\\d+ +\\d+ +0$"},
		{"-an", "^$"},
		{"-s -p udp", "^udp:\n\t0 datagrams received\n"},
	}
	for _, s := range steps {
		out, errs, st := runMain(c, strings.Fields(s.args)...)
		if st != 0 || errs != "" || !regexp.MustCompile(s.want).MatchString(out) {
			t.Errorf("rnetstat %s: got status %d, stdout %q, stderr %q; want stdout =~ %q", s.args, st, out, errs, s.want)
		}
	}
	if err := c.DelAddr("virt0", "10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := runMain(c, "-rn"); strings.Contains(out, "10.0.0/24") {
		t.Errorf("connected route kept after its address went:\n%s", out)
	}
}

func TestNoServer(t *testing.T) {
	t.Setenv(client.EnvServer, "")
	var out, errb bytes.Buffer
	if st := Run([]string{"-rn"}, &out, &errb); st != 1 || errb.String() != "rnetstat: RUMP_SERVER not set\n" {
		t.Errorf("got status %d, stderr %q", st, errb.String())
	}
}
