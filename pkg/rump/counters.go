package rump

// Interface statistics, as netstat -i shows them: one set of counters in
// every link endpoint (Ethernet, loopback, bridge).
//
// Each counter is an atomic, added to without a lock by the goroutine that
// moves the frame: the receive loop or its pipe's goroutine for input; the
// stack's sending goroutine, the transmit pipe's goroutine or the bridge's
// for output. Status requests read them, and ifconfig -z zeroes them,
// while frames go on passing, so a reader may see a frame's packet counted
// and not yet its bytes.

import "sync/atomic"

// counters are an interface's statistics, updated without locks on the
// frame path.
type counters struct {
	ipackets, ibytes, imcasts, ierrors, iqdrops atomic.Uint64
	opackets, obytes, omcasts, oerrors          atomic.Uint64
}

func (c *counters) countIn(n int, group bool) {
	c.ipackets.Add(1)
	c.ibytes.Add(uint64(n))
	if group {
		c.imcasts.Add(1)
	}
}

func (c *counters) countOut(n int, group bool) {
	c.opackets.Add(1)
	c.obytes.Add(uint64(n))
	if group {
		c.omcasts.Add(1)
	}
}

func (c *counters) zero() {
	for _, v := range []*atomic.Uint64{&c.ipackets, &c.ibytes, &c.imcasts,
		&c.ierrors, &c.iqdrops, &c.opackets, &c.obytes, &c.omcasts, &c.oerrors} {
		v.Store(0)
	}
}
