package rump

// Media: a shmif interface has Ethernet media, as NetBSD's shmif has since
// it took ifmedia, with two subtypes: autoselect, and none, which takes
// the link down and drops what the stack sends until autoselect is chosen
// again. The other interfaces have no media.

import (
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// media is the interface's media subtype, "" for an interface without
// media.
func (ifp *Interface) media() string {
	switch {
	case ifp.cloner != "shmif":
		return ""
	case ifp.eth.noMedia.Load():
		return api.MediaNone
	}
	return api.MediaAuto
}

// SetMedia selects a shmif interface's media subtype: api.MediaAuto or
// api.MediaNone. ENOTTY for an interface without media, EINVAL for
// another subtype.
func (k *Kernel) SetMedia(name, media string) error {
	return k.withInterface(name, func(ifp *Interface) error {
		if ifp.cloner != "shmif" {
			return api.Errorf(syscall.ENOTTY, name+" has no media")
		}
		switch media {
		case api.MediaAuto:
			ifp.eth.noMedia.Store(false)
		case api.MediaNone:
			ifp.eth.noMedia.Store(true)
		default:
			return api.Errorf(syscall.EINVAL, "media "+media)
		}
		return nil
	})
}
