package ifconfig

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
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
		"--libxo json,pretty -a -v", "--libxo=xml -l", "--libxo:JP virt0 inet6",
		"l2tp0 create tunnel 192.0.2.1 192.0.2.2 session 1234 4321 cookie 4 12648430 8 48879 up",
		"l2tp0 deletecookie deletesession deletetunnel",
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

// FuzzXO feeds arbitrary interface names and addresses, as a backend
// might send them, to --libxo json: the document is always valid JSON and
// gives the name back unchanged when it is UTF-8.
func FuzzXO(f *testing.F) {
	f.Add("virt0", "10.0.0.2/24", "fe80::1/64", "tap0", 0x8843)
	f.Add("lo0", "127.0.0.1/8", "::1/128", "", 0x8049)
	f.Add("a\"b<c>&\x00", "not an address", "fe80::1%x/64", "\xff\xfe", -1)
	f.Fuzz(func(t *testing.T, name, inet, inet6, linkstr string, flags int) {
		ifc := api.Interface{Name: name, Flags: flags, Linkstr: linkstr, LinkState: api.LinkStateUp,
			Inet: []api.IfAddr{{Addr: inet, Broadcast: inet, Dest: inet6}}, Inet6: []api.IfAddr{{Addr: inet6, Dest: inet}}}
		var b bytes.Buffer
		p := newPrinter(&request{xo: xo.Options{Style: xo.JSON}}, &b)
		p.status(ifc, formatOptions{verbose: true, lifetimes: true})
		if err := p.finish(); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Ifconfig struct {
				Interface []struct {
					Name string `json:"name"`
				} `json:"interface"`
			} `json:"ifconfig"`
		}
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("got invalid JSON %v: %s", err, b.Bytes())
		}
		if got := doc.Ifconfig.Interface; len(got) != 1 || utf8.ValidString(name) && got[0].Name != name {
			t.Errorf("got %+v, want one interface named %q", got, name)
		}
	})
}
