package rump

// Routing messages: what NetBSD's routing socket tells route monitor.
// The places that change state (route.go, addr.go, iface.go, and
// updateRoutesLocked in kernel.go for connected routes) call one of the
// rtm*Locked helpers below, one line each; learned neighbour entries
// come from gVisor's NUD dispatcher (nudEvents), carrier changes from the
// device's goroutines through ethEndpoint.onLink, which starts rtmCarrier
// in a goroutine of its own because it takes Kernel.mu.
//
// Data flow. publish hands a message to every watcher's queue with a
// non-blocking send: a watcher whose queue is full loses the message and
// counts it, and the next message it reads says how many it lost. The
// kernel never waits for a watcher.
//
// Locking. rtBroadcaster.mu guards the watcher set only; it is never held
// while calling into the stack, so publish may be called under Kernel.mu
// and from gVisor's neighbour-entry callbacks (which hold the entry's
// lock and must not take Kernel.mu: nudEvents does not).

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strconv"
	"sync"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// watchQueue is how many messages a watcher may have waiting.
const watchQueue = 256

// rtBroadcaster hands routing messages to the watchers.
type rtBroadcaster struct {
	mu   sync.Mutex
	subs map[*RouteWatcher]struct{}
}

// RouteWatcher receives the kernel's routing messages from the moment it
// is made until Close.
type RouteWatcher struct {
	b    *rtBroadcaster
	ch   chan api.RouteMessage
	lost int // messages lost since the last one queued; guarded by b.mu
	once sync.Once
}

// WatchRoutes starts receiving routing messages; the caller must Close
// the watcher.
func (k *Kernel) WatchRoutes() *RouteWatcher { return k.rtm.subscribe() }

func (b *rtBroadcaster) subscribe() *RouteWatcher {
	w := &RouteWatcher{b: b, ch: make(chan api.RouteMessage, watchQueue)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[*RouteWatcher]struct{}{}
	}
	b.subs[w] = struct{}{}
	return w
}

// publish offers m to every watcher without waiting. A watcher whose
// queue is full loses m; the first message that reaches it afterwards
// carries how many it lost, so the count sits where the gap is.
func (b *rtBroadcaster) publish(m api.RouteMessage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for w := range b.subs {
		m.Dropped = w.lost
		select {
		case w.ch <- m:
			w.lost = 0
		default:
			w.lost++
		}
	}
}

// Next waits for the next message; its Dropped says how many were lost
// just before it because the watcher fell behind. It returns ctx's error
// when ctx ends first.
func (w *RouteWatcher) Next(ctx context.Context) (api.RouteMessage, error) {
	select {
	case m := <-w.ch:
		return m, nil
	case <-ctx.Done():
		return api.RouteMessage{}, ctx.Err()
	}
}

// Close stops the watcher; messages still queued are dropped.
func (w *RouteWatcher) Close() {
	w.once.Do(func() {
		w.b.mu.Lock()
		delete(w.b.subs, w)
		w.b.mu.Unlock()
	})
}

// rtmRouteLocked announces an added, deleted or changed static route.
func (k *Kernel) rtmRouteLocked(typ int, r *staticRoute) {
	m := api.RouteMessage{Type: typ, Index: int(r.ifp.nic), Dst: r.dest.Addr().String(),
		Flags: api.RTF_UP | api.RTF_DONE | r.flags}
	switch {
	case r.gateway.IsValid():
		m.Gateway = r.gateway.String()
		m.Flags |= api.RTF_GATEWAY
	case r.ifAddr.IsValid():
		m.Gateway = r.ifAddr.String()
	default:
		m.Gateway = linkName(r.ifp.nic)
	}
	if r.dest.IsSingleIP() {
		m.Flags |= api.RTF_HOST
	} else {
		m.Netmask = maskString(r.dest)
	}
	if typ == api.RTM_DELETE {
		m.Flags &^= api.RTF_UP
	}
	k.rtm.publish(m)
}

// rtmAddrLocked announces an address added to or removed from ifp.
func (k *Kernel) rtmAddrLocked(typ int, ifp *Interface, a *ifaddr) {
	addr := a.prefix.Addr()
	if addr.Is6() && addr.IsLinkLocalUnicast() {
		addr = addr.WithZone(ifp.name)
	}
	m := api.RouteMessage{Type: typ, Index: int(ifp.nic), Flags: api.RTF_UP,
		Netmask: maskString(a.prefix), IFP: ifp.name, IFA: addr.String()}
	if a.broadcast.IsValid() {
		m.Brd = a.broadcast.String()
	}
	k.rtm.publish(m)
}

// rtmNewAddrsLocked notes ifp's addresses; the function it returns
// announces those added since.
func (k *Kernel) rtmNewAddrsLocked(ifp *Interface) func() {
	before := map[*ifaddr]bool{}
	for _, a := range ifp.addrs {
		before[a] = true
	}
	return func() {
		for _, a := range ifp.addrs {
			if !before[a] {
				k.rtmAddrLocked(api.RTM_NEWADDR, ifp, a)
			}
		}
	}
}

// rtmIfinfoLocked announces ifp's flags if they are no longer old.
func (k *Kernel) rtmIfinfoLocked(ifp *Interface, old int) {
	if ifp.flags == old {
		return
	}
	ifp.rtmLink = ifp.linkState()
	k.rtm.publish(api.RouteMessage{Type: api.RTM_IFINFO, Index: int(ifp.nic), Flags: ifp.flags,
		LinkState: ifp.linkState()})
}

// rtmAnnounceLocked announces ifp's arrival or departure (api.IfArrival,
// api.IfDeparture).
func (k *Kernel) rtmAnnounceLocked(ifp *Interface, what string) {
	ifp.rtmLink = ifp.linkState()
	k.rtm.publish(api.RouteMessage{Type: api.RTM_IFANNOUNCE, Index: int(ifp.nic), IFP: ifp.name, What: what})
}

// rtmCarrier announces ifp's carrier when it differs from the one last
// announced. A device's goroutine calls it (through ethEndpoint.onLink)
// in a goroutine of its own, as it takes Kernel.mu.
func (k *Kernel) rtmCarrier(ifp *Interface) {
	k.mu.Lock()
	defer k.mu.Unlock()
	state := ifp.linkState()
	if k.closed || ifp.rtmLink == state || !slices.Contains(k.ifaces, ifp) {
		return
	}
	ifp.rtmLink = state
	k.rtm.publish(api.RouteMessage{Type: api.RTM_IFINFO, Index: int(ifp.nic), Flags: ifp.flags, LinkState: state})
}

// connRoute is a connected route: an interface's prefix, announced as
// NetBSD announces the network route an address brings.
type connRoute struct {
	nic  tcpip.NICID
	dest netip.Prefix
}

// connectedRoutesLocked lists the connected routes the addresses give,
// as updateRoutesLocked makes them, each with the message announcing it.
func (k *Kernel) connectedRoutesLocked() ([]connRoute, map[connRoute]api.RouteMessage) {
	var order []connRoute
	msgs := map[connRoute]api.RouteMessage{}
	for _, ifp := range k.ifaces {
		for _, a := range ifp.addrs {
			key := connRoute{ifp.nic, a.prefix.Masked()}
			if _, dup := msgs[key]; dup || !a.inStack || a.flags()&a.duplicatedBit() != 0 {
				continue
			}
			m := api.RouteMessage{Type: api.RTM_ADD, Index: int(ifp.nic), Dst: zoned(key.dest.Addr(), ifp.name),
				Gateway: linkName(ifp.nic), IFP: ifp.name, IFA: zoned(a.prefix.Addr(), ifp.name),
				Flags: api.RTF_UP | api.RTF_DONE | api.RTF_CONNECTED}
			if key.dest.IsSingleIP() {
				m.Flags |= api.RTF_HOST
			} else {
				m.Netmask = maskString(key.dest)
			}
			order = append(order, key)
			msgs[key] = m
		}
	}
	return order, msgs
}

// rtmConnectedLocked announces the connected routes gone (RTM_DELETE)
// and new (RTM_ADD) since it last ran; updateRoutesLocked calls it.
func (k *Kernel) rtmConnectedLocked() {
	order, now := k.connectedRoutesLocked()
	var gone []connRoute
	for key := range k.rtmConn {
		if _, ok := now[key]; !ok {
			gone = append(gone, key)
		}
	}
	slices.SortFunc(gone, func(a, b connRoute) int {
		return cmp.Or(cmp.Compare(a.nic, b.nic), a.dest.Addr().Compare(b.dest.Addr()), cmp.Compare(a.dest.Bits(), b.dest.Bits()))
	})
	for _, key := range gone {
		m := k.rtmConn[key]
		m.Type, m.Flags = api.RTM_DELETE, m.Flags&^api.RTF_UP
		k.rtm.publish(m)
	}
	for _, key := range order {
		if _, ok := k.rtmConn[key]; !ok {
			k.rtm.publish(now[key])
		}
	}
	k.rtmConn = now
}

func linkName(nic tcpip.NICID) string { return "link#" + strconv.Itoa(int(nic)) }

// maskString is p's netmask in address form.
func maskString(p netip.Prefix) string {
	a, _ := netip.AddrFromSlice(maskBytes(p))
	return a.String()
}

// nudEvents turns gVisor's neighbour-cache events into routing messages,
// as NetBSD announces cloned link-layer entries: RTM_ADD once an entry
// has a link-layer address (an IPv6 entry already when it is made,
// incomplete, with gateway link#N, as nd6_resolve announces it),
// RTM_CHANGE when that address changes, RTM_DELETE when an announced
// entry goes, and RTM_MISS when resolving an entry first gives up.
type nudEvents struct {
	b     *rtBroadcaster
	gc    *neighborGC // told of each new entry; see neighgc.go
	kick  func()      // tells the neighbour sweeper; set before any NIC exists
	mu    sync.Mutex
	known map[nudKey]nudEntry            // announced entries
	state map[nudKey]stack.NeighborState // every entry's last state
	// missed holds the entries whose failure was announced. gVisor keeps
	// an entry that failed and resolves it again on the next packet,
	// where NetBSD frees it: one RTM_MISS per entry, until it resolves
	// or goes, keeps a sender to a dead address from repeating it every
	// few seconds.
	missed map[nudKey]struct{}
	// changed invalidates the kernel's lookup cache (lookupcache.go); set
	// before any NIC exists.
	changed func()
}

type nudKey struct {
	nic  tcpip.NICID
	addr tcpip.Address
}

type nudEntry struct {
	mac    tcpip.LinkAddress // empty for an incomplete IPv6 entry
	static bool
}

var _ stack.NUDDispatcher = (*nudEvents)(nil)

// OnNeighborAdded implements stack.NUDDispatcher.
func (n *nudEvents) OnNeighborAdded(nic tcpip.NICID, e stack.NeighborEntry) {
	n.update(nic, e)
	n.gc.added(nic, e)
}

// OnNeighborChanged implements stack.NUDDispatcher.
func (n *nudEvents) OnNeighborChanged(nic tcpip.NICID, e stack.NeighborEntry) { n.update(nic, e) }

// OnNeighborRemoved implements stack.NUDDispatcher.
func (n *nudEvents) OnNeighborRemoved(nic tcpip.NICID, e stack.NeighborEntry) {
	n.gc.removed(nic, e.Addr)
	n.invalidate()
	key := nudKey{nic, e.Addr}
	n.mu.Lock()
	old, ok := n.known[key]
	delete(n.known, key)
	delete(n.state, key)
	delete(n.missed, key)
	n.mu.Unlock()
	if ok {
		n.b.publish(neighborMessage(api.RTM_DELETE, nic, e.Addr, old))
	}
}

func (n *nudEvents) update(nic tcpip.NICID, e stack.NeighborEntry) {
	n.invalidate()
	if n.kick != nil {
		n.kick()
	}
	key := nudKey{nic, e.Addr}
	n.mu.Lock()
	if n.known == nil {
		n.known, n.state, n.missed = map[nudKey]nudEntry{}, map[nudKey]stack.NeighborState{}, map[nudKey]struct{}{}
	}
	prev := n.state[key]
	n.state[key] = e.State
	if e.State == stack.Unreachable && prev == stack.Incomplete {
		_, again := n.missed[key]
		n.missed[key] = struct{}{}
		n.mu.Unlock()
		if !again {
			n.b.publish(missMessage(nic, e.Addr))
		}
		return
	}
	if e.LinkAddr != "" && e.State != stack.Incomplete {
		delete(n.missed, key)
	}
	incomplete := e.LinkAddr == "" || e.State == stack.Incomplete
	if incomplete && e.Addr.Len() != 16 {
		n.mu.Unlock()
		return
	}
	old, ok := n.known[key]
	if incomplete && ok {
		n.mu.Unlock()
		return
	}
	cur := nudEntry{static: e.State == stack.Static}
	if !incomplete {
		cur.mac = e.LinkAddr
	}
	if ok && old == cur {
		n.mu.Unlock()
		return
	}
	n.known[key] = cur
	n.mu.Unlock()
	typ := api.RTM_ADD
	if ok {
		typ = api.RTM_CHANGE
	}
	n.b.publish(neighborMessage(typ, nic, e.Addr, cur))
}

// missMessage is NetBSD's RTM_MISS for addr: resolving it on nic gave up
// (nic 0: there is no route to it).
func missMessage(nic tcpip.NICID, addr tcpip.Address) api.RouteMessage {
	a, _ := netip.AddrFromSlice(addr.AsSlice())
	m := api.RouteMessage{Type: api.RTM_MISS, Index: int(nic), Dst: a.String(), Flags: api.RTF_DONE}
	if nic != 0 {
		m.Gateway = linkName(nic)
	}
	return m
}

func neighborMessage(typ int, nic tcpip.NICID, addr tcpip.Address, e nudEntry) api.RouteMessage {
	a, _ := netip.AddrFromSlice(addr.AsSlice())
	m := api.RouteMessage{Type: typ, Index: int(nic), Dst: a.String(), Gateway: e.mac.String(),
		Flags: api.RTF_UP | api.RTF_HOST | api.RTF_DONE | api.RTF_LLDATA | api.RTF_CLONED}
	if e.mac == "" {
		m.Gateway = linkName(nic)
	}
	if e.static {
		m.Flags ^= api.RTF_CLONED | api.RTF_STATIC
	}
	if typ == api.RTM_DELETE {
		m.Flags &^= api.RTF_UP
	}
	return m
}
