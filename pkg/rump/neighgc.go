package rump

// Count-based collection of IPv6 neighbour entries, as NetBSD's
// net.inet6.ip6.neighborgcthresh: when an entry is made on an interface
// that already has at least that many, up to ndGCBatch dynamic entries
// other than the new one go. NetBSD turns them stale with an expired
// timer (incomplete ones are purged), which frees them at once; here they
// are removed. NetBSD takes them in its hash table's order and notes that
// the least recently used should go first; here the least recently
// updated go first. gVisor's own cache also evicts, by itself, once an
// interface has stack.NeighborCacheSize dynamic entries, so a threshold
// above that acts as that size. IPv4 has no such setting in NetBSD
// (net.inet.arp has none), and none here.
//
// gVisor reports a new entry while it holds the entry's lock, so the
// report only queues the entry; a goroutine of the kernel collects.

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// ndGCBatch is how many entries one collection removes at most (NetBSD's
// nd6_gc_neighbors).
const ndGCBatch = 10

// defaultNDGCThresh is net.inet6.ip6.neighborgcthresh's NetBSD default.
const defaultNDGCThresh = 2048

// neighborGC queues the IPv6 entries gVisor made, for the collector, and
// numbers every entry in the order it was made: collection happens a
// little after an entry is made, and only the entries made before it are
// counted and may go, as when NetBSD collects while it makes the entry.
type neighborGC struct {
	mu      sync.Mutex
	seq     uint64
	born    map[nudKey]uint64 // each dynamic entry's number
	pending []gcMade
	kick    chan struct{} // one token: the queue is not empty
	queued  atomic.Uint64 // entries queued, ever
	done    atomic.Uint64 // entries collected after, ever (tests wait for done == queued)
}

// gcMade is a new entry waiting for collection, with its number.
type gcMade struct {
	key nudKey
	seq uint64
}

func newNeighborGC() *neighborGC {
	return &neighborGC{kick: make(chan struct{}, 1), born: map[nudKey]uint64{}}
}

// added notes a new entry; it never blocks.
func (g *neighborGC) added(nic tcpip.NICID, e stack.NeighborEntry) {
	if g == nil || e.Addr.Len() != 16 || e.State == stack.Static {
		return
	}
	key := nudKey{nic, e.Addr}
	g.mu.Lock()
	g.seq++
	g.born[key] = g.seq
	g.pending = append(g.pending, gcMade{key, g.seq})
	g.queued.Add(1)
	g.mu.Unlock()
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// removed forgets an entry's number.
func (g *neighborGC) removed(nic tcpip.NICID, addr tcpip.Address) {
	if g == nil {
		return
	}
	g.mu.Lock()
	delete(g.born, nudKey{nic, addr})
	g.mu.Unlock()
}

// madeBefore reports whether nic's entry for addr was made before the
// entry numbered seq; entries without a number (made static, or before
// anything was counted) are older than all.
func (g *neighborGC) madeBefore(nic tcpip.NICID, addr tcpip.Address, seq uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, ok := g.born[nudKey{nic, addr}]
	return !ok || n < seq
}

// take empties the queue.
func (g *neighborGC) take() []gcMade {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pending
	g.pending = nil
	return p
}

// neighborCollector collects after each new IPv6 entry until done is
// closed.
func (k *Kernel) neighborCollector(done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-k.ngc.kick:
			for _, m := range k.ngc.take() {
				k.collectNeighbors(m)
				k.ngc.done.Add(1)
			}
		}
	}
}

// collectNeighbors applies net.inet6.ip6.neighborgcthresh to the IPv6
// entries of m's interface after m's entry was made.
func (k *Kernel) collectNeighbors(m gcMade) {
	k.mu.Lock()
	thresh := k.tun.ndGCThresh
	k.mu.Unlock()
	nic, made := m.key.nic, m.key.addr
	entries, err := k.stack.Neighbors(nic, ipv6.ProtocolNumber)
	if err != nil {
		return
	}
	older := func(a tcpip.Address) bool { return k.ngc.madeBefore(nic, a, m.seq) }
	for _, a := range gcVictims(entries, made, thresh, older) {
		k.stack.RemoveNeighbor(nic, ipv6.ProtocolNumber, a)
	}
}

// gcVictims picks the entries to remove when made was added to an
// interface whose entries are now entries, of which those made before it
// are the ones older reports: none if those number fewer than thresh (or
// thresh is negative, which turns collection off); otherwise up to
// ndGCBatch dynamic ones among them, least recently updated first. None
// go if made is already gone.
func gcVictims(entries []stack.NeighborEntry, made tcpip.Address, thresh int, older func(tcpip.Address) bool) []tcpip.Address {
	if thresh < 0 || !slices.ContainsFunc(entries, func(e stack.NeighborEntry) bool { return e.Addr == made }) {
		return nil
	}
	var before []stack.NeighborEntry
	n := 0
	for _, e := range entries {
		if e.Addr == made || !older(e.Addr) {
			continue
		}
		n++
		if e.State != stack.Static {
			before = append(before, e)
		}
	}
	if n < thresh {
		return nil
	}
	slices.SortStableFunc(before, func(a, b stack.NeighborEntry) int { return cmp.Compare(a.UpdatedAt.Sub(b.UpdatedAt), 0) })
	var out []tcpip.Address
	for _, e := range before[:min(len(before), ndGCBatch)] {
		out = append(out, e.Addr)
	}
	return out
}
