package bridge_test

import (
	"net"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/bridge"
)

// FuzzInput feeds arbitrary frames to a running bridge with STP and
// non-STP members, then ticks it through the spanning-tree timers: it must
// never panic, and must never hand Send or Deliver a frame other than the
// one it was given.
func FuzzInput(f *testing.F) {
	config := make([]byte, 60)
	copy(config, []byte{0x01, 0x80, 0xc2, 0, 0, 0, 0x0a, 0, 0, 0, 0, 1, 0, 38, 0x42, 0x42, 0x03,
		0, 0, 0, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x01,
		0, 0, 0x14, 0, 0x02, 0, 0x0f, 0})
	tcn := make([]byte, 60)
	copy(tcn, []byte{0x01, 0x80, 0xc2, 0, 0, 0, 0x0a, 0, 0, 0, 0, 1, 0, 7, 0x42, 0x42, 0x03, 0, 0, 0, 0x80})
	f.Add(uint8(0), config)
	f.Add(uint8(2), tcn)
	f.Add(uint8(1), config)
	f.Add(uint8(1), frame(broadcast, stationA))
	f.Add(uint8(0), frame(stationB, stationA))
	f.Add(uint8(3), frame("02:00:00:00:00:01", stationA))
	f.Add(uint8(0), []byte{0x01, 0x80, 0xc2})
	f.Add(uint8(0), config[:20])
	f.Fuzz(func(t *testing.T, which uint8, in []byte) {
		clk := newClock()
		b := bridge.New(bridge.Config{Now: clk.Now})
		defer b.Close()
		check := func(got []byte) {
			if len(got) != len(in) || (len(in) > 0 && &got[0] != &in[0]) {
				t.Fatalf("handed a frame that is not the input")
			}
		}
		for i := range 4 {
			name := string(rune('a' + i))
			err := b.AddPort(bridge.Port{
				Name: name, Index: i + 1, MTU: 1500,
				MAC:     net.HardwareAddr{0x02, 0, 0, 0, 0, byte(i)},
				Send:    func(f []byte) { checkOrBPDU(t, f, in, check) },
				Deliver: check,
			})
			if err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				if err := b.Do(api.BridgeRequest{Op: api.BridgeMemberFlag, Member: name, Value: api.IFBIF_STP, On: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
		b.SetUp(true)
		port := string(rune('a' + int(which)%5)) // 'e' is not a member
		for range 3 {
			b.Input(port, in)
			b.Output(port, in)
			for range 25 {
				b.Tick(clk.advance(time.Second))
			}
		}
		_ = b.Status()
	})
}

// checkOrBPDU accepts either the fuzzed frame or a BPDU the bridge
// originated itself.
func checkOrBPDU(t *testing.T, got, in []byte, check func([]byte)) {
	if len(got) >= 6 && string(got[:6]) == "\x01\x80\xc2\x00\x00\x00" && (len(in) == 0 || &got[0] != &in[0]) {
		return
	}
	check(got)
}
