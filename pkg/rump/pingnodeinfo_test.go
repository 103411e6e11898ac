package rump

import (
	"bytes"
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/raw"
	"gvisor.dev/gvisor/pkg/waiter"
)

// answerNodeInfo answers every node information query kernel k receives
// with the name "node", as a KAME stack would, until ctx ends.
func answerNodeInfo(t *testing.T, ctx context.Context, k *Kernel) {
	var wq waiter.Queue
	ep, terr := raw.NewEndpoint(k.Stack(), ipv6.ProtocolNumber, icmp.ProtocolNumber6, &wq)
	if terr != nil {
		t.Fatal(terr)
	}
	entry, ch := waiter.NewChannelEntry(waiter.ReadableEvents)
	wq.EventRegister(&entry)
	go func() {
		defer ep.Close()
		defer wq.EventUnregister(&entry)
		for {
			var buf bytes.Buffer
			res, terr := ep.Read(&buf, tcpip.ReadOptions{NeedRemoteAddr: true})
			if terr != nil {
				select {
				case <-ctx.Done():
					return
				case <-ch:
				}
				continue
			}
			q := buf.Bytes()
			if len(q) < niHeaderSize || q[0] != niQuery {
				continue
			}
			reply := append([]byte{niReply, 0, 0, 0}, q[4:niHeaderSize]...)
			reply = append(reply, 0, 0, 0, 30, 4, 'n', 'o', 'd', 'e', 0)
			to := res.RemoteAddr
			ep.Write(bytes.NewReader(reply), tcpip.WriteOptions{To: &to})
		}
	}()
}

// TestPingNodeInfo: a run with NodeInfo sends node information queries
// for the destination's name and reports the replies that carry its nonce.
func TestPingNodeInfo(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	answerNodeInfo(t, ctx, kb)
	evs := pingAll(t, ka, api.PingRequest{Dst: "fc00::2", Count: 2, Interval: 0.01, NodeInfo: true})
	var replies []api.PingEvent
	for _, ev := range evs {
		if ev.Type == api.PingSent && ev.Error != nil {
			t.Errorf("send: got %v, want success", ev.Error)
		}
		if ev.Type == api.PingReply {
			replies = append(replies, ev)
		}
	}
	if len(replies) != 2 {
		t.Fatalf("replies: got %d, want 2; events %+v", len(replies), evs)
	}
	for i, ev := range replies {
		if ev.Seq != i || ev.From != "fc00::2" || ev.Bytes != 26 || !bytes.HasSuffix(ev.ICMP, []byte("\x04node\x00")) {
			t.Errorf("reply %d: got %+v, want seq %d, 26 bytes from fc00::2 naming node", i, ev, i)
		}
	}
	if err := ka.Ping(ctx, api.PingRequest{Dst: "10.0.0.2", NodeInfo: true}, func(api.PingEvent) {}); !errorIs(err, syscall.EINVAL) {
		t.Errorf("NodeInfo to an inet address: got %v, want EINVAL", err)
	}
}
