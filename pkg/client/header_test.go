package client

import (
	"encoding/hex"
	"net/netip"
	"testing"
)

func TestParseHeader(t *testing.T) {
	for _, tt := range []struct {
		name, msg string // hex
		from      string
		payload   string
		ok        bool
	}{
		{"IPv4", "0400350a01000268656c6c6f", "10.1.0.2:53", "hello", true},
		{"IPv6", "060035fd01000000000000000000000000000268656c6c6f", "[fd01::2]:53", "hello", true},
		{"IPv4 with packet info", "8400350a010002" + "00000002" + "0a010001" + "68656c6c6f", "10.1.0.2:53", "hello", true},
		{"IPv6 with packet info", "860035fd010000000000000000000000000002" + "00000002" + "fd010000000000000000000000000001" + "68656c6c6f",
			"[fd01::2]:53", "hello", true},
		{"packet info cut short", "8400350a010002000000", "", "", false},
		{"unknown family", "0500350a010002", "", "", false},
		{"short", "04", "", "", false},
	} {
		b, _ := hex.DecodeString(tt.msg)
		from, payload, ok := parseHeader(b)
		if ok != tt.ok || (ok && (from != netip.MustParseAddrPort(tt.from) || string(payload) != tt.payload)) {
			t.Errorf("%s: got %v, %q, %v, want %s, %q, %v", tt.name, from, payload, ok, tt.from, tt.payload, tt.ok)
		}
	}
}
