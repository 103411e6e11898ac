package hostbr

// Every test here runs inside a network namespace of its own, created
// in-process on a locked thread, so the bridges, dummies and veths it makes
// never reach the host's interfaces; the namespace, with every link in it,
// goes away when the test ends. Subtests would run on other threads,
// outside the namespace, so these tests loop instead.

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/rumpnet/rumpnet/internal/testkit/netnstest"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErrno fails unless err unwraps to e.
func wantErrno(t *testing.T, what string, err error, e syscall.Errno) {
	t.Helper()
	if !errors.Is(err, e) {
		t.Errorf("%s: got %v, want %v", what, err, api.ErrnoName(e))
	}
}

// wantExplained fails unless err is an *api.Explained with errno e whose
// sentence contains word.
func wantExplained(t *testing.T, what string, err error, e syscall.Errno, word string) {
	t.Helper()
	var ex *api.Explained
	if !errors.As(err, &ex) || ex.Errno != e || !strings.Contains(ex.Msg, word) {
		t.Errorf("%s: got %v, want an explained %v naming %q", what, err, api.ErrnoName(e), word)
	}
}

// addLink adds l in the current namespace, skipping the test if the kernel
// cannot make that kind of link.
func addLink(t *testing.T, l netlink.Link) {
	t.Helper()
	if err := netlink.LinkAdd(l); err != nil {
		testkit.Skip(t, "cannot add a %s link: %v", l.Type(), err)
	}
}

func attrs(name string) netlink.LinkAttrs {
	la := netlink.NewLinkAttrs()
	la.Name = name
	return la
}

func addBridge(t *testing.T, name string) {
	t.Helper()
	addLink(t, &netlink.Bridge{LinkAttrs: attrs(name)})
}

// addPort makes an Ethernet link to serve as a member: one end of a veth
// pair whose other end is name + "p" (kernels without the dummy driver
// still have veth).
func addPort(t *testing.T, name string) {
	t.Helper()
	addVeth(t, name, name+"p")
}

func addVeth(t *testing.T, a, b string) {
	t.Helper()
	addLink(t, &netlink.Veth{LinkAttrs: attrs(a), PeerName: b})
}

func setUp(t *testing.T, name string) {
	t.Helper()
	l, err := netlink.LinkByName(name)
	mustOK(t, "find "+name, err)
	mustOK(t, "up "+name, netlink.LinkSetUp(l))
}

func index(t *testing.T, name string) int {
	t.Helper()
	l, err := netlink.LinkByName(name)
	mustOK(t, "find "+name, err)
	return l.Attrs().Index
}

func status(t *testing.T, h *Host, name string) api.BridgeStatus {
	t.Helper()
	st, err := h.Status(name)
	mustOK(t, "Status("+name+")", err)
	return st
}

func findMember(st api.BridgeStatus, name string) (api.BridgeMember, bool) {
	for _, m := range st.Members {
		if m.Name == name {
			return m, true
		}
	}
	return api.BridgeMember{}, false
}

func findAddr(st api.BridgeStatus, mac string) (api.BridgeAddr, bool) {
	for _, a := range st.Cache {
		if a.MAC == mac {
			return a, true
		}
	}
	return api.BridgeAddr{}, false
}

// sendFrame writes one broadcast Ethernet frame from src out of ifname
// through a packet socket.
func sendFrame(t *testing.T, ifname, src string) {
	t.Helper()
	hw, err := net.ParseMAC(src)
	mustOK(t, "parse "+src, err)
	proto := int(htons(unix.ETH_P_ALL))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, proto)
	mustOK(t, "packet socket", err)
	defer unix.Close(fd)
	frame := make([]byte, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(frame[6:], hw)
	frame[12], frame[13] = 0x88, 0xb5 // local experimental EtherType
	to := &unix.SockaddrLinklayer{Ifindex: index(t, ifname), Protocol: htons(unix.ETH_P_ALL), Halen: 6}
	copy(to.Addr[:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	mustOK(t, "send a frame on "+ifname, unix.Sendto(fd, frame, 0, to))
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// learnFrom sends frames from mac out of ifname until the bridge's cache
// has mac: the port may still be coming up when the first one is sent.
func learnFrom(t *testing.T, h *Host, bridge, ifname, mac string) api.BridgeAddr {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		sendFrame(t, ifname, mac)
		time.Sleep(20 * time.Millisecond)
		if a, ok := findAddr(status(t, h, bridge), mac); ok {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared in the cache of %s", mac, bridge)
		}
	}
}

func TestBridgesAndFlags(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		names, err := h.Bridges()
		if err != nil || len(names) != 0 {
			t.Fatalf("Bridges in a fresh namespace: got %v, %v, want none", names, err)
		}
		addBridge(t, "bridge1")
		addPort(t, "bridge7") // a bridge's name, but not a bridge
		addBridge(t, "br0")
		names, err = h.Bridges()
		if err != nil || strings.Join(names, " ") != "bridge1 br0" {
			t.Errorf("Bridges: got %v, %v, want [bridge1 br0]", names, err)
		}
		flags, err := h.Flags("bridge1")
		if err != nil || flags&api.IFF_UP != 0 {
			t.Errorf("Flags(bridge1): got %#x, %v, want a down bridge", flags, err)
		}
		mustOK(t, "SetUp(bridge1, true)", h.SetUp("bridge1", true))
		if flags, err = h.Flags("bridge1"); err != nil || flags&api.IFF_UP == 0 {
			t.Errorf("Flags(bridge1) after up: got %#x, %v, want UP", flags, err)
		}
		mustOK(t, "SetUp(bridge1, false)", h.SetUp("bridge1", false))
		if flags, _ = h.Flags("bridge1"); flags&api.IFF_UP != 0 {
			t.Errorf("Flags(bridge1) after down: got %#x, want UP clear", flags)
		}

		_, err = h.Flags("bridge9")
		wantErrno(t, "Flags(bridge9)", err, syscall.ENXIO)
		_, err = h.Status("bridge9")
		wantErrno(t, "Status(bridge9)", err, syscall.ENXIO)
		wantErrno(t, "Do on bridge9", h.Do("bridge9", api.BridgeRequest{Op: api.BridgeFlush}), syscall.ENXIO)
		wantErrno(t, "SetUp(bridge9)", h.SetUp("bridge9", true), syscall.ENXIO)
		_, err = h.Flags("bridge7")
		wantExplained(t, "Flags(bridge7), a veth", err, syscall.EINVAL, "bridge7 is not a bridge")
	})
}

func TestMembers(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		addBridge(t, "bridge0")
		addBridge(t, "bridge1")
		addPort(t, "d0")
		addPort(t, "d1")
		addPort(t, "d2")
		add := func(m string) error { return h.Do("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: m}) }
		del := func(m string) error { return h.Do("bridge0", api.BridgeRequest{Op: api.BridgeDelete, Member: m}) }

		mustOK(t, "add d0", add("d0"))
		mustOK(t, "add d1", add("d1"))
		wantErrno(t, "add d0 again", add("d0"), syscall.EEXIST)
		wantErrno(t, "add nosuch0", add("nosuch0"), syscall.ENOENT)
		mustOK(t, "add d2 to bridge1", h.Do("bridge1", api.BridgeRequest{Op: api.BridgeAdd, Member: "d2"}))
		wantErrno(t, "add d2, a member of bridge1", add("d2"), syscall.EBUSY)
		wantErrno(t, "add bridge1", add("bridge1"), syscall.EINVAL)
		wantErrno(t, "add lo", add("lo"), syscall.EINVAL)

		st := status(t, h, "bridge0")
		var got []string
		for _, m := range st.Members {
			got = append(got, m.Name)
		}
		if strings.Join(got, " ") != "d1 d0" {
			t.Errorf("members: got %v, want [d1 d0], newest first", got)
		}
		for _, m := range st.Members {
			if m.Port != index(t, m.Name) || m.Flags != api.IFBIF_LEARNING|api.IFBIF_DISCOVER || m.State != api.STPDisabled {
				t.Errorf("member %+v: want port %d, flags LEARNING|DISCOVER, state disabled (down)", m, index(t, m.Name))
			}
		}

		wantErrno(t, "delete d2, not a member", del("d2"), syscall.ENOENT)
		wantErrno(t, "delete nosuch0", del("nosuch0"), syscall.ENOENT)
		mustOK(t, "delete d1", del("d1"))
		st = status(t, h, "bridge0")
		if len(st.Members) != 1 || st.Members[0].Name != "d0" {
			t.Errorf("members after delete d1: got %+v, want d0 alone", st.Members)
		}
		mustOK(t, "add d1 back", add("d1"))
	})
}

func TestMemberSettings(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		addBridge(t, "bridge0")
		addPort(t, "d0")
		addPort(t, "d1")
		do := func(req api.BridgeRequest) error { return h.Do("bridge0", req) }
		flag := func(m string, bit int, on bool) error {
			return do(api.BridgeRequest{Op: api.BridgeMemberFlag, Member: m, Value: bit, On: on})
		}
		mustOK(t, "add d0", do(api.BridgeRequest{Op: api.BridgeAdd, Member: "d0"}))
		mustOK(t, "add d1", do(api.BridgeRequest{Op: api.BridgeAdd, Member: "d1"}))
		steps := []struct {
			member    string
			bit       int
			on        bool
			wantFlags int
		}{
			{"d0", api.IFBIF_LEARNING, false, api.IFBIF_DISCOVER},
			{"d0", api.IFBIF_DISCOVER, false, 0},
			{"d0", api.IFBIF_PROTECTED, true, api.IFBIF_PROTECTED},
			{"d0", api.IFBIF_LEARNING, true, api.IFBIF_LEARNING | api.IFBIF_PROTECTED},
			{"d0", api.IFBIF_DISCOVER, true, api.IFBIF_LEARNING | api.IFBIF_DISCOVER | api.IFBIF_PROTECTED},
			{"d0", api.IFBIF_PROTECTED, false, api.IFBIF_LEARNING | api.IFBIF_DISCOVER},
			{"d0", api.IFBIF_STP, true, api.IFBIF_LEARNING | api.IFBIF_DISCOVER | api.IFBIF_STP},
		}
		for _, s := range steps {
			mustOK(t, "member flag", flag(s.member, s.bit, s.on))
			m, _ := findMember(status(t, h, "bridge0"), s.member)
			if m.Flags != s.wantFlags {
				t.Errorf("after setting %#x to %v: %s flags %#x, want %#x", s.bit, s.on, s.member, m.Flags, s.wantFlags)
			}
		}
		// Spanning tree is the bridge's: d1 has it too, and -stp on d1
		// turns it off for d0 as well.
		if m, _ := findMember(status(t, h, "bridge0"), "d1"); m.Flags&api.IFBIF_STP == 0 {
			t.Errorf("d1 after stp d0: flags %#x, want STP (Linux runs it per bridge)", m.Flags)
		}
		mustOK(t, "-stp d1", flag("d1", api.IFBIF_STP, false))
		if m, _ := findMember(status(t, h, "bridge0"), "d0"); m.Flags&api.IFBIF_STP != 0 {
			t.Errorf("d0 after -stp d1: flags %#x, want STP clear", m.Flags)
		}
		wantErrno(t, "learn on a non-member", flag("lo", api.IFBIF_LEARNING, true), syscall.ENOENT)
		wantErrno(t, "stp on a missing link", flag("nosuch0", api.IFBIF_STP, true), syscall.ENOENT)

		mustOK(t, "ifpriority d0 10", do(api.BridgeRequest{Op: api.BridgeIfPriority, Member: "d0", Value: 10}))
		mustOK(t, "ifpathcost d0 20", do(api.BridgeRequest{Op: api.BridgeIfPathCost, Member: "d0", Value: 20}))
		if m, _ := findMember(status(t, h, "bridge0"), "d0"); m.Priority != 10 || m.PathCost != 20 {
			t.Errorf("d0 priority %d path cost %d, want 10 and 20", m.Priority, m.PathCost)
		}
		wantExplained(t, "ifpriority d0 128", do(api.BridgeRequest{Op: api.BridgeIfPriority, Member: "d0", Value: 128}),
			syscall.ERANGE, "ifpriority: the Linux bridge takes port priorities from 0 to 63")
		wantExplained(t, "ifpathcost d0 0", do(api.BridgeRequest{Op: api.BridgeIfPathCost, Member: "d0", Value: 0}),
			syscall.ERANGE, "ifpathcost:")
		wantErrno(t, "ifpriority on a non-member", do(api.BridgeRequest{Op: api.BridgeIfPriority, Member: "lo", Value: 1}), syscall.ENOENT)
	})
}

func TestConfiguration(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		addBridge(t, "bridge0")
		do := func(op string, v int) error { return h.Do("bridge0", api.BridgeRequest{Op: op, Value: v}) }
		st := status(t, h, "bridge0")
		if st.Priority != 32768 || st.HelloTime != 2 || st.FwdDelay != 15 || st.MaxAge != 20 || st.Timeout != 300 || st.IPFilter || st.MaxAddr != 0 {
			t.Errorf("a new Linux bridge: got %+v, want priority 32768 hellotime 2 fwddelay 15 maxage 20 timeout 300", st)
		}
		mustOK(t, "priority 4096", do(api.BridgePriority, 4096))
		mustOK(t, "hellotime 3", do(api.BridgeHelloTime, 3))
		mustOK(t, "fwddelay 10", do(api.BridgeFwdDelay, 10))
		mustOK(t, "maxage 12", do(api.BridgeMaxAge, 12))
		mustOK(t, "timeout 600", do(api.BridgeTimeout, 600))
		st = status(t, h, "bridge0")
		if st.Priority != 4096 || st.HelloTime != 3 || st.FwdDelay != 10 || st.MaxAge != 12 || st.Timeout != 600 {
			t.Errorf("after the changes: got %+v, want priority 4096 hellotime 3 fwddelay 10 maxage 12 timeout 600", st)
		}
		wantErrno(t, "hellotime 0", do(api.BridgeHelloTime, 0), syscall.EINVAL)
		wantErrno(t, "maxage 0", do(api.BridgeMaxAge, 0), syscall.EINVAL)
		wantExplained(t, "hellotime 11", do(api.BridgeHelloTime, 11), syscall.ERANGE, "hellotime: the Linux bridge takes a hello time of 1 to 10 seconds")
		wantExplained(t, "maxage 41", do(api.BridgeMaxAge, 41), syscall.ERANGE, "maxage:")
		wantExplained(t, "timeout 0", do(api.BridgeTimeout, 0), syscall.EINVAL, "timeout:")
		wantExplained(t, "timeout too long", do(api.BridgeTimeout, maxTimeout+1), syscall.EINVAL, "timeout:")
		wantExplained(t, "maxaddr", do(api.BridgeMaxAddr, 50), syscall.EOPNOTSUPP, "maxaddr:")
		wantExplained(t, "ipf", h.Do("bridge0", api.BridgeRequest{Op: api.BridgeIPF, On: true}), syscall.EOPNOTSUPP, "ipf:")
		mustOK(t, "-ipf", h.Do("bridge0", api.BridgeRequest{Op: api.BridgeIPF}))
		wantErrno(t, "an unknown operation", do("frobnicate", 1), syscall.EINVAL)
	})
}

func TestCache(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		addBridge(t, "bridge0")
		addVeth(t, "veth0", "veth1")
		addPort(t, "d0")
		do := func(req api.BridgeRequest) error { return h.Do("bridge0", req) }
		mustOK(t, "add veth0", do(api.BridgeRequest{Op: api.BridgeAdd, Member: "veth0"}))
		mustOK(t, "add d0", do(api.BridgeRequest{Op: api.BridgeAdd, Member: "d0"}))
		mustOK(t, "bridge0 up", h.SetUp("bridge0", true))
		for _, n := range []string{"veth0", "veth1", "d0"} {
			setUp(t, n)
		}
		// The members' own addresses are not shown.
		for _, a := range status(t, h, "bridge0").Cache {
			if a.Flags&api.IFBAF_STATIC == 0 && a.Member == "d0" {
				t.Errorf("cache entry %+v: d0 sends nothing, want no learned entry on it", a)
			}
		}

		a := learnFrom(t, h, "bridge0", "veth1", "02:00:00:00:00:01")
		if a.Member != "veth0" || a.Flags != 0 || a.Expire < 295 || a.Expire > 300 {
			t.Errorf("learned entry: got %+v, want on veth0, not static, about 300 s left", a)
		}
		mustOK(t, "static d0 00:aa:aa:aa:aa:aa", do(api.BridgeRequest{Op: api.BridgeStatic, Member: "d0", MAC: "00:aa:aa:aa:aa:aa"}))
		mustOK(t, "static d0 over a learned entry", do(api.BridgeRequest{Op: api.BridgeStatic, Member: "d0", MAC: "02:00:00:00:00:01"}))
		st := status(t, h, "bridge0")
		for _, mac := range []string{"00:aa:aa:aa:aa:aa", "02:00:00:00:00:01"} {
			if a, ok := findAddr(st, mac); !ok || a.Member != "d0" || a.Flags != api.IFBAF_STATIC || a.Expire != 0 {
				t.Errorf("static entry %s: got %+v, %v, want on d0, STATIC, 0 s", mac, a, ok)
			}
		}
		wantErrno(t, "static on a non-member", do(api.BridgeRequest{Op: api.BridgeStatic, Member: "lo", MAC: "00:aa:aa:aa:aa:ab"}), syscall.ENOENT)

		learnFrom(t, h, "bridge0", "veth1", "02:00:00:00:00:02")
		mustOK(t, "flush", do(api.BridgeRequest{Op: api.BridgeFlush}))
		st = status(t, h, "bridge0")
		if _, ok := findAddr(st, "02:00:00:00:00:02"); ok {
			t.Errorf("after flush: learned entry still there: %+v", st.Cache)
		}
		if _, ok := findAddr(st, "00:aa:aa:aa:aa:aa"); !ok {
			t.Errorf("after flush: static entry gone: %+v", st.Cache)
		}

		mustOK(t, "deladdr 00:aa:aa:aa:aa:aa", do(api.BridgeRequest{Op: api.BridgeDelAddr, MAC: "00:aa:aa:aa:aa:aa"}))
		if _, ok := findAddr(status(t, h, "bridge0"), "00:aa:aa:aa:aa:aa"); ok {
			t.Errorf("after deladdr: entry still there")
		}
		wantErrno(t, "deladdr again", do(api.BridgeRequest{Op: api.BridgeDelAddr, MAC: "00:aa:aa:aa:aa:aa"}), syscall.ENOENT)
		l, _ := netlink.LinkByName("d0")
		wantErrno(t, "deladdr of a member's own address", do(api.BridgeRequest{Op: api.BridgeDelAddr, MAC: l.Attrs().HardwareAddr.String()}), syscall.ENOENT)

		learnFrom(t, h, "bridge0", "veth1", "02:00:00:00:00:03")
		mustOK(t, "flushall", do(api.BridgeRequest{Op: api.BridgeFlushAll}))
		// veth1's own address may be learned again at any time (its IPv6
		// sends on its own), so only the entries made above must be gone.
		for _, a := range status(t, h, "bridge0").Cache {
			if a.Flags&api.IFBAF_STATIC != 0 || strings.HasPrefix(a.MAC, "02:00:00:00:00:0") {
				t.Errorf("after flushall: entry %+v is still there", a)
			}
		}
		// The members' own addresses survive flushall: the bridge still
		// delivers to them.
		if entries, _ := fdbEntriesAll(index(t, "bridge0")); entries == 0 {
			t.Errorf("after flushall: the members' own entries are gone")
		}

		// Newest first: an entry learned later is listed earlier.
		learnFrom(t, h, "bridge0", "veth1", "02:00:00:00:00:05")
		time.Sleep(50 * time.Millisecond) // a few of the kernel's 10 ms ticks
		learnFrom(t, h, "bridge0", "veth1", "02:00:00:00:00:04")
		var order []string
		for _, a := range status(t, h, "bridge0").Cache {
			if strings.HasPrefix(a.MAC, "02:00:00:00:00:0") {
				order = append(order, a.MAC)
			}
		}
		if strings.Join(order, " ") != "02:00:00:00:00:04 02:00:00:00:00:05" {
			t.Errorf("cache order: got %v, want 02:00:00:00:00:04 (newer) first", order)
		}
		mustOK(t, "delete veth0", do(api.BridgeRequest{Op: api.BridgeDelete, Member: "veth0"}))
		if _, ok := findAddr(status(t, h, "bridge0"), "02:00:00:00:00:04"); ok {
			t.Errorf("after delete veth0: its entry is still there")
		}
	})
}

// fdbEntriesAll counts every entry of a bridge, local ones included.
func fdbEntriesAll(bridgeIdx int) (int, error) {
	all, err := netlink.NeighList(0, unix.AF_BRIDGE)
	n := 0
	for _, e := range all {
		if e.MasterIndex == bridgeIdx {
			n++
		}
	}
	return n, err
}
