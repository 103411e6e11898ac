package traceroute

import (
	"encoding/json"
	"io"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// FuzzProbeLine: any probe event the stream may carry prints without a
// panic.
func FuzzProbeLine(f *testing.F) {
	f.Add(`{"type":"probe","ttl":1,"probe":0,"from":"10.0.1.1","rtt":0.4,"reply_ttl":64,"icmp_type":11}`, false)
	f.Add(`{"type":"probe","ttl":2,"probe":1,"from":"fc02::2","rtt":1,"icmp_type":1,"icmp_code":4}`, true)
	f.Add(`{"type":"probe","ttl":3,"probe":2,"icmp_type":3,"icmp_code":4,"mtu":1400}`, false)
	f.Fuzz(func(t *testing.T, line string, inet6 bool) {
		var ev api.TracerouteEvent
		if json.Unmarshal([]byte(line), &ev) != nil {
			return
		}
		fam := Inet
		if inet6 {
			fam = Inet6
		}
		p := &printer{w: io.Discard, family: fam, name: func(a string) string { return a }}
		p.probe(ev.TTL, ev.From, ev.RTT, ev.ICMPType, ev.ICMPCode, ev.MTU, ev.ReplyTTL)
		p.close()
	})
}
