package rump

import (
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/pcap"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// icmpEchoes counts the IPv4 echo requests and replies among frames, by
// direction.
func icmpEchoes(ps []pcap.Packet, eth bool) (outReq, inRep, other int) {
	for _, p := range ps {
		ip := p.Data
		if eth {
			if len(ip) < header.EthernetMinimumSize || header.Ethernet(ip).Type() != header.IPv4ProtocolNumber {
				other++
				continue
			}
			ip = ip[header.EthernetMinimumSize:]
		} else {
			ip = ip[4:]
		}
		v4 := header.IPv4(ip)
		if len(ip) < header.IPv4MinimumSize || v4.Protocol() != uint8(header.ICMPv4ProtocolNumber) {
			other++
			continue
		}
		switch header.ICMPv4(ip[v4.HeaderLength():]).Type() {
		case header.ICMPv4Echo:
			if p.Out {
				outReq++
			}
		case header.ICMPv4EchoReply:
			if !p.Out {
				inRep++
			}
		}
	}
	return
}

// readUntil reads the capture until want frames have come or 10 s pass.
func readUntil(t *testing.T, c *Capture, want int) []pcap.Packet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ps []pcap.Packet
	for len(ps) < want {
		var err error
		if ps, err = c.Read(ctx, ps); err != nil {
			t.Fatalf("read: got %v after %d frames, want %d frames", err, len(ps), want)
		}
	}
	return ps
}

func TestCapturePing(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	tests := []struct {
		dir             string
		wantReq, wantRp int
	}{
		{api.CaptureInOut, 3, 3},
		{api.CaptureOut, 3, 0},
		{api.CaptureIn, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			c, err := ka.StartCapture("virt0", CaptureOptions{Direction: tt.dir, Snaplen: 60})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.LinkType() != pcap.LinkTypeEthernet {
				t.Errorf("link type: got %d, want %d", c.LinkType(), pcap.LinkTypeEthernet)
			}
			pingAll(t, ka, api.PingRequest{Dst: "10.0.0.2", Count: 3, Interval: 0.01, Size: 56})
			ps := readUntil(t, c, tt.wantReq+tt.wantRp)
			req, rep, _ := icmpEchoes(ps, true)
			if req != tt.wantReq || rep != tt.wantRp {
				t.Errorf("got %d requests out and %d replies in, want %d and %d", req, rep, tt.wantReq, tt.wantRp)
			}
			for _, p := range ps {
				if len(p.Data) > 60 || p.OrigLen < len(p.Data) {
					t.Errorf("frame: got %d bytes of %d, want at most the 60-byte snapshot", len(p.Data), p.OrigLen)
				}
			}
		})
	}
}

func TestCaptureLoopback(t *testing.T) {
	k := newKernel(t, Options{})
	c, err := k.StartCapture("lo0", CaptureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pingAll(t, k, api.PingRequest{Dst: "127.0.0.1", Count: 2, Interval: 0.01, Size: 56})
	ps := readUntil(t, c, 4)
	if c.LinkType() != pcap.LinkTypeNull {
		t.Errorf("link type: got %d, want %d", c.LinkType(), pcap.LinkTypeNull)
	}
	for _, p := range ps {
		if af := p.Data[0]; af != pcap.AFInet || !p.Out {
			t.Errorf("frame: got family %d, out %v, want %d, out (as NetBSD's lo taps)", af, p.Out, pcap.AFInet)
		}
	}
	if req, _, _ := icmpEchoes(ps, false); req != 2 {
		t.Errorf("got %d echo requests, want 2", req)
	}
}

// TestCaptureDrops: a capture nobody reads keeps what fits its buffer
// and counts the rest as dropped; traffic is not held up.
func TestCaptureDrops(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	c, err := ka.StartCapture("virt0", CaptureOptions{Buffer: minCaptureBuffer, Direction: api.CaptureOut})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs := pingAll(t, ka, api.PingRequest{Dst: "10.0.0.2", Count: 6, Interval: 0.01, Size: 1400})
	if got := countTypes(evs); got[api.PingReply] != 6 {
		t.Fatalf("ping while capturing: got %v, want 6 replies", got)
	}
	recv, drop := c.Stats()
	ps, err := c.Read(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if drop == 0 || recv < 6 || uint64(len(ps))+drop != recv {
		t.Errorf("got %d received, %d dropped, %d queued; want drops, and queued+dropped = received", recv, drop, len(ps))
	}
}

func TestCaptureErrors(t *testing.T) {
	k := newKernel(t, Options{})
	tests := []struct {
		name string
		o    CaptureOptions
		want syscall.Errno
	}{
		{"virt9", CaptureOptions{}, syscall.ENXIO},
		{"lo0", CaptureOptions{Direction: "sideways"}, syscall.EINVAL},
	}
	for _, tt := range tests {
		_, err := k.StartCapture(tt.name, tt.o)
		if api.ErrnoOf(err) != tt.want {
			t.Errorf("%s %+v: got %v, want %v", tt.name, tt.o, err, tt.want)
		}
	}
}

// TestCaptureEndsWithInterface: destroying the interface ends the capture.
func TestCaptureEndsWithInterface(t *testing.T) {
	k := newKernel(t, Options{})
	if err := k.Create("shmif0"); err != nil {
		t.Fatal(err)
	}
	c, err := k.StartCapture("shmif0", CaptureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := k.Destroy("shmif0"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Read(ctx, nil); !errors.Is(err, io.EOF) {
		t.Errorf("read after destroy: got %v, want EOF", err)
	}
}
