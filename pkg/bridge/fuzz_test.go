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

// FuzzInputSequence feeds a bridge a stream of arbitrary frames, each on
// a member (or a name that is none) chosen by the input, as received or as
// sent by the member's stack, with time passing between them: the bridge
// must not panic, must keep its address cache within maxaddr, and must
// stay answerable (Status) throughout.
func FuzzInputSequence(f *testing.F) {
	seq := func(frames ...[]byte) []byte {
		var b []byte
		for i, fr := range frames {
			b = append(b, byte(i), byte(len(fr)>>8), byte(len(fr)))
			b = append(b, fr...)
		}
		return b
	}
	f.Add(seq(frame(broadcast, stationA), frame(stationA, stationB), frame(stationB, stationA)))
	f.Add(seq(frame(stationB, broadcast), frame("01:80:c2:00:00:00", stationA)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		clk := newClock()
		b := bridge.New(bridge.Config{Now: clk.Now})
		defer b.Close()
		for i := range 3 {
			name := string(rune('a' + i))
			err := b.AddPort(bridge.Port{
				Name: name, Index: i + 1, MTU: 1500,
				MAC:     net.HardwareAddr{0x02, 0, 0, 0, 0, byte(i)},
				Send:    func([]byte) {},
				Deliver: func([]byte) {},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Do(api.BridgeRequest{Op: api.BridgeMaxAddr, Value: 4}); err != nil {
			t.Fatal(err)
		}
		if err := b.Do(api.BridgeRequest{Op: api.BridgeMemberFlag, Member: "a", Value: api.IFBIF_STP, On: true}); err != nil {
			t.Fatal(err)
		}
		b.SetUp(true)
		for len(data) >= 3 {
			ctl, n := data[0], int(data[1])<<8|int(data[2])
			data = data[3:]
			n = min(n, len(data))
			fr := data[:n]
			data = data[n:]
			port := string(rune('a' + int(ctl&3))) // 'd' is not a member
			if ctl&4 != 0 {
				b.Output(port, fr)
			} else {
				b.Input(port, fr)
			}
			if ctl&8 != 0 {
				b.Tick(clk.advance(time.Duration(ctl>>4) * time.Second))
			}
			if st := b.Status(); len(st.Cache) > 4 {
				t.Fatalf("address cache: got %d entries, want at most maxaddr 4", len(st.Cache))
			}
		}
	})
}
