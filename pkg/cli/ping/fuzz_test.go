package ping

import (
	"errors"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// FuzzParse feeds arbitrary command lines to rping's and rping6's option
// parsing: no panic, and every error is a usage error or a rejected value.
// An empty host operand parses, as ping(8)'s does: resolving it fails later
// with ping's "Cannot resolve" message.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"-c 3 -i 0.2 -W 2 10.0.0.2", "-nq -s 8000 -t 16 -T 4 -w 5 10.0.0.2",
		"-I virt0 -c1 fc00::2", "-c 2 -H -h 3 -X 4 -S fc00::1 fc00::2",
		"-i 0 -s 65508 host", "-c -1 host", "-c\x00\x00host",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := testkit.Words(line)
		for _, fam := range []Family{Inet, Inet6} {
			_, err := parse(fam, args)
			var ue *cli.UsageError
			var bv *badValue
			switch {
			case err != nil && !errors.As(err, &ue) && !errors.As(err, &bv):
				t.Fatalf("parse(%v, %q): got error %#v, want a usage error or a bad value", fam, args, err)
			case bv != nil && bv.msg == "":
				t.Fatalf("parse(%v, %q): a bad value without a message", fam, args)
			}
		}
	})
}

// FuzzReportMessages feeds arbitrary bytes, as the network may deliver
// them, to the printing of ICMP messages, reply options and node
// information replies, verbose or not, for both programs: no panic.
func FuzzReportMessages(f *testing.F) {
	f.Add([]byte{11, 0, 0, 0, 0, 0, 0, 0, 0x45, 0, 0, 84, 0, 1, 0, 0, 1, 1, 0, 0, 10, 0, 0, 2, 10, 9, 0, 1, 8, 0, 0, 0, 0, 7, 0, 0})
	f.Add([]byte{7, 39, 8, 10, 0, 0, 2, 1, 131, 7, 4})
	f.Add([]byte{140, 0, 0, 0, 0, 2, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 30, 4, 'n', 'o', 'd', 'e', 0, 0})
	f.Add([]byte{3, 4, 0, 0, 0, 0, 5, 0x20, 0x4f})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, args := range [][]string{{"-n", "-R", "h"}, {"-n", "-v", "-g", "g", "h"}} {
			o, err := parse(Inet, args)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			r := newReport(&cli.Tool{Name: "rping", Stdout: &out, Stderr: &out}, o, target{hostname: "h"})
			r.icmp(api.PingEvent{Type: api.PingICMP, From: "10.0.0.1", Bytes: len(b), ICMP: b, Mine: true})
			r.reply(api.PingEvent{Type: api.PingReply, From: "10.0.0.1", Bytes: 64, Options: b})
		}
		o, err := parse(Inet6, []string{"-v", "-w", "h"})
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		r := newReport(&cli.Tool{Name: "rping6", Stdout: &out, Stderr: &out}, o, target{hostname: "h"})
		r.icmp(api.PingEvent{Type: api.PingICMP, From: "fc00::1", Bytes: len(b), ICMP: b})
		r.reply(api.PingEvent{Type: api.PingReply, From: "fc00::1", Bytes: len(b), ICMP: b})
	})
}
