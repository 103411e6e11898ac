package rump

// Tunables: the kernel settings rsysctl reads and writes (net.inet.ip.ttl,
// net.inet.arp.keep, ...). Each one is applied to the stack when it is set,
// and to interfaces created later, so that writing a node changes what the
// kernel does, not just what it reports.

import (
	"fmt"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/shmif"
	"golang.org/x/time/rate"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// tunables holds the settings that the stack does not keep itself.
// Guarded by Kernel.mu.
type tunables struct {
	inetDAD  uint8         // net.inet.ip.dad_count
	inet6DAD uint8         // net.inet6.ip6.dad_count
	arpKeep  time.Duration // net.inet.arp.keep
	icmpPPS  int           // net.inet.icmp.errppslimit
	busSize  uint64        // net.shmif.bussize (shmif.go)
	// ndGCThresh is net.inet6.ip6.neighborgcthresh (neighgc.go).
	ndGCThresh int
	// noLinklocal is net.inet6.ip6.auto_linklocal=0: an interface that
	// comes up gets no IPv6 link-local address.
	noLinklocal bool
}

// Defaults, NetBSD's: an inet address given to an interface that is up
// probes three times before it is used.
var defaultTunables = tunables{inetDAD: 3, inet6DAD: 1, arpKeep: 1200 * time.Second, icmpPPS: 100, busSize: shmif.DefaultSize,
	ndGCThresh: defaultNDGCThresh}

// Tunable is one integer setting of the kernel.
type Tunable struct {
	Name string
	Get  func(k *Kernel) int
	Set  func(k *Kernel, v int) error // nil: read-only
}

// Tunables lists the kernel's integer settings, sorted by name.
func Tunables() []Tunable { return tunableTable }

var tunableTable = []Tunable{
	{"net.inet.arp.keep", func(k *Kernel) int { return k.locked(func() int { return int(k.tun.arpKeep / time.Second) }) },
		func(k *Kernel, v int) error {
			if v < 1 {
				return einval("net.inet.arp.keep", v)
			}
			k.mu.Lock()
			k.tun.arpKeep = time.Duration(v) * time.Second
			k.mu.Unlock()
			k.kickSweeper() // entries may be due sooner now
			return nil
		}},
	{"net.inet.icmp.errppslimit", func(k *Kernel) int { return k.locked(func() int { return k.tun.icmpPPS }) },
		func(k *Kernel, v int) error {
			if v < 0 {
				return einval("net.inet.icmp.errppslimit", v)
			}
			k.mu.Lock()
			k.tun.icmpPPS = v
			k.mu.Unlock()
			k.applyICMPLimit(v)
			return nil
		}},
	{"net.inet.ip.dad_count", func(k *Kernel) int { return k.locked(func() int { return int(k.tun.inetDAD) }) },
		func(k *Kernel, v int) error {
			if v < 0 || v > 10 {
				return einval("net.inet.ip.dad_count", v)
			}
			k.mu.Lock()
			k.tun.inetDAD = uint8(v)
			k.mu.Unlock()
			return nil
		}},
	{api.NodeIPForwarding, func(k *Kernel) int { return boolInt(k.Forwarding(4)) },
		func(k *Kernel, v int) error { return k.SetForwarding(4, v != 0) }},
	{"net.inet.ip.ttl", func(k *Kernel) int { return k.defaultTTL(ipv4.ProtocolNumber) },
		func(k *Kernel, v int) error { return k.setDefaultTTL(ipv4.ProtocolNumber, "net.inet.ip.ttl", v) }},
	{"net.inet.tcp.mssdflt", func(k *Kernel) int { return 536 }, nil},
	{"net.inet.tcp.recvspace", func(k *Kernel) int { return k.tcpBuffer(false) },
		func(k *Kernel, v int) error { return k.setTCPBuffer(false, v) }},
	{"net.inet.tcp.sendspace", func(k *Kernel) int { return k.tcpBuffer(true) },
		func(k *Kernel, v int) error { return k.setTCPBuffer(true, v) }},
	{"net.inet.tcp.small_servers", func(k *Kernel) int { return k.small.on(true) },
		func(k *Kernel, v int) error { return k.setSmallServers("net.inet.tcp.small_servers", true, v) }},
	{"net.inet.udp.recvspace", func(k *Kernel) int { return k.socketBuffer(false) },
		func(k *Kernel, v int) error { return k.setSocketBuffer(false, v) }},
	{"net.inet.udp.sendspace", func(k *Kernel) int { return k.socketBuffer(true) },
		func(k *Kernel, v int) error { return k.setSocketBuffer(true, v) }},
	{"net.inet.udp.small_servers", func(k *Kernel) int { return k.small.on(false) },
		func(k *Kernel, v int) error { return k.setSmallServers("net.inet.udp.small_servers", false, v) }},
	{"net.inet6.ip6.auto_linklocal", func(k *Kernel) int { return k.locked(func() int { return boolInt(!k.tun.noLinklocal) }) },
		func(k *Kernel, v int) error {
			k.mu.Lock()
			k.tun.noLinklocal = v == 0
			k.mu.Unlock()
			return nil
		}},
	{"net.inet6.ip6.dad_count", func(k *Kernel) int { return k.locked(func() int { return int(k.tun.inet6DAD) }) },
		func(k *Kernel, v int) error {
			if v < 0 || v > 10 {
				return einval("net.inet6.ip6.dad_count", v)
			}
			k.mu.Lock()
			defer k.mu.Unlock()
			k.tun.inet6DAD = uint8(v)
			for _, ifp := range k.ifaces {
				k.setDADLocked(ifp, k.dadTransmitsLocked(ifp))
			}
			return nil
		}},
	{api.NodeIP6Forwarding, func(k *Kernel) int { return boolInt(k.Forwarding(6)) },
		func(k *Kernel, v int) error { return k.SetForwarding(6, v != 0) }},
	{"net.inet6.ip6.hlim", func(k *Kernel) int { return k.defaultTTL(ipv6.ProtocolNumber) },
		func(k *Kernel, v int) error { return k.setDefaultTTL(ipv6.ProtocolNumber, "net.inet6.ip6.hlim", v) }},
	{"net.inet6.ip6.neighborgcthresh", func(k *Kernel) int { return k.locked(func() int { return k.tun.ndGCThresh }) },
		func(k *Kernel, v int) error { // any value; a negative one turns collection off
			k.mu.Lock()
			k.tun.ndGCThresh = v
			k.mu.Unlock()
			return nil
		}},
	{"net.shmif.bussize", (*Kernel).busSize, (*Kernel).setBusSize},
}

func einval(name string, v int) error {
	return api.Errorf(syscall.EINVAL, fmt.Sprintf("%s: %d out of range", name, v))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (k *Kernel) locked(f func() int) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return f()
}

func (k *Kernel) defaultTTL(proto tcpip.NetworkProtocolNumber) int {
	var ttl tcpip.DefaultTTLOption
	if err := k.stack.NetworkProtocolOption(proto, &ttl); err != nil {
		return 0
	}
	return int(ttl)
}

func (k *Kernel) setDefaultTTL(proto tcpip.NetworkProtocolNumber, name string, v int) error {
	if v < 1 || v > 255 {
		return einval(name, v)
	}
	opt := tcpip.DefaultTTLOption(v)
	if err := k.stack.SetNetworkProtocolOption(proto, &opt); err != nil {
		return api.Errorf(syscall.ENOENT, name+": "+err.String())
	}
	return nil
}

func (k *Kernel) tcpBuffer(send bool) int {
	if send {
		var o tcpip.TCPSendBufferSizeRangeOption
		k.stack.TransportProtocolOption(tcp.ProtocolNumber, &o)
		return o.Default
	}
	var o tcpip.TCPReceiveBufferSizeRangeOption
	k.stack.TransportProtocolOption(tcp.ProtocolNumber, &o)
	return o.Default
}

// setTCPBuffer sets the buffer size new TCP sockets start with, raising the
// maximum if needed.
func (k *Kernel) setTCPBuffer(send bool, v int) error {
	if v < 4096 || v > 64<<20 {
		return einval("net.inet.tcp buffer", v)
	}
	var err tcpip.Error
	if send {
		var o tcpip.TCPSendBufferSizeRangeOption
		k.stack.TransportProtocolOption(tcp.ProtocolNumber, &o)
		o.Default, o.Max = v, max(o.Max, v)
		err = k.stack.SetTransportProtocolOption(tcp.ProtocolNumber, &o)
	} else {
		var o tcpip.TCPReceiveBufferSizeRangeOption
		k.stack.TransportProtocolOption(tcp.ProtocolNumber, &o)
		o.Default, o.Max = v, max(o.Max, v)
		err = k.stack.SetTransportProtocolOption(tcp.ProtocolNumber, &o)
	}
	if err != nil {
		return api.Errorf(syscall.EINVAL, err.String())
	}
	return nil
}

func (k *Kernel) socketBuffer(send bool) int {
	if send {
		var o tcpip.SendBufferSizeOption
		k.stack.Option(&o)
		return o.Default
	}
	var o tcpip.ReceiveBufferSizeOption
	k.stack.Option(&o)
	return o.Default
}

// setSocketBuffer sets the default buffer of UDP (and ICMP and raw)
// sockets.
func (k *Kernel) setSocketBuffer(send bool, v int) error {
	if v < 4096 || v > 64<<20 {
		return einval("net.inet.udp buffer", v)
	}
	var err tcpip.Error
	if send {
		var o tcpip.SendBufferSizeOption
		k.stack.Option(&o)
		o.Default, o.Max = v, max(o.Max, v)
		err = k.stack.SetOption(o)
	} else {
		var o tcpip.ReceiveBufferSizeOption
		k.stack.Option(&o)
		o.Default, o.Max = v, max(o.Max, v)
		err = k.stack.SetOption(o)
	}
	if err != nil {
		return api.Errorf(syscall.EINVAL, err.String())
	}
	return nil
}

// applyICMPLimit limits ICMP error messages to pps per second; 0 means no
// limit, as in NetBSD.
func (k *Kernel) applyICMPLimit(pps int) {
	if pps == 0 {
		k.stack.SetICMPLimit(rate.Inf)
		return
	}
	k.stack.SetICMPLimit(rate.Limit(pps))
	k.stack.SetICMPBurst(pps)
}

// sweepNeighbors removes dynamic IPv4 neighbour entries not confirmed for
// longer than net.inet.arp.keep, as NetBSD expires ARP entries, and IPv6
// entries STALE for longer than ndpStaleLifetime (NetBSD's nd6_gctimer).
// It returns when the next entry that stays is due (the zero time if no
// entry can expire without a neighbour event first).
func (k *Kernel) sweepNeighbors() (next tcpip.MonotonicTime) {
	k.mu.Lock()
	keep := k.tun.arpKeep
	nics := make([]tcpip.NICID, 0, len(k.ifaces))
	for _, ifp := range k.ifaces {
		if ifp.eth != nil {
			nics = append(nics, ifp.nic)
		}
	}
	k.mu.Unlock()
	now := k.stack.Clock().NowMonotonic()
	due := func(t tcpip.MonotonicTime) {
		if next == (tcpip.MonotonicTime{}) || t.Before(next) {
			next = t
		}
	}
	for _, nic := range nics {
		entries, err := k.stack.Neighbors(nic, ipv4.ProtocolNumber)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.State == stack.Static {
				continue
			}
			if now.Sub(e.UpdatedAt) > keep {
				k.stack.RemoveNeighbor(nic, ipv4.ProtocolNumber, e.Addr)
				continue
			}
			due(e.UpdatedAt.Add(keep))
		}
		entries, err = k.stack.Neighbors(nic, ipv6.ProtocolNumber)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.State != stack.Stale {
				continue // it becomes STALE with an event, which wakes the sweeper
			}
			if now.Sub(e.UpdatedAt) > ndpStaleLifetime {
				k.stack.RemoveNeighbor(nic, ipv6.ProtocolNumber, e.Addr)
				continue
			}
			due(e.UpdatedAt.Add(ndpStaleLifetime))
		}
	}
	return next
}

// sweepInterval is the shortest time between two sweeps: an entry outlives
// net.inet.arp.keep by at most that (NetBSD's entry timer fires at keep;
// its t_arp checks two seconds later).
func sweepInterval(keep time.Duration) time.Duration {
	return min(max(keep/4, 250*time.Millisecond), time.Second)
}

// kickSweeper tells the sweeper to look again: an entry was added or
// changed state, or net.inet.arp.keep changed.
func (k *Kernel) kickSweeper() {
	select {
	case k.sweepKick <- struct{}{}:
	default:
	}
}

// neighborSweeper runs sweepNeighbors until done is closed: when the next
// entry is due (at least sweepInterval apart), and after a neighbour
// event. With no entry that can expire it sleeps until an event, so an
// idle kernel has no timer firing.
func (k *Kernel) neighborSweeper(done <-chan struct{}) {
	for {
		next := k.sweepNeighbors()
		var timer *time.Timer
		var due <-chan time.Time
		if next != (tcpip.MonotonicTime{}) {
			k.mu.Lock()
			every := sweepInterval(k.tun.arpKeep)
			k.mu.Unlock()
			timer = time.NewTimer(max(next.Sub(k.stack.Clock().NowMonotonic()), 0) + every)
			due = timer.C
		}
		select {
		case <-done:
		case <-k.sweepKick:
		case <-due:
		}
		if timer != nil {
			timer.Stop()
		}
		select {
		case <-done:
			return
		default:
		}
	}
}
