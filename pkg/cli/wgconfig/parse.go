package wgconfig

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// KeyB64Len is the length of a key in base64: 44 characters.
const KeyB64Len = 44

// ifNameMax is IFNAMSIZ: wgconfig refuses longer interface names.
const ifNameMax = 16

// DecodeKey decodes a base64 key of exactly KeyB64Len characters into its
// 32 bytes, as wgconfig's b64_pton does.
func DecodeKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != api.WgKeyLen {
		return nil, cli.Refuse("b64_pton failed")
	}
	return b, nil
}

// readKey reads a key file as wgconfig does: its first 44 bytes are the
// key in base64, whatever follows them.
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, cli.Fail("fopen", err)
	}
	defer f.Close()
	buf := make([]byte, KeyB64Len)
	n, _ := io.ReadFull(f, buf)
	if n != KeyB64Len {
		return nil, cli.Refuse(fmt.Sprintf("base64 key len is short: %d", n))
	}
	return DecodeKey(string(buf))
}

// parseUint16 is wgconfig's strtouint16.
func parseUint16(s string) (int, error) {
	digits := strings.TrimLeft(s, " \t")
	digits = strings.TrimPrefix(strings.TrimPrefix(digits, "+"), "-")
	end := 0
	for end < len(digits) && digits[end] >= '0' && digits[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, cli.Refuse("strtol: not a number")
	}
	if end != len(digits) {
		return 0, cli.Refuse("strtol: trailing garbage")
	}
	v, err := strconv.ParseInt(strings.TrimLeft(s, " \t"), 10, 64)
	if err != nil {
		return 0, cli.Refuse("strtol: Result too large")
	}
	if v < 0 || v > 65535 {
		return 0, cli.Refuse("out of range")
	}
	return int(v), nil
}

// ParseEndpoint parses --endpoint's "addr:port", "[addr]:port" or, for
// IPv6, "addr:port" split at the last colon, into "addr:port" as
// netip.AddrPort writes it. Host names are not looked up.
func ParseEndpoint(s string) (string, error) {
	var host, port string
	if strings.HasPrefix(s, "[") {
		if len(s) < len("[::]:0") {
			return "", cli.Refuse("invalid endpoint format")
		}
		h, rest, ok := strings.Cut(s[1:], "]")
		if !ok || !strings.HasPrefix(rest, ":") {
			return "", cli.Refuse("invalid endpoint format")
		}
		host, port = h, rest[1:]
	} else {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return "", cli.Refuse("no ':' found in endpoint")
		}
		host, port = s[:i], s[i+1:]
	}
	a, err := netip.ParseAddr(host)
	p, perr := strconv.ParseUint(port, 10, 16)
	if err != nil || perr != nil || a.Zone() != "" {
		return "", cli.Refuse(fmt.Sprintf("getaddrinfo: %s:%s (hostname nor servname provided, or not known)", host, port))
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)).String(), nil
}

// ParseAllowedIPs parses --allowed-ips's comma-separated "addr/len" list.
// The length is checked by the kernel, as NetBSD's.
func ParseAllowedIPs(s string) ([]string, error) {
	var out []string
	for _, ip := range strings.Split(s, ",") {
		addr, cidr, ok := strings.Cut(ip, "/")
		if !ok {
			return nil, cli.Refuse("no '/' found in allowed-ip")
		}
		n, err := parseUint16(cidr)
		if err != nil {
			return nil, err
		}
		a, err := netip.ParseAddr(addr)
		if err != nil || a.Zone() != "" {
			return nil, cli.Refuse("getaddrinfo: Name or service not known")
		}
		out = append(out, a.Unmap().String()+"/"+strconv.Itoa(n))
	}
	return out, nil
}

// parseAddPeer parses "add peer NAME KEY [--option=value ...]".
func parseAddPeer(args []string) (*api.WgPeer, error) {
	if len(args) < 2 {
		return nil, &cli.UsageError{}
	}
	if len(args[0]) > api.WgPeerNameMax {
		return nil, cli.Refuse("peer name too long")
	}
	if len(args[1]) != KeyB64Len {
		return nil, cli.Refuse(fmt.Sprintf("invalid public-key length: %d", len(args[1])))
	}
	key, err := DecodeKey(args[1])
	if err != nil {
		return nil, err
	}
	p := &api.WgPeer{Name: args[0], PublicKey: key}
	for _, a := range args[2:] {
		if err := peerOption(p, a); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func peerOption(p *api.WgPeer, a string) error {
	var err error
	switch {
	case strings.HasPrefix(a, "--endpoint="):
		p.Endpoint, err = ParseEndpoint(strings.TrimPrefix(a, "--endpoint="))
	case strings.HasPrefix(a, "--allowed-ips="):
		p.AllowedIPs, err = ParseAllowedIPs(strings.TrimPrefix(a, "--allowed-ips="))
	case strings.HasPrefix(a, "--preshared-key="):
		p.PresharedKey, err = readKey(strings.TrimPrefix(a, "--preshared-key="))
	default:
		err = cli.Refuse("invalid option: " + a)
	}
	return err
}
