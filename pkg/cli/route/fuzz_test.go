package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// FuzzArgs feeds arbitrary argument lists (words may be empty or hold
// spaces) to rroute's parsing: no panic, and every error a usage error or a
// refusal (EINVAL with a message).
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"add -net 10.1/16 10.0.0.1", "add -inet6 default fe80::1%virt0", "get 10.1.2.3",
		"add 10.0.0.0 10.0.0.1 255.255.0.0 -mtu 1400", "-nq show -inet6 -host",
		"delete -net 10 -prefixlen 8", "add\x00\x0010.0.0.1", "change -host gw -ifp virt0", "monitor",
		"add -net 10.0.0.1/32 -link -cloning -iface virt0", "add default -ifa 10.0.0.1 10.0.0.2",
		"change -inet6 default -blackhole -noreject", "add -inet6 ::0.0.0.0 -prefixlen 104 ::1 -reject",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := testkit.Words(line)
		if _, err := parseWith(args, hosts); err != nil {
			var ue *cli.UsageError
			if !errors.As(err, &ue) && (api.ErrnoOf(err) != syscall.EINVAL || err.Error() == "") {
				t.Fatalf("parse(%q): got error %#v, want a usage error or a refusal", args, err)
			}
		}
	})
}

// FuzzPrintMessage prints whatever message a server sends: no panic, and
// the size on the first line is the len of the second.
func FuzzPrintMessage(f *testing.F) {
	f.Add([]byte(`{"type":1,"flags":2115,"index":2,"dst":"10.1.0.0","gateway":"10.0.0.1","netmask":"255.255.0.0"}`))
	f.Add([]byte(`{"type":23,"flags":1,"index":2,"netmask":"ffff:ffff:ffff:ffff::","ifp":"shmif0","ifa":"fe80::1%shmif0"}`))
	f.Add([]byte(`{"type":16,"index":3,"ifp":"shmif1","what":"departure"}`))
	f.Add([]byte(`{"type":20,"flags":-1,"index":2,"link_state":"up"}`))
	f.Add([]byte(`{"type":2,"dst":"fe80::1%","gateway":"link#","netmask":"1.2.3.4","ifa":"::ffff:1.2.3.4"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var m api.RouteMessage
		if json.Unmarshal(in, &m) != nil {
			return
		}
		var b bytes.Buffer
		printMessage(&b, m, time.Unix(0, 0).UTC(), nil)
		first, rest, ok := strings.Cut(b.String(), "\n")
		if !ok || !strings.HasSuffix(rest, "\n") {
			t.Fatalf("got %q, want lines", b.String())
		}
		size := strings.TrimPrefix(first, "got message of size ")
		size, _, _ = strings.Cut(size, " ")
		if !strings.Contains(rest, ": len "+size+", ") {
			t.Errorf("got size %s, want the len in %q", size, rest)
		}
	})
}
