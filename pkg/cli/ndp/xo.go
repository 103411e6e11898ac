package ndp

import (
	"net/netip"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// emitLine writes one entry as FreeBSD's ndp does with libxo: a
// "neighbor-cache" instance with address (the name, as the text shows it),
// mac-address ("(incomplete)" while unresolved), interface, expires_sec or
// permanent, neighbor-state (the state letter) and nd-flags (always empty:
// the rump kernel neither routes through neighbours it lists as routers nor
// proxies).
func (x *executor) emitLine(n api.Neighbor) {
	a, _ := netip.ParseAddr(n.Addr)
	w := x.xw
	w.OpenInstance("neighbor-cache")
	w.Emit("address", x.name(a, n.Interface))
	ll := n.LinkAddr
	if ll == "" {
		ll = "(incomplete)"
	}
	w.Emit("mac-address", ll)
	w.Emit("interface", n.Interface)
	if n.Permanent {
		w.Emit("permanent", true)
	} else {
		w.Emit("expires_sec", n.Expire)
	}
	state, ok := stateLetters[n.State]
	if !ok {
		state = "?"
	}
	w.Emit("neighbor-state", state)
	w.Emit("nd-flags", "")
	w.CloseInstance("neighbor-cache")
}

// startXo opens FreeBSD ndp's document: a "__version" and an "ndp"
// container holding the "neighbor-cache" list.
func (x *executor) startXo() {
	x.xw = xo.NewWriter(x.t.Stdout, x.r.xo)
	x.xw.Emit("__version", "1")
	x.xw.Open("ndp")
}

// finishXo closes the document and writes it.
func (x *executor) finishXo() error {
	x.xw.Close("ndp")
	return x.xw.Finish()
}
