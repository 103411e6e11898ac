package api

import (
	"fmt"
	"syscall"
)

// ParseIfName splits an interface name into its cloner and unit ("virt12" →
// "virt", 12; "l2tp0" → "l2tp", 0). It fails with EINVAL for names that are
// not a letter, letters and digits, then a decimal unit, or longer than 15
// characters.
func ParseIfName(name string) (cloner string, unit int, err error) {
	bad := Errorf(syscall.EINVAL, fmt.Sprintf("interface name %q", name))
	if len(name) == 0 || len(name) > 15 {
		return "", 0, bad
	}
	// The unit is the trailing digits; the cloner before them is a
	// letter and then letters and digits ("l2tp0" is l2tp unit 0).
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	if i == 0 || i == len(name) || name[0] < 'a' || name[0] > 'z' || (name[i] == '0' && i+1 < len(name)) {
		return "", 0, bad
	}
	for _, r := range name[:i] {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return "", 0, bad
		}
	}
	for _, r := range name[i:] {
		if r < '0' || r > '9' {
			return "", 0, bad
		}
		unit = unit*10 + int(r-'0')
		if unit > 1<<20 {
			return "", 0, bad
		}
	}
	return name[:i], unit, nil
}
