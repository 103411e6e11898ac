package rump

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

func fullAddr(s string, port uint16) tcpip.FullAddress {
	return tcpip.FullAddress{Addr: tcpip.AddrFromSlice(netip.MustParseAddr(s).AsSlice()), Port: port}
}

func TestSocketsAndStats(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	l, err := gonet.ListenTCP(kb.Stack(), tcpip.FullAddress{Port: 7}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := gonet.DialUDP(kb.Stack(), &tcpip.FullAddress{Port: 53}, nil, ipv6.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			defer c.Close()
			_, err = c.Write([]byte("hello"))
		}
		accepted <- err
		<-time.After(5 * time.Second)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := gonet.DialContextTCP(ctx, ka.Stack(), fullAddr("10.0.0.2", 7), ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}
	// A datagram to a closed port draws an ICMP port unreachable.
	p, err := gonet.DialUDP(ka.Stack(), nil, &tcpip.FullAddress{Addr: fullAddr("10.0.0.2", 0).Addr, Port: 9}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("x"))
	p.Close()

	deadline := time.Now().Add(5 * time.Second)
	for {
		socks := kb.Sockets()
		var listen, established, udp bool
		for _, s := range socks {
			switch {
			case s.Proto == "tcp" && s.State == "LISTEN" && s.LocalAddr == "" && s.LocalPort == 7:
				listen = true
			case s.Proto == "tcp" && s.State == "ESTABLISHED" && s.LocalAddr == "10.0.0.2" &&
				s.LocalPort == 7 && s.ForeignAddr == "10.0.0.1" && s.ForeignPort != 0:
				established = true
			case s.Proto == "udp" && s.Family == 6 && s.LocalPort == 53 && s.ForeignAddr == "":
				udp = true
			}
		}
		if listen && established && udp {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sockets: got %+v, want a listener, an established connection and a UDP socket", socks)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The client has data waiting that it has not read.
	for time.Now().Before(deadline) {
		if s := ka.Sockets(); len(s) == 1 && s[0].RecvQ == 5 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := ka.Sockets(); len(s) != 1 || s[0].RecvQ != 5 || s[0].State != "ESTABLISHED" {
		t.Errorf("client sockets: got %+v, want one ESTABLISHED with 5 bytes queued", s)
	}

	for time.Now().Before(deadline) {
		if kb.NetStats().ICMP.OutHist[3] > 0 && ka.NetStats().ICMP.InHist[3] > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	sa, sb := ka.NetStats(), kb.NetStats()
	checks := []struct {
		what string
		ok   bool
	}{
		{"kb sent a port unreachable", sb.ICMP.OutHist[3] == 1 && sb.ICMP.Error == 1},
		{"ka received it", sa.ICMP.InHist[3] == 1},
		{"kb counted the datagram for no socket", sb.UDP.NoPort == 1 && sb.UDP.IPackets == 1},
		{"ka sent one datagram", sa.UDP.OPackets == 1},
		{"ka opened a connection", sa.TCP.ConnAttempt == 1 && sa.TCP.Connects == 1},
		{"kb accepted one", sb.TCP.Accepts == 1 && sb.TCP.Connects == 1},
		{"segments flowed", sa.TCP.SndTotal > 0 && sb.TCP.RcvTotal > 0},
		{"ARP resolved", sa.ARP.SndRequest > 0 && sb.ARP.RcvRequest > 0 && sb.ARP.SndReply > 0},
		{"IPv4 packets counted", sa.IP.LocalOut > 0 && sb.IP.Total > 0 && sb.IP.Delivered > 0},
		{"IPv6 packets counted", sa.IP6.Total > 0 && sa.IP6.Delivered > 0},
		{"neighbour solicitations sent", sa.ICMP6.OutHist[135] > 0},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: ka %+v, kb %+v", c.what, sa, sb)
		}
	}
}
