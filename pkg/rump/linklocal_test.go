package rump

import (
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// TestAutoLinklocal: net.inet6.ip6.auto_linklocal=0 brings an interface up
// without an IPv6 link-local address; 1, the default, gives it one.
func TestAutoLinklocal(t *testing.T) {
	tests := []struct {
		name  string
		value int
		want  bool
	}{
		{"default", -1, true},
		{"on", 1, true},
		{"off", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKernel(t, Options{})
			tu := tunable(t, "net.inet6.ip6.auto_linklocal")
			if tt.value >= 0 {
				if err := tu.Set(k, tt.value); err != nil {
					t.Fatal(err)
				}
			}
			if got := tu.Get(k); got != boolInt(tt.want) {
				t.Errorf("auto_linklocal: got %d, want %d", got, boolInt(tt.want))
			}
			if err := k.Create("virt0"); err != nil {
				t.Fatal(err)
			}
			if err := k.SetFlags("virt0", api.IFF_UP); err != nil {
				t.Fatal(err)
			}
			ifc, err := k.Interface("virt0")
			if err != nil {
				t.Fatal(err)
			}
			got := false
			for _, a := range ifc.Inet6 {
				got = got || strings.HasPrefix(a.Addr, "fe80:")
			}
			if got != tt.want {
				t.Errorf("link-local address after up: got %v, want %v (addresses %+v)", got, tt.want, ifc.Inet6)
			}
		})
	}
}
