package tests

// Unmodified network tools under rumphijack between two rump kernels:
// iperf3, dnsmasq with dig, socat and ping -6. Each runs on two
// topologies: the kernels' shmif0 on one bus file, and their virt
// interfaces on taps joined by a Linux bridge in the test's namespace.

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// kernelPair is two kernels on one link: a at 10.1.0.1 and fd01::1, b at
// 10.1.0.2 and fd01::2.
type kernelPair struct {
	a, b string // urls
}

// topologies are the links a kernelPair can be made on.
var topologies = []string{"shmif", "bridge"}

// newKernelPair starts two kernels on a link of the given topology and
// waits until they reach each other on both families.
func (e *env) newKernelPair(topology string) kernelPair {
	e.t.Helper()
	var p kernelPair
	switch topology {
	case "shmif":
		bus := filepath.Join(e.dir, "bus")
		p.a, p.b = e.busKernel("a", bus, 1), e.busKernel("b", bus, 2)
		e.waitUsableAt(p.a, "shmif0")
		e.waitUsableAt(p.b, "shmif0")
	case "bridge":
		e.ip("link", "add", "br0", "type", "bridge")
		for i, name := range []string{"a", "b"} {
			url := "unix://" + filepath.Join(e.dir, name)
			e.startServerAt(url)
			ifname := fmt.Sprintf("virt%d", i)
			e.mustRifAt(url, ifname, "create", "inet", fmt.Sprintf("10.1.0.%d/24", i+1), "up")
			e.mustRifAt(url, ifname, "inet6", fmt.Sprintf("fd01::%d/64", i+1))
			tap := fmt.Sprintf("tap%d", i)
			e.ip("link", "set", tap, "master", "br0")
			e.ip("link", "set", tap, "up")
			if i == 0 {
				p.a = url
			} else {
				p.b = url
			}
		}
		e.ip("link", "set", "br0", "up")
		e.waitUsableAt(p.a, "virt0")
		e.waitUsableAt(p.b, "virt1")
	default:
		e.t.Fatalf("unknown topology %q", topology)
	}
	// The Linux bridge may still be learning: poll the first pings.
	for _, dst := range []string{"10.1.0.2", "fd01::2"} {
		tool := map[bool]string{false: "rping", true: "rping6"}[strings.Contains(dst, ":")]
		e.waitFor("kernel a reaches "+dst, func() (bool, string) {
			r := e.toolAt(p.a, tool, "-n", "-c", "1", dst)
			return r.code == 0, r.String()
		})
	}
	return p
}

// forTopologies runs f in a subtest with a fresh env and kernel pair for
// each topology.
func forTopologies(t *testing.T, f func(t *testing.T, e *env, p kernelPair)) {
	for _, topo := range topologies {
		t.Run(topo, func(t *testing.T) {
			e := newEnv(t)
			f(t, e, e.newKernelPair(topo))
		})
	}
}

// iperfEnd is the part of iperf3's JSON report the test reads.
type iperfEnd struct {
	End struct {
		SumReceived struct {
			BitsPerSecond float64 `json:"bits_per_second"`
		} `json:"sum_received"`
		Sum struct {
			BitsPerSecond float64 `json:"bits_per_second"`
			Packets       int     `json:"packets"`
		} `json:"sum"`
		// The sender's figures from TCP_INFO: the congestion window
		// (snd_cwnd times snd_mss), the round trip time and the Retr
		// column (without TCP_INFO they are zero or garbage).
		Streams []struct {
			Sender struct {
				MaxSndCwnd  int  `json:"max_snd_cwnd"`
				MeanRTT     int  `json:"mean_rtt"`
				Retransmits *int `json:"retransmits"`
			} `json:"sender"`
		} `json:"streams"`
	} `json:"end"`
}

// iperf3 runs one iperf3 test from kernel a to addr on kernel b and
// checks that it reports a rate, and for TCP a congestion window and a
// retransmission count (TCP_INFO); cc, when set, is the congestion
// control algorithm it asks for (TCP_CONGESTION).
func (e *env) iperf3(p kernelPair, addr string, port int, proto string, reverse bool, cc string) {
	e.t.Helper()
	ps := strconv.Itoa(port)
	srv := e.hijackBackgroundAt(p.b, "iperf3", "-s", "-1", "-p", ps)
	e.waitFor("iperf3 -s listens on "+ps, func() (bool, string) {
		ns := e.rnetstatAt(p.b)
		return strings.Contains(ns, "."+ps+" "), ns + srv.String()
	})
	argv := []string{"iperf3", "-c", addr, "-p", ps, "-t", "2", "-J"}
	if proto == "udp" {
		argv = append(argv, "-u")
	}
	if reverse {
		argv = append(argv, "-R")
	}
	if cc != "" {
		argv = append(argv, "-C", cc)
	}
	what := strings.Join(argv, " ")
	r := e.hijackAt(p.a, argv...)
	var rep iperfEnd
	if err := json.Unmarshal([]byte(r.stdout), &rep); r.code != 0 || err != nil {
		e.t.Errorf("%s: got %v (%v), want exit 0 and a JSON report; server %q", what, r, err, srv.String())
		return
	}
	rate := rep.End.SumReceived.BitsPerSecond
	if proto == "udp" {
		rate = rep.End.Sum.BitsPerSecond
	}
	if rate <= 0 {
		e.t.Errorf("%s: got rate %v bits/s, want > 0\n%s", what, rate, r.stdout)
	}
	if proto == "tcp" && !reverse {
		if st := rep.End.Streams; len(st) == 0 || st[0].Sender.MaxSndCwnd <= 0 || st[0].Sender.MeanRTT <= 0 || st[0].Sender.Retransmits == nil {
			e.t.Errorf("%s: got streams %+v, want the sender's max_snd_cwnd and mean_rtt > 0, and retransmits", what, st)
		}
	}
}

func TestHijackIperf3(t *testing.T) {
	requireHijack(t, "iperf3")
	forTopologies(t, func(t *testing.T, e *env, p kernelPair) {
		port := 5201
		for _, addr := range []string{"10.1.0.2", "fd01::2"} {
			for _, proto := range []string{"tcp", "udp"} {
				for _, reverse := range []bool{false, true} {
					port++
					e.iperf3(p, addr, port, proto, reverse, "")
				}
			}
		}
		for _, cc := range []string{"reno", "cubic"} {
			port++
			e.iperf3(p, "10.1.0.2", port, "tcp", false, cc)
		}
	})
}

// TestHijackDNS runs dnsmasq on one kernel and dig on the other: UDP
// sockets unconnected on both ends (dig's is connected, dnsmasq's not).
// dnsmasq's options keep it off the host: no upstream, no hosts file,
// bound to the kernel's address only.
func TestHijackDNS(t *testing.T) {
	requireHijack(t, "dnsmasq", "dig")
	forTopologies(t, func(t *testing.T, e *env, p kernelPair) {
		srv := e.hijackBackgroundAt(p.b, "dnsmasq", "-d", "--no-resolv", "--no-hosts",
			"--address=/lab/10.1.0.2", "--listen-address=10.1.0.2", "--bind-interfaces",
			"--port", "53", "--user=root", "--pid-file=")
		var r result
		e.waitFor("dig gets an answer from dnsmasq", func() (bool, string) {
			r = e.hijackAt(p.a, "dig", "+short", "+time=2", "+tries=2", "@10.1.0.2", "www.lab")
			return r.code == 0, r.String() + " server: " + srv.String()
		})
		if got, want := r.stdout, "10.1.0.2\n"; got != want {
			t.Errorf("dig +short www.lab: got %q, want %q", got, want)
		}
		r = e.hijackAt(p.a, "dig", "+short", "+tcp", "+time=2", "+tries=2", "@10.1.0.2", "mail.lab")
		if got, want := r.stdout, "10.1.0.2\n"; r.code != 0 || got != want {
			t.Errorf("dig +tcp mail.lab: got %v, want stdout %q", r, want)
		}
	})
}

func TestHijackSocat(t *testing.T) {
	requireHijack(t, "socat", "sh")
	forTopologies(t, func(t *testing.T, e *env, p kernelPair) {
		tests := []struct {
			name, listen, connect, want string
			fromListener                bool
		}{
			{"v4 to listener", "TCP4-LISTEN:7001,bind=10.1.0.2", "TCP4:10.1.0.2:7001", "to the listener\n", false},
			{"v4 from listener", "TCP4-LISTEN:7002,bind=10.1.0.2", "TCP4:10.1.0.2:7002", "from the listener\n", true},
			{"v6 to listener", "TCP6-LISTEN:7003,bind=[fd01::2]", "TCP6:[fd01::2]:7003", "to the listener\n", false},
			{"v6 from listener", "TCP6-LISTEN:7004,bind=[fd01::2]", "TCP6:[fd01::2]:7004", "from the listener\n", true},
		}
		for _, tt := range tests {
			func() {
				var srv *lockedBuffer
				client := "socat -u " + tt.connect + " STDOUT"
				if tt.fromListener {
					srv = e.hijackBackgroundAt(p.b, "sh", "-c",
						fmt.Sprintf("printf '%s' | socat -u STDIN %s", strings.TrimSuffix(tt.want, "\n")+`\n`, tt.listen))
				} else {
					srv = e.hijackBackgroundAt(p.b, "socat", "-u", tt.listen, "STDOUT")
					client = fmt.Sprintf("printf '%s' | socat -u STDIN %s", strings.TrimSuffix(tt.want, "\n")+`\n`, tt.connect)
				}
				var r result
				e.waitFor("socat connects", func() (bool, string) {
					r = e.hijackAt(p.a, "sh", "-c", client)
					return r.code == 0, r.String() + " listener: " + srv.String()
				})
				got := r.stdout
				if !tt.fromListener {
					e.waitFor("the listener prints", func() (bool, string) {
						return strings.HasSuffix(srv.String(), "\n"), fmt.Sprintf("%q", srv.String())
					})
					got = srv.String()
				}
				if got != tt.want {
					t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
				}
			}()
		}
	})
}

// TestHijackPing6 runs iputils ping -6, which needs IPV6_RECVERR and
// IPV6_RECVHOPLIMIT to be accepted, on both topologies.
func TestHijackPing6(t *testing.T) {
	requireHijack(t, "ping")
	forTopologies(t, func(t *testing.T, e *env, p kernelPair) {
		r := e.hijackAt(p.a, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "5", "fd01::2")
		if r.code != 0 || !strings.Contains(r.stdout, "2 packets transmitted, 2 received") {
			t.Errorf("ping -6: got %v, want 2 echoes answered", r)
		}
	})
}

// TestHijackDNS6 is TestHijackDNS over IPv6: dnsmasq asks for the
// destination of each query (IPV6_RECVPKTINFO) and answers from it
// (IPV6_PKTINFO on sendmsg).
func TestHijackDNS6(t *testing.T) {
	requireHijack(t, "dnsmasq", "dig")
	forTopologies(t, func(t *testing.T, e *env, p kernelPair) {
		srv := e.hijackBackgroundAt(p.b, "dnsmasq", "-d", "--no-resolv", "--no-hosts",
			"--address=/lab/fd01::2", "--listen-address=fd01::2", "--bind-interfaces",
			"--port", "53", "--user=root", "--pid-file=")
		var r result
		e.waitFor("dig -6 gets an answer from dnsmasq", func() (bool, string) {
			r = e.hijackAt(p.a, "dig", "+short", "-6", "+time=2", "+tries=2", "@fd01::2", "www.lab", "AAAA")
			return r.code == 0, r.String() + " server: " + srv.String()
		})
		if got, want := r.stdout, "fd01::2\n"; got != want {
			t.Errorf("dig +short -6 www.lab AAAA: got %q, want %q", got, want)
		}
	})
}

// TestHijackTCPInfo reads TCP_INFO and sets TCP_CONGESTION from a Python
// program whose connection is on the kernel: the state, segment size,
// window and round trip time are the stack's; an unknown algorithm is
// ENOENT, as on Linux.
func TestHijackTCPInfo(t *testing.T) {
	requireHijack(t, "python3")
	e := newEnv(t)
	e.startServer()
	r := e.hijack("python3", "-c", `
import socket, struct, errno
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); a, _ = l.accept()
c.sendall(b"x" * 100000); a.recv(100000)
i = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
state, mss, rtt, cwnd, retr = i[0], struct.unpack_from("I", i, 16)[0], struct.unpack_from("I", i, 68)[0], struct.unpack_from("I", i, 80)[0], struct.unpack_from("I", i, 100)[0]
print(len(i), state, mss > 0, rtt > 0, cwnd > 0, retr)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"reno")
print(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode())
try:
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"nosuch")
except OSError as e:
    print(errno.errorcode[e.errno])
`)
	if want := "104 1 True True True 0\nreno\nENOENT\n"; r.code != 0 || r.stdout != want {
		t.Errorf("got %v, want stdout %q", r, want)
	}
}
