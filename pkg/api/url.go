package api

import (
	"fmt"
	"strings"
	"syscall"
)

// SocketPath turns a rump_sp(7) URL into a socket path: "unix://rel/path" is
// relative to the working directory, "unix:///abs/path" absolute. Only unix
// URLs are supported (EPROTONOSUPPORT otherwise); an empty path or one longer
// than sun_path (107 bytes) is EINVAL / ENAMETOOLONG.
func SocketPath(u string) (string, error) {
	rest, ok := strings.CutPrefix(u, "unix://")
	if !ok {
		if strings.Contains(u, "://") {
			return "", Errorf(syscall.EPROTONOSUPPORT, fmt.Sprintf("url %q: only unix:// is supported", u))
		}
		return "", Errorf(syscall.EINVAL, fmt.Sprintf("url %q: want unix://path", u))
	}
	if rest == "" {
		return "", Errorf(syscall.EINVAL, fmt.Sprintf("url %q: empty path", u))
	}
	if len(rest) > 107 {
		return "", Errorf(syscall.ENAMETOOLONG, fmt.Sprintf("url %q: path longer than 107 bytes", u))
	}
	return rest, nil
}
