package hostbr

// Bridge-wide settings: spanning tree timers and priority, the cache's
// ageing time, and the settings Linux has no counterpart for.

import (
	"errors"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
)

// maxTimeout is the longest ageing time, in seconds, that fits the
// kernel's 32-bit tick count.
const maxTimeout = 0xffffffff / ticksPerSecond

// linuxRanges says, per command, what the Linux bridge accepts; it is the
// sentence rbrconfig prints when the kernel answers ERANGE.
var linuxRanges = map[string]string{
	"hellotime":  "a hello time of 1 to 10 seconds",
	"maxage":     "a max age of 6 to 40 seconds",
	"fwddelay":   "a forward delay of 2 to 30 seconds while spanning tree runs",
	"ifpriority": "port priorities from 0 to 63",
	"ifpathcost": "path costs from 1 to 65535",
}

func rangeError(cmd string) error {
	return api.Explainf(syscall.ERANGE, "%s: the Linux bridge takes %s", cmd, linuxRanges[cmd])
}

// setTime sets one of the spanning tree timers, given in seconds. 0 is
// EINVAL, as on NetBSD.
func setTime(br *netlink.Bridge, cmd string, attr int, secs int) error {
	if secs == 0 {
		return api.Errorf(syscall.EINVAL, cmd+" 0")
	}
	err := writeBridgeAttr(br.Attrs().Index, attr, nl.Uint32Attr(uint32(secs*ticksPerSecond)))
	if errors.Is(err, syscall.ERANGE) {
		return rangeError(cmd)
	}
	if err != nil {
		return kernelError(err, cmd)
	}
	return nil
}

// setTimeout sets the ageing time of learned entries.
func setTimeout(br *netlink.Bridge, secs int) error {
	switch {
	case secs == 0:
		return api.Explainf(syscall.EINVAL, "timeout: the Linux bridge cannot keep learned addresses for ever (an ageing time of 0 stops learning); give a number of seconds")
	case secs > maxTimeout:
		return api.Explainf(syscall.EINVAL, "timeout: the Linux bridge takes at most %d seconds", maxTimeout)
	}
	if err := writeBridgeAttr(br.Attrs().Index, nl.IFLA_BR_AGEING_TIME, nl.Uint32Attr(uint32(secs*ticksPerSecond))); err != nil {
		return kernelError(err, "timeout")
	}
	return nil
}

// setPriority sets the bridge's spanning tree priority.
func setPriority(br *netlink.Bridge, prio int) error {
	if err := writeBridgeAttr(br.Attrs().Index, nl.IFLA_BR_PRIORITY, nl.Uint16Attr(uint16(prio))); err != nil {
		return kernelError(err, "priority")
	}
	return nil
}
