package wgconfig

import (
	"net/netip"
	"testing"
)

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"192.0.2.2:52428", "[fd00::2]:52428", "fd00::2:1", "[::]:0", "x", "[", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseEndpoint(s)
		if err != nil {
			return
		}
		if _, perr := netip.ParseAddrPort(got); perr != nil {
			t.Errorf("ParseEndpoint(%q): got %q, which the kernel cannot parse: %v", s, got, perr)
		}
	})
}

func FuzzParseAllowedIPs(f *testing.F) {
	for _, s := range []string{"10.100.0.2/32", "10.0.0.0/8,fd02::/64", "1.2.3.4/", "/", ",", "::/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ips, err := ParseAllowedIPs(s)
		if err != nil {
			return
		}
		for _, ip := range ips {
			if _, _, ok := cutSlash(ip); !ok {
				t.Errorf("ParseAllowedIPs(%q): got %q without a length", s, ip)
			}
		}
	})
}

func cutSlash(s string) (string, string, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}

func FuzzAddPeer(f *testing.F) {
	f.Add("peer0", testKey, "--allowed-ips=10.100.0.2/32", "--endpoint=192.0.2.2:52428")
	f.Add("p", "short", "--bogus", "")
	f.Fuzz(func(t *testing.T, name, key, o1, o2 string) {
		p, err := parseAddPeer([]string{name, key, o1, o2})
		if err == nil && (len(p.PublicKey) != 32 || p.Name != name) {
			t.Errorf("parseAddPeer: got %+v from %q %q", p, name, key)
		}
	})
}

func FuzzDecodeKey(f *testing.F) {
	f.Add(testKey)
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := DecodeKey(s); err == nil && len(k) != 32 {
			t.Errorf("DecodeKey(%q): got %d bytes, want 32", s, len(k))
		}
	})
}
