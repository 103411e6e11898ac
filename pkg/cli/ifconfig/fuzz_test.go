package ifconfig

import (
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
)

// FuzzArgs feeds arbitrary argument lists (words may be empty or hold
// spaces) to rifconfig's parsing: no panic, a request or an error, and an
// error that says something unless it only asks for the usage.
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"virt0 inet 10.0.0.2/24 up", "-a inet6", "virt0 inet6 fe80::1%virt0 prefixlen 64 alias",
		"virt0 create", "virt0 inet 10.0.0.3 netmask 0xffffff00 broadcast 10.0.0.255 alias",
		"-C", "-l -u", "virt0 link 0:1:2:3:4:5 active", "virt0\x00inet\x00\x00",
		"virt0 inet6 fc00::1 pltime 10 vltime 20 -tentative eui64", "virt0 mtu 1400 -arp",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := testkit.Words(line)
		r, err := parse(args)
		if err == nil && r == nil {
			t.Fatalf("parse(%q): no request and no error", args)
		}
		if ue, ok := err.(*cli.UsageError); err != nil && !ok && err.Error() == "" {
			t.Fatalf("parse(%q): got an empty error %#v (usage error %v)", args, err, ue)
		}
	})
}
