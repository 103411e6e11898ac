package route

// route monitor: the kernel's routing messages as NetBSD's route prints
// them (print_rtmsg), each after "got message of size N on <ctime>". The
// length is the one the message would have on NetBSD/amd64: its header
// and each address rounded up to 8 bytes.

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// watcher is the backend of route monitor; client.Client is one.
type watcher interface {
	WatchRoutes(ctx context.Context) (*client.RouteMonitor, error)
}

// parseMonitor reads monitor's only qualifier, -c count.
func (r *request) parseMonitor(args []string) error {
	if len(args) == 0 {
		return nil
	}
	if len(args) != 2 || args[0] != "-c" {
		return botched(args[0])
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 0 {
		n = 0 // atoi's reading: what is not a count is 0, no limit
	}
	r.count = n
	return nil
}

// monitor prints routing messages until count of them (0: forever).
func (x *executor) monitor() int {
	w, ok := x.b.(watcher)
	if !ok {
		x.t.Warnx("monitor: the backend sends no routing messages")
		return 1
	}
	m, err := w.WatchRoutes(context.Background())
	if err != nil {
		return x.t.Report(cli.Fail("monitor", err))
	}
	defer m.Close()
	for i := 0; x.r.count == 0 || i < x.r.count; i++ {
		msg, err := m.Next()
		if err == io.EOF {
			return 0
		}
		if err != nil {
			return x.t.Report(cli.Fail("read from routing socket", err))
		}
		if msg.Dropped > 0 {
			x.t.Warnx("routing socket overflow: %d messages lost", msg.Dropped)
		}
		printMessage(x.t.Stdout, msg, time.Now(), x.names())
	}
	return 0
}

// NetBSD's names of the bits, lowest first.
var (
	routeFlagNames = []string{"UP", "GATEWAY", "HOST", "REJECT", "DYNAMIC", "MODIFIED", "DONE",
		"MASK_PRESENT", "CONNECTED", "XRESOLVE", "LLINFO", "STATIC", "BLACKHOLE", "CLONED",
		"PROTO2", "PROTO1", "", "", "LOCAL", "BROADCAST"}
	ifFlagNames = []string{"UP", "BROADCAST", "DEBUG", "LOOPBACK", "PTP", "NOTRAILERS", "RUNNING",
		"NOARP", "PROMISC", "ALLMULTI", "OACTIVE", "SIMPLEX", "LINK0", "LINK1", "LINK2", "MULTICAST"}
	addrNames = []string{"DST", "GATEWAY", "NETMASK", "GENMASK", "IFP", "IFA", "AUTHOR", "BRD", "TAG"}
)

// msgTypes are route's words for the message types it prints.
var msgTypes = map[int]string{
	api.RTM_ADD:     "RTM_ADD: Add Route",
	api.RTM_DELETE:  "RTM_DELETE: Delete Route",
	api.RTM_CHANGE:  "RTM_CHANGE: Change Metrics, Flags or Gateway",
	api.RTM_GET:     "RTM_GET: Report Metrics",
	api.RTM_MISS:    "RTM_MISS: Lookup failed on this address",
	api.RTM_NEWADDR: "RTM_NEWADDR: address being added to iface",
	api.RTM_DELADDR: "RTM_DELADDR: address being removed from iface",
	api.RTM_IFINFO:  "RTM_IFINFO: iface status change",

	api.RTM_IFANNOUNCE: "RTM_IFANNOUNCE: iface arrival/departure",
}

// bprint is route's bprintf: "<UP,GATEWAY>", "none" for no bits.
func bprint(b int, names []string) string {
	if b == 0 {
		return "none"
	}
	var on []string
	for i, n := range names {
		if b&(1<<i) != 0 && n != "" {
			on = append(on, n)
		}
	}
	if len(on) == 0 {
		return ""
	}
	return "<" + strings.Join(on, ",") + ">"
}

// printMessage prints one message as route monitor does.
func printMessage(w io.Writer, m api.RouteMessage, now time.Time, names rtutil.Resolver) {
	n := messageLen(m)
	fmt.Fprintf(w, "got message of size %d on %s\n", n, now.Format("Mon Jan _2 15:04:05 2006"))
	typ, ok := msgTypes[m.Type]
	if !ok {
		typ = fmt.Sprintf("#%d", m.Type)
	}
	fmt.Fprintf(w, "%s: len %d, ", typ, n)
	switch m.Type {
	case api.RTM_IFANNOUNCE:
		what := m.What
		if what != api.IfArrival && what != api.IfDeparture {
			what = "#" + what
		}
		fmt.Fprintf(w, "if# %d, what: %s\n", m.Index, what)
		return
	case api.RTM_IFINFO:
		fmt.Fprintf(w, "if# %d, %s, flags: %s", m.Index, carrier(m.LinkState), bprint(m.Flags, ifFlagNames))
	case api.RTM_NEWADDR, api.RTM_DELADDR:
		fmt.Fprintf(w, "metric %d, flags: %s", 0, bprint(m.Flags, routeFlagNames))
	default:
		fmt.Fprintf(w, "pid %d, seq %d, errno %d, flags: %s", 0, 0, 0, bprint(m.Flags, routeFlagNames))
		fmt.Fprintf(w, "\nlocks: %s inits: %s", bprint(0, nil), bprint(0, nil))
	}
	printAddrs(w, m, names)
}

func carrier(state string) string {
	switch state {
	case api.LinkStateUp:
		return "carrier: active"
	case api.LinkStateDown:
		return "carrier: no carrier"
	}
	return "carrier: unknown"
}

// printAddrs is route's pmsg_addrs: the address bits, then the addresses.
func printAddrs(w io.Writer, m api.RouteMessage, names rtutil.Resolver) {
	if a := m.Addrs(); a != 0 {
		fmt.Fprintf(w, "\nsockaddrs: %s\n", bprint(a, addrNames))
		for _, s := range []string{m.Dst, m.Gateway, m.Netmask, m.IFP, m.IFA, m.Brd} {
			if s == "" {
				continue
			}
			if s != m.Netmask && s != m.IFP {
				s = addrName(s, names)
			}
			fmt.Fprintf(w, " %s", s)
		}
	}
	fmt.Fprintln(w)
}

// addrName is routename: a numeric address named, anything else (a link
// address) as it is.
func addrName(s string, names rtutil.Resolver) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return s
	}
	return rtutil.Routename(a.WithZone(""), a.Zone(), names)
}

// Sizes of NetBSD/amd64's message headers.
const (
	rtMsgLen   = 120 // struct rt_msghdr
	ifaMsgLen  = 32  // struct ifa_msghdr
	ifMsgLen   = 152 // struct if_msghdr
	ifanMsgLen = 24  // struct if_announcemsghdr
	sockaddrDL = 8   // struct sockaddr_dl before its name and address
)

// messageLen is the length of m as NetBSD would send it.
func messageLen(m api.RouteMessage) int {
	n := rtMsgLen
	switch m.Type {
	case api.RTM_IFANNOUNCE:
		return ifanMsgLen
	case api.RTM_IFINFO:
		n = ifMsgLen
	case api.RTM_NEWADDR, api.RTM_DELADDR:
		n = ifaMsgLen
	}
	family := m.Dst
	if family == "" {
		family = m.IFA
	}
	for _, s := range []string{m.Dst, m.Gateway, m.Netmask, m.IFA, m.Brd} {
		if s != "" {
			n += sockaddrLen(s, family)
		}
	}
	if m.IFP != "" {
		n += roundup(sockaddrDL + len(m.IFP) + 6)
	}
	return n
}

func sockaddrLen(s, family string) int {
	a, err := netip.ParseAddr(s)
	if err != nil {
		if strings.HasPrefix(s, "link#") {
			return roundup(sockaddrDL)
		}
		return roundup(sockaddrDL + 6) // a MAC address
	}
	if f, err := netip.ParseAddr(family); err == nil && a.Is4() != f.Is4() {
		a = f
	}
	if a.Is4() {
		return 16
	}
	return roundup(28)
}

func roundup(n int) int { return (n + 7) &^ 7 }
