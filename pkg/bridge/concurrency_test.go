package bridge_test

import (
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/bridge"
)

// TestConcurrent runs the frame path on several goroutines while the
// configuration changes underneath; run it with -race.
func TestConcurrent(t *testing.T) {
	b := bridge.New(bridge.Config{})
	defer b.Close()
	port := func(i int) bridge.Port {
		return bridge.Port{
			Name: fmt.Sprintf("m%d", i), Index: i + 2, MTU: 1500,
			MAC:     net.HardwareAddr{0x02, 0, 0, 0, 0, byte(i)},
			Send:    func([]byte) {},
			Deliver: func([]byte) {},
		}
	}
	for i := range 4 {
		if err := b.AddPort(port(i)); err != nil {
			t.Fatal(err)
		}
	}
	b.SetUp(true)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			in := fmt.Sprintf("m%d", g)
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				src := fmt.Sprintf("0a:00:00:00:%02x:%02x", g, n%50)
				dst := fmt.Sprintf("0a:00:00:00:%02x:%02x", (g+1)%4, n%50)
				b.Input(in, frame(dst, src))
				b.Input(in, frame(broadcast, src))
				b.Output(in, frame(dst, "02:00:00:00:00:00"))
			}
		})
	}
	reqs := []api.BridgeRequest{
		{Op: api.BridgeMaxAddr, Value: 20},
		{Op: api.BridgeMemberFlag, Member: "m1", Value: api.IFBIF_STP, On: true},
		{Op: api.BridgeStatic, Member: "m2", MAC: "0a:00:00:00:99:99"},
		{Op: api.BridgeMemberFlag, Member: "m2", Value: api.IFBIF_PROTECTED, On: true},
		{Op: api.BridgeFlush},
		{Op: api.BridgeMemberFlag, Member: "m1", Value: api.IFBIF_STP},
		{Op: api.BridgeTimeout, Value: 1},
		{Op: api.BridgeFlushAll},
		{Op: api.BridgeMaxAddr, Value: 100},
	}
	deadline := time.Now().Add(200 * time.Millisecond)
	for i := 0; time.Now().Before(deadline); i++ {
		_ = b.Do(reqs[i%len(reqs)])
		_ = b.Status()
		b.Tick(time.Now())
		_ = b.SetPortLink("m3", i%2 == 0)
		if i%5 == 0 {
			_ = b.DeletePort("m0")
			_ = b.AddPort(port(0))
		}
		if i%7 == 0 {
			b.SetUp(i%2 == 0)
		}
	}
	close(stop)
	wg.Wait()
}

// TestCloseStopsGoroutine checks that a bridge on the real clock owns one
// goroutine and that Close ends it.
func TestCloseStopsGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 10 {
		b := bridge.New(bridge.Config{})
		b.SetUp(true)
		b.Close()
		b.Close()
	}
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("goroutines: got %d after Close, want at most %d", runtime.NumGoroutine(), before)
}
