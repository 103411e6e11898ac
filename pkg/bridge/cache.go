package bridge

// The address cache: which member a station's MAC address was last seen on.
// The map and the entries' port and static fields are guarded by Bridge.mu;
// an entry's seen time is atomic so that the frame path can refresh a known
// station under the read lock. Times are nanoseconds since Bridge.epoch.
//
// As in NetBSD every entry, static or not, counts against maxaddr; learning
// a new station into a full cache fails (the frame is still forwarded);
// static entries are never aged, moved or trimmed; a shrinking maxaddr
// removes dynamic entries newest first. Entries leave at the first Tick
// after they expire, rather than at a five-minute sweep.

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// entry is one cache entry.
type entry struct {
	addr   mac
	port   *port
	static bool
	seq    uint64       // insertion order; status lists newest first
	seen   atomic.Int64 // last time the station was heard, for aging
}

// cache is the bridge's address table.
type cache struct {
	m       map[mac]*entry
	max     int           // maxaddr
	timeout time.Duration // 0: dynamic entries never age
	seq     uint64
}

func newCache() cache {
	return cache{
		m:       make(map[mac]*entry),
		max:     api.BridgeDefaultMaxAddr,
		timeout: api.BridgeDefaultTimeout * time.Second,
	}
}

// agingLimits says when dynamic entries expire: after timeout (0: never)
// and, during a spanning-tree topology change, after short (0: no change).
type agingLimits struct {
	timeout time.Duration
	short   time.Duration
}

// agingLimitsLocked returns the aging in force now.
func (b *Bridge) agingLimitsLocked() agingLimits {
	l := agingLimits{timeout: b.cache.timeout}
	if b.up && b.stp.tc {
		l.short = b.stp.fwdDelay
	}
	return l
}

// left returns how long a dynamic entry last seen at seen has until it
// expires at time now, and false if it never does.
func (l agingLimits) left(seen, now int64) (time.Duration, bool) {
	age := time.Duration(now - seen)
	var left time.Duration
	ok := false
	if l.timeout > 0 {
		left, ok = l.timeout-age, true
	}
	if l.short > 0 && (!ok || l.short-age < left) {
		left, ok = l.short-age, true
	}
	return left, ok
}

// refresh is the frame path's half of learning, under the read lock: it
// reports whether src on p needs nothing more (known on p, static, or not
// learnable because the cache is full). Otherwise the caller calls learn
// under the write lock.
func (c *cache) refresh(src mac, p *port, now int64, full *atomic.Uint64) bool {
	e := c.m[src]
	switch {
	case e == nil:
		if len(c.m) >= c.max {
			full.Add(1)
			return true
		}
		return false
	case e.static:
		return true
	case e.port == p:
		e.seen.Store(now)
		return true
	}
	return false
}

// learn records that src was heard on p, under the write lock.
func (c *cache) learn(src mac, p *port, now int64, full *atomic.Uint64) {
	e := c.m[src]
	switch {
	case e == nil:
		if len(c.m) >= c.max {
			full.Add(1)
			return
		}
		c.insert(src, p, false).seen.Store(now)
	case e.static:
	default:
		e.port = p
		e.seen.Store(now)
	}
}

// insert adds a new entry.
func (c *cache) insert(addr mac, p *port, static bool) *entry {
	c.seq++
	e := &entry{addr: addr, port: p, static: static, seq: c.seq}
	c.m[addr] = e
	return e
}

// lookup returns the member addr was last seen on, or nil.
func (c *cache) lookup(addr mac) *port {
	if e := c.m[addr]; e != nil {
		return e.port
	}
	return nil
}

// setStatic makes addr a static entry on p. An existing dynamic entry
// becomes static on p; an existing static entry is left as it is. It
// reports false if a new entry would exceed maxaddr.
func (c *cache) setStatic(addr mac, p *port) bool {
	if e := c.m[addr]; e != nil {
		if !e.static {
			e.static = true
			e.port = p
		}
		return true
	}
	if len(c.m) >= c.max {
		return false
	}
	c.insert(addr, p, true)
	return true
}

// remove deletes addr's entry and reports whether there was one.
func (c *cache) remove(addr mac) bool {
	if _, ok := c.m[addr]; !ok {
		return false
	}
	delete(c.m, addr)
	return true
}

// flush deletes the dynamic entries, and the static ones too with all.
func (c *cache) flush(all bool) {
	for a, e := range c.m {
		if all || !e.static {
			delete(c.m, a)
		}
	}
}

// deletePort deletes p's dynamic entries, and its static ones too with all.
func (c *cache) deletePort(p *port, all bool) {
	for a, e := range c.m {
		if e.port == p && (all || !e.static) {
			delete(c.m, a)
		}
	}
}

// age deletes the dynamic entries that have expired at time now.
func (c *cache) age(now int64, l agingLimits) {
	if l.timeout == 0 && l.short == 0 {
		return
	}
	for a, e := range c.m {
		if e.static {
			continue
		}
		if left, ok := l.left(e.seen.Load(), now); ok && left <= 0 {
			delete(c.m, a)
		}
	}
}

// trim ages the cache and then deletes dynamic entries, newest first,
// until it holds at most max entries.
func (c *cache) trim(now int64, l agingLimits) {
	c.age(now, l)
	if len(c.m) <= c.max {
		return
	}
	for _, e := range c.newestFirst() {
		if len(c.m) <= c.max {
			return
		}
		if !e.static {
			delete(c.m, e.addr)
		}
	}
}

// newestFirst returns the entries in the order brconfig lists them.
func (c *cache) newestFirst() []*entry {
	es := make([]*entry, 0, len(c.m))
	for _, e := range c.m {
		es = append(es, e)
	}
	slices.SortFunc(es, func(x, y *entry) int {
		switch {
		case x.seq > y.seq:
			return -1
		case x.seq < y.seq:
			return 1
		}
		return 0
	})
	return es
}
