package rump

import (
	"errors"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/hosttap"
)

// tapError is the failure to open the host tap of virt interface ifname,
// written for the person at the terminal, as the tools print it:
//
//	virt0: cannot open tap0: Operation not permitted (creating a tap needs CAP_NET_ADMIN)
//	virt0: cannot open tap0: Device busy (tap0 is held open by another process; name another tap with linkstr)
//
// byUnit is true when the tap's name came from the unit number, not from a
// linkstr: then a tap that is busy or not a tap can be avoided by naming
// another, and the message says how.
func tapError(ifname, tap string, err error, byUnit bool) error {
	errno := api.ErrnoOf(err)
	reason := ""
	var oe *hosttap.OpenError
	if errors.As(err, &oe) {
		reason = oe.Reason
	}
	if byUnit && (errno == syscall.EBUSY || errno == syscall.EINVAL && reason != "") {
		if reason != "" {
			reason += "; "
		}
		reason += "name another tap with linkstr"
	}
	if reason != "" {
		reason = " (" + reason + ")"
	}
	return api.Explainf(errno, "%s: cannot open %s: %s%s", ifname, tap, api.Strerror(errno), reason)
}
