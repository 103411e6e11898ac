// Package bridge is the rump kernel's Ethernet bridge, bridge(4): a
// learning forwarding engine with NetBSD's address cache, member flags and
// IEEE 802.1D spanning tree, working on raw Ethernet frames.
//
// It must not know about gVisor, interfaces' IP stacks, sockets or the
// control protocol: the kernel hands it frames with Input and Output and
// gets frames back through each Port's Send and Deliver. It keeps no
// interface counters (the caller counts in Send and Deliver, and in
// Config.Forward for the bridge interface's input), never copies a frame,
// and never calls Send, Deliver or Forward while holding its lock.
//
// Its configuration is spoken in pkg/api's bridge types: Do takes an
// api.BridgeRequest and Status returns an api.BridgeStatus, with the
// IFBIF_*, IFBAF_* and STP state values and defaults api defines. Those are
// the values brconfig reads and writes, shared here so that the control
// server passes them through unchanged; how they travel is the server's
// business, not this package's.
package bridge

// Data flow. A member's receive goroutine calls Input with a frame from that
// member's wire; the member's IP stack calls Output with a frame it sends
// out of that member. Each call takes Bridge.mu for reading, decides where
// the frame goes (other members' wires via Port.Send, members' own stacks
// via Port.Deliver), collects those ports on the caller's stack, drops
// the lock and only then calls their functions, all with the same frame
// slice (and InputMeta's meta, for members that take it). Send and
// Deliver may therefore call back into the bridge (a member's stack
// answering at once), and must not keep or change the frame after they
// return.
//
// Locking. Bridge.mu (a RWMutex) guards every field below it. The frame path
// holds it for reading; learning a new source address, spanning-tree work,
// timers and configuration take it for writing. Refreshing a cache entry on
// the frame path only stores an atomic time, so known traffic never takes
// the write lock. Frames the bridge itself originates (BPDUs) are queued in
// Bridge.outbox under the write lock and sent by the same call after it
// unlocks (flushLocked): SetUp, AddPort, DeletePort, SetPortLink, Do, Tick
// and Input may all call a member's Send before they return, so callers
// must not hold a lock that Send takes.
//
// Time. Everything that ages (cache entries, the STP timers) advances in
// Tick. With the real clock New starts one goroutine that calls Tick every
// second until Close; with an injected clock the caller owns time and calls
// Tick itself, which is how tests drive it without sleeping.

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// tickInterval is how often the bridge's own goroutine calls Tick: the
// granularity of the STP timers (hello time is whole seconds) and of aging.
const tickInterval = time.Second

// defaultMTU is the MTU of a new bridge.
const defaultMTU = 1500

// Config configures a new Bridge.
type Config struct {
	// Now returns the current time. Nil means time.Now, and New then starts
	// a goroutine that calls Tick every second until Close. With Now set the
	// caller owns time: no goroutine is started and the caller calls Tick.
	Now func() time.Time
	// MAC is the address in the spanning-tree bridge identifier. Nil (or
	// anything but 6 bytes) means the lowest MAC address among the members,
	// recomputed when members come and go.
	MAC net.HardwareAddr
	// Forward, if set, is called with every frame Input takes in to
	// forward (not one for a member's own address, a BPDU, a looped frame,
	// nor one on a port that is blocking, listening or disabled), whether
	// or not it then goes out anywhere: the bridge interface's input, as NetBSD's
	// bridge_forward counts it. It runs on the frame path and must be
	// cheap; the same ownership rule as Port.Send holds.
	Forward func(frame []byte)
}

// Port is one member interface as the bridge sees it.
type Port struct {
	// Name is the member interface's name ("virt0"); Input, Output and
	// every per-member operation name the member by it.
	Name string
	// Index is the member's interface index, shown as its port number and
	// used as the spanning-tree port number (its low 8 bits).
	Index int
	// MTU is the member's MTU; it must be the bridge's unless AnyMTU.
	MTU int
	// AnyMTU exempts the member from the MTU rule, as NetBSD exempts an
	// l2tp(4) tunnel: its MTU need not be the bridge's.
	AnyMTU bool
	// MAC is the member's own Ethernet address (6 bytes). Frames addressed
	// to it are delivered to the member's stack, not forwarded.
	MAC net.HardwareAddr
	// Send transmits frame on the member's wire. It must not keep or change
	// frame after it returns: the same slice may go to several members.
	Send func(frame []byte)
	// Deliver hands frame to the member interface's own IP stack, as if it
	// had arrived on the member without a bridge. It is called only with
	// frames addressed to the member's MAC or to a group address. Same
	// ownership rule as Send. Nil drops such frames.
	Deliver func(frame []byte)
	// SendMeta and DeliverMeta, if set, take the place of Send and Deliver
	// for frames that came to InputMeta with a meta, and get it too. A
	// member sets DeliverMeta only if it also sets Deliver.
	SendMeta    func(frame []byte, meta any)
	DeliverMeta func(frame []byte, meta any)
}

// Bridge is one bridge(4) instance. Its methods are safe for concurrent use.
type Bridge struct {
	now    func() time.Time
	epoch  time.Time     // cache times are nanoseconds since epoch
	cfgMAC mac           // Config.MAC, zero if unset
	done   chan struct{} // closed by Close to stop the ticker goroutine
	exited chan struct{} // closed by the ticker goroutine when it returns
	closed atomic.Bool   // Close has run
	cnt    counters      // drop and BPDU counters, atomic
	fwd    func([]byte)  // Config.Forward, nil if unset

	tap atomic.Pointer[func([]byte)] // SetTap's function, nil while nobody captures

	mu       sync.RWMutex
	up       bool             // forwarding (the bridge interface is up)
	ports    map[string]*port // by name
	order    []*port          // members, oldest first
	ownMAC   map[mac]*port    // members' own addresses
	mtu      int              // the bridge's MTU, defaultMTU until SetMTU
	portSeq  uint64           // insertion counter for members
	cache    cache            // the address cache
	ipfilter bool             // the ipf setting, recorded only
	stp      stpBridge        // spanning-tree state of the bridge
	lastTick time.Time        // time of the previous Tick
	outbox   []outFrame       // frames to send once mu is released
}

// outFrame is a frame the bridge originates, queued under the lock.
type outFrame struct {
	send  func([]byte)
	frame []byte
}

// New returns a bridge that is down, has no members and NetBSD's defaults:
// 100 cache entries, a 1200 s timeout, priority 32768, hello time 2 s,
// forward delay 15 s, max age 20 s.
func New(cfg Config) *Bridge {
	b := &Bridge{
		now:    cfg.Now,
		fwd:    cfg.Forward,
		done:   make(chan struct{}),
		exited: make(chan struct{}),
		ports:  make(map[string]*port),
		ownMAC: make(map[mac]*port),
		mtu:    defaultMTU,
		cache:  newCache(),
		stp:    newSTPBridge(),
	}
	if len(cfg.MAC) == etherAddrLen {
		copy(b.cfgMAC[:], cfg.MAC)
	}
	owned := b.now == nil
	if owned {
		b.now = time.Now
	}
	b.epoch = b.now()
	b.lastTick = b.epoch
	if owned {
		go b.run()
	} else {
		close(b.exited)
	}
	return b
}

// run is the ticker goroutine: it belongs to the Bridge and returns when
// Close closes b.done.
func (b *Bridge) run() {
	defer close(b.exited)
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-t.C:
			b.Tick(b.now())
		}
	}
}

// Close takes the bridge down for good and stops its goroutine, waiting
// for it to return, so it must not be called from Send or Deliver. The
// members stay attached (frames are then delivered as if there were no
// bridge) and SetUp(true) is ignored afterwards. Close is idempotent.
func (b *Bridge) Close() {
	if b.closed.Swap(true) {
		<-b.exited
		return
	}
	close(b.done)
	<-b.exited
	b.SetUp(false)
}

// SetUp starts (true) or stops (false) forwarding, as the bridge
// interface's IFF_UP does. Starting runs the spanning-tree initialisation;
// stopping disables every STP port and flushes the dynamic cache entries.
func (b *Bridge) SetUp(up bool) {
	b.mu.Lock()
	if up == b.up || (up && b.closed.Load()) {
		b.mu.Unlock()
		return
	}
	b.up = up
	if up {
		b.lastTick = b.now()
		b.stpInitLocked()
	} else {
		b.stpStopLocked()
		b.cache.flush(false)
	}
	b.flushLocked()
}

// MTU returns the bridge's MTU: 1500 until SetMTU changes it.
func (b *Bridge) MTU() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.mtu
}

// SetMTU sets the bridge's MTU, the one a member must have to join. It
// changes neither the members' MTUs nor their membership: as in NetBSD,
// the rule is checked when a member is added, not afterwards. Errors:
// EINVAL for an MTU that is not positive.
func (b *Bridge) SetMTU(mtu int) error {
	if mtu <= 0 {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("mtu %d", mtu))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mtu = mtu
	return nil
}

// AddPort makes p a member with the default flags (LEARNING, DISCOVER),
// priority 128 and path cost 55, its link up. As in NetBSD, a member must
// have the bridge's MTU (SetMTU), the first one too, unless p.AnyMTU.
// Errors: EINVAL for a missing name, a MAC that is not 6 bytes, a nil Send,
// an MTU that is not positive or differs from the bridge's; EEXIST if p.Name is already a member. On a running
// bridge it restarts the spanning tree, as NetBSD does.
func (b *Bridge) AddPort(p Port) error {
	if p.Name == "" || len(p.MAC) != etherAddrLen || p.Send == nil || p.MTU <= 0 {
		return api.Errorf(syscall.EINVAL, "add "+p.Name)
	}
	b.mu.Lock()
	if _, ok := b.ports[p.Name]; ok {
		b.mu.Unlock()
		return api.Errorf(syscall.EEXIST, "add "+p.Name)
	}
	if !p.AnyMTU && p.MTU != b.mtu {
		b.mu.Unlock()
		return api.Errorf(syscall.EINVAL,
			fmt.Sprintf("add %s: mtu %d differs from the bridge's %d", p.Name, p.MTU, b.mtu))
	}
	b.portSeq++
	np := newPort(p, b.portSeq)
	b.ports[p.Name] = np
	b.order = append(b.order, np)
	if _, ok := b.ownMAC[np.mac]; !ok {
		b.ownMAC[np.mac] = np
	}
	b.stpInitLocked()
	b.flushLocked()
	return nil
}

// DeletePort removes the member called name and every cache entry that
// points to it, static ones included, and restarts the spanning tree of a
// running bridge. Errors: ENOENT if it is not a member.
func (b *Bridge) DeletePort(name string) error {
	b.mu.Lock()
	p, ok := b.ports[name]
	if !ok {
		b.mu.Unlock()
		return api.Errorf(syscall.ENOENT, "delete "+name)
	}
	delete(b.ports, name)
	for i, q := range b.order {
		if q == p {
			b.order = append(b.order[:i], b.order[i+1:]...)
			break
		}
	}
	b.rebuildOwnMACLocked()
	b.cache.deletePort(p, true)
	b.stpInitLocked()
	b.flushLocked()
	return nil
}

// rebuildOwnMACLocked recomputes the map of members' own addresses; the
// oldest member wins when two share one.
func (b *Bridge) rebuildOwnMACLocked() {
	clear(b.ownMAC)
	for _, p := range b.order {
		if _, ok := b.ownMAC[p.mac]; !ok {
			b.ownMAC[p.mac] = p
		}
	}
}

// SetPortLink tells the bridge that the member's link went up or down. A
// port whose link is down neither sends nor forwards, its dynamic cache
// entries are dropped, and with STP it is disabled and the tree is
// recomputed; when the link comes back an STP port starts over in
// listening. Errors: ENOENT if name is not a member.
func (b *Bridge) SetPortLink(name string, up bool) error {
	b.mu.Lock()
	p, ok := b.ports[name]
	if !ok {
		b.mu.Unlock()
		return api.Errorf(syscall.ENOENT, "link "+name)
	}
	if p.linkUp != up {
		p.linkUp = up
		if !up {
			b.cache.deletePort(p, false)
		}
		if b.up && p.flags&api.IFBIF_STP != 0 {
			if up {
				b.stpEnablePortLocked(p)
			} else {
				b.stpDisablePortLocked(p)
			}
		}
	}
	b.flushLocked()
	return nil
}

// Tick advances the bridge's clock to now: it runs the spanning-tree timers
// (hello, message age, forward delay, hold, topology change) and removes
// cache entries that have expired. The bridge's goroutine calls it every
// second; with an injected clock the caller does, in steps of at most a
// second for timers to keep their resolution.
func (b *Bridge) Tick(now time.Time) {
	b.mu.Lock()
	elapsed := now.Sub(b.lastTick)
	if elapsed < 0 {
		elapsed = 0
	}
	b.lastTick = now
	if b.up {
		b.stpTickLocked(elapsed)
	}
	b.cache.age(b.nanos(now), b.agingLimitsLocked())
	b.flushLocked()
}

// nanos converts t to the cache's time base.
func (b *Bridge) nanos(t time.Time) int64 { return int64(t.Sub(b.epoch)) }

// flushLocked releases b.mu and then sends the frames queued in b.outbox.
// Every writer ends with it instead of Unlock.
func (b *Bridge) flushLocked() {
	out := b.outbox
	b.outbox = nil
	b.mu.Unlock()
	for _, f := range out {
		f.send(f.frame)
	}
}
