package api

import (
	"errors"
	"syscall"
	"testing"
)

func TestParseIfName(t *testing.T) {
	tests := []struct {
		name   string
		cloner string
		unit   int
		ok     bool
	}{
		{"virt0", "virt", 0, true},
		{"virt12", "virt", 12, true},
		{"lo0", "lo", 0, true},
		{"l2tp0", "l2tp", 0, true},
		{"l2tp10", "l2tp", 10, true},
		{"l2tp", "", 0, false},
		{"l2tp01", "", 0, false},
		{"virt", "", 0, false},
		{"0virt", "", 0, false},
		{"virt01", "", 0, false},
		{"Virt0", "", 0, false},
		{"virt0x", "", 0, false},
		{"", "", 0, false},
		{"abcdefghijklmn01", "", 0, false}, // 16 characters
	}
	for _, tt := range tests {
		cloner, unit, err := ParseIfName(tt.name)
		if (err == nil) != tt.ok || cloner != tt.cloner || unit != tt.unit {
			t.Errorf("ParseIfName(%q) = %q, %d, %v; want %q, %d, ok=%v", tt.name, cloner, unit, err, tt.cloner, tt.unit, tt.ok)
		}
		if err != nil && !errors.Is(err, syscall.EINVAL) {
			t.Errorf("ParseIfName(%q): got %v, want EINVAL", tt.name, err)
		}
	}
}
