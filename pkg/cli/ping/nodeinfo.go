package ping

// rping6 -w: the replies to node information queries for a name, printed
// as ping6(8) prints them.

import (
	"fmt"
	"strings"
)

// Node information sizes: a query (header and the IPv6 address it asks
// about) and a reply's header.
const (
	niQueryLen  = 16 + 16
	niReplyHead = 16
)

// nodeInfoText describes a node information reply: its names, or why
// there are none.
func nodeInfoText(m []byte) string {
	if len(m) < niReplyHead {
		return "???"
	}
	switch m[1] {
	case 0:
	case 1:
		return fmt.Sprintf("refused, type 0x%x", m[0])
	case 2:
		return fmt.Sprintf("unknown, type 0x%x", m[0])
	default:
		return fmt.Sprintf("unknown code 0x%x, type 0x%x", m[1], m[0])
	}
	data := m[niReplyHead:]
	if len(data) > 0 && int(data[0]) == len(data)-1 {
		// The old format: a length byte, then the name as text.
		return string(data[1:])
	}
	if len(data) < 4 {
		return ""
	}
	data = data[4:] // the TTL
	var names []string
	for len(data) > 0 {
		name, rest, ok := dnsName(data)
		if !ok {
			names = append(names, "???")
			break
		}
		if len(rest) > 0 && rest[0] == 0 && name != "" {
			// A name ending in two zero bytes is a single label.
			name, rest = strings.TrimSuffix(name, "."), rest[1:]
		}
		names = append(names, name)
		data = rest
	}
	return strings.Join(names, ",")
}

// dnsName decodes one name in DNS wire format (without compression).
func dnsName(b []byte) (name string, rest []byte, ok bool) {
	var sb strings.Builder
	for len(b) > 0 {
		n := int(b[0])
		b = b[1:]
		if n == 0 {
			return sb.String(), b, true
		}
		if n > 63 || n > len(b) {
			return "", nil, false
		}
		sb.Write(b[:n])
		sb.WriteByte('.')
		b = b[n:]
	}
	return "", nil, false
}
