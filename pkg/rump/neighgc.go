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

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// ndGCBatch is how many entries one collection removes at most (NetBSD's
// nd6_gc_neighbors).
const ndGCBatch = 10

// defaultNDGCThresh is net.inet6.ip6.neighborgcthresh's NetBSD default.
const defaultNDGCThresh = 2048

// neighborGC queues the IPv6 entries gVisor made, for the collector.
type neighborGC struct {
	mu      sync.Mutex
	pending []nudKey
	kick    chan struct{} // one token: the queue is not empty
}

func newNeighborGC() *neighborGC { return &neighborGC{kick: make(chan struct{}, 1)} }

// added notes a new entry; it never blocks.
func (g *neighborGC) added(nic tcpip.NICID, e stack.NeighborEntry) {
	if g == nil || e.Addr.Len() != 16 || e.State == stack.Static {
		return
	}
	g.mu.Lock()
	g.pending = append(g.pending, nudKey{nic, e.Addr})
	g.mu.Unlock()
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// take empties the queue.
func (g *neighborGC) take() []nudKey {
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
			for _, key := range k.ngc.take() {
				k.collectNeighbors(key.nic, key.addr)
			}
		}
	}
}

// collectNeighbors applies net.inet6.ip6.neighborgcthresh to nic's IPv6
// entries after the entry for made was made.
func (k *Kernel) collectNeighbors(nic tcpip.NICID, made tcpip.Address) {
	k.mu.Lock()
	thresh := k.tun.ndGCThresh
	k.mu.Unlock()
	entries, err := k.stack.Neighbors(nic, ipv6.ProtocolNumber)
	if err != nil {
		return
	}
	for _, a := range gcVictims(entries, made, thresh) {
		k.stack.RemoveNeighbor(nic, ipv6.ProtocolNumber, a)
	}
}

// gcVictims picks the entries to remove when made was added to an
// interface whose entries are now entries: none if the others number
// fewer than thresh (or thresh is negative, which turns collection off);
// otherwise up to ndGCBatch dynamic ones other than made, least recently
// updated first. Entries updated after made are left alone: collection
// runs a little after the entry is made, and NetBSD collects before the
// entries that come later exist. None go if made is already gone.
func gcVictims(entries []stack.NeighborEntry, made tcpip.Address, thresh int) []tcpip.Address {
	if thresh < 0 {
		return nil
	}
	i := slices.IndexFunc(entries, func(e stack.NeighborEntry) bool { return e.Addr == made })
	if i < 0 || len(entries)-1 < thresh {
		return nil
	}
	madeAt := entries[i].UpdatedAt
	var older []stack.NeighborEntry
	for _, e := range entries {
		if e.Addr != made && e.State != stack.Static && !madeAt.Before(e.UpdatedAt) {
			older = append(older, e)
		}
	}
	slices.SortStableFunc(older, func(a, b stack.NeighborEntry) int { return cmp.Compare(a.UpdatedAt.Sub(b.UpdatedAt), 0) })
	var out []tcpip.Address
	for _, e := range older[:min(len(older), ndGCBatch)] {
		out = append(out, e.Addr)
	}
	return out
}
