package wgconfig

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// formatKey is a key in base64, "(none)" for none.
func formatKey(k []byte) string {
	if k == nil {
		return "(none)"
	}
	return base64.StdEncoding.EncodeToString(k)
}

// formatEndpoint writes an endpoint as NetBSD's sockaddr_snprintf "%a:%p"
// does: the address without brackets, then the port.
func formatEndpoint(s string) string {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%s:%d", ap.Addr(), ap.Port())
}

// FormatAll is wgconfig's "show all": the interface, its listen port and
// every peer, keys hidden.
func FormatAll(ifname string, st api.WgStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "interface: %s\n", ifname)
	b.WriteString("\tprivate-key: (hidden)\n")
	fmt.Fprintf(&b, "\tlisten-port: %d\n", st.ListenPort)
	for _, p := range st.Peers {
		fmt.Fprintf(&b, "\tpeer: %s\n", p.Name)
		b.WriteString(FormatPeer(p, "\t\t", false))
	}
	return b.String()
}

// FormatPeer is one peer's lines, each after prefix; the preshared key is
// shown only when showPSK is true.
func FormatPeer(p api.WgPeer, prefix string, showPSK bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%spublic-key: %s\n", prefix, formatKey(p.PublicKey))
	if p.Endpoint == "" {
		fmt.Fprintf(&b, "%sendpoint: (none)\n", prefix)
	} else {
		fmt.Fprintf(&b, "%sendpoint: %s\n", prefix, formatEndpoint(p.Endpoint))
	}
	if showPSK {
		fmt.Fprintf(&b, "%spreshared-key: %s\n", prefix, formatKey(p.PresharedKey))
	} else {
		fmt.Fprintf(&b, "%spreshared-key: (hidden)\n", prefix)
	}
	allowed := strings.Join(p.AllowedIPs, ",")
	if allowed == "" {
		allowed = "(none)"
	}
	fmt.Fprintf(&b, "%sallowed-ips: %s\n", prefix, allowed)
	if p.LastHandshake > 0 {
		// ctime(3)'s form, in local time.
		fmt.Fprintf(&b, "%slatest-handshake: %s\n", prefix,
			time.Unix(p.LastHandshake, 0).Format("Mon Jan _2 15:04:05 2006"))
	} else {
		fmt.Fprintf(&b, "%slatest-handshake: (never)\n", prefix)
	}
	return b.String()
}
