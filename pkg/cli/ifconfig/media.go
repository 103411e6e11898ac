package ifconfig

// Media: "media autoselect" and "media none" on an interface that has
// media (a rump shmif); the media line of the status output.

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// mediaSubtypes are the Ethernet media subtype words an interface with
// media takes, NetBSD's spellings (any case), and the subtype each means.
var mediaSubtypes = map[string]string{
	"autoselect": api.MediaAuto, "auto": api.MediaAuto, "none": api.MediaNone,
}

// mediaRequest checks the media words of a command line against the
// interface and returns the subtype to select, "" for none. As NetBSD's
// ifconfig: an interface without media fails SIOCGIFMEDIA with ENOTTY,
// one media word at most, and an unknown subtype is named.
func mediaRequest(ifc api.Interface, words [][2]string) (string, error) {
	if len(words) == 0 {
		return "", nil
	}
	if ifc.Media == "" {
		return "", cli.Fail("SIOCGIFMEDIA", api.Errorf(syscall.ENOTTY, ifc.Name+" has no media"))
	}
	media := ""
	for _, w := range words {
		switch w[0] {
		case "media":
			if media != "" {
				return "", errors.New("only one `media' command may be issued")
			}
			m, ok := mediaSubtypes[strings.ToLower(w[1])]
			if !ok {
				return "", fmt.Errorf("unknown Ethernet media subtype: %s", w[1])
			}
			media = m
		case "instance", "inst":
			if media == "" {
				return "", errors.New("must specify `media' before `instance'")
			}
			return "", fmt.Errorf("invalid media instance: %s", w[1])
		default:
			// mediaopt, -mediaopt, mode: a shmif has no options or modes.
			return "", fmt.Errorf("unknown Ethernet media option: %s", w[1])
		}
	}
	return media, nil
}

// media is an interface's media line: "Ethernet autoselect", or "" for an
// interface without media.
func media(ifc api.Interface) string {
	if ifc.Media == "" {
		return ""
	}
	return "Ethernet " + ifc.Media
}
