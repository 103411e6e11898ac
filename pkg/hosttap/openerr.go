package hosttap

// Why a tap could not be opened, said so that a person knows what to fix:
// the errno of TUNSETIFF alone does not tell a missing capability from a
// tap someone else owns, nor a busy tap from a name taken by another kind
// of device. The host is asked (linkKind) only after a refusal.

import (
	"errors"
	"fmt"
	"syscall"
)

// OpenError is a tap that could not be opened. It unwraps to the errno.
type OpenError struct {
	// Name is the tap's name.
	Name string
	// Err is the cause, an errno.
	Err error
	// Reason says why in a few words, "" when there is nothing to add to
	// the errno.
	Reason string
}

// Error returns "open tap tap0: device or resource busy (tap0 is held open
// by another process)".
func (e *OpenError) Error() string {
	msg := "open tap " + e.Name + ": " + e.Err.Error()
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	return msg
}

// Unwrap returns the errno.
func (e *OpenError) Unwrap() error { return e.Err }

// hostLink is what the host says about a device name.
type hostLink struct {
	found bool
	kind  string // "tun", "veth", ...; "" for a device without one
	tap   bool   // a tun device in tap mode
}

// attachError is the failure of TUNSETIFF for name, explained from what
// the host has under that name.
func attachError(name string, err error) *OpenError {
	var l hostLink
	var lerr error
	l.kind, l.tap, l.found, lerr = linkKind(name)
	if lerr != nil {
		l = hostLink{}
	}
	return &OpenError{Name: name, Err: err, Reason: attachReason(name, err, l)}
}

// attachReason says why TUNSETIFF refused name, given the device of that
// name on the host (l); "" when there is nothing more to say.
func attachReason(name string, err error, l hostLink) string {
	switch {
	case !l.found && errors.Is(err, syscall.EPERM):
		return "creating a tap needs CAP_NET_ADMIN"
	case !l.found:
		return ""
	case l.kind != "tun":
		kind := l.kind
		if kind == "" {
			kind = "network"
		}
		return fmt.Sprintf("%s exists and is a %s device, not a tap", name, kind)
	case !l.tap:
		return fmt.Sprintf("%s is a tun device, not a tap", name)
	case errors.Is(err, syscall.EBUSY):
		return fmt.Sprintf("%s is held open by another process", name)
	case errors.Is(err, syscall.EPERM):
		return fmt.Sprintf("%s belongs to another user; attaching needs CAP_NET_ADMIN", name)
	}
	return ""
}

// tunReason says why /dev/net/tun could not be opened.
func tunReason(err error) string {
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENODEV):
		return "no /dev/net/tun: the host needs the tun module"
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "/dev/net/tun is not open to this user"
	}
	return ""
}
