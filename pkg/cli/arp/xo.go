package arp

import (
	"io"
	"net/netip"
	"strings"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// shownEntry is one line of arp -a: the entry and its name.
type shownEntry struct {
	host string
	addr netip.Addr
	n    api.Neighbor
}

// emitEntries writes entries as FreeBSD's arp -a does with libxo: an "arp"
// container with an "arp-cache" list. The keys are FreeBSD's: hostname,
// ip-address, mac-address or incomplete, interface, permanent or expires
// (seconds), published, type.
func emitEntries(w io.Writer, o xo.Options, entries []shownEntry) error {
	x := xo.NewWriter(w, o)
	x.Emit("__version", "1")
	x.Open("arp")
	for _, e := range entries {
		x.OpenInstance("arp-cache")
		x.Emit("hostname", e.host)
		x.Emit("ip-address", e.addr.String())
		if e.n.LinkAddr != "" {
			x.Emit("mac-address", e.n.LinkAddr)
		} else {
			x.Emit("incomplete", true)
		}
		if e.n.Interface != "" {
			x.Emit("interface", e.n.Interface)
		}
		if e.n.Permanent {
			x.Emit("permanent", true)
		} else if e.n.Expire > 0 {
			x.Emit("expires", e.n.Expire)
		}
		if e.n.Published {
			x.Emit("published", true)
		}
		typ := "ethernet"
		if strings.HasPrefix(e.n.Interface, "bridge") {
			typ = "bridge"
		}
		x.Emit("type", typ)
		x.CloseInstance("arp-cache")
	}
	x.Close("arp")
	return x.Finish()
}
