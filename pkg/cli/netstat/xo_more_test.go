package netstat

import (
	"encoding/json"
	"encoding/xml"
	"strconv"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// statsDoc is the part of FreeBSD netstat's libxo document that -i, -a
// and -s fill.
type statsDoc struct {
	Interfaces struct {
		List []struct {
			Name     string `json:"name" xml:"name"`
			MTU      int    `json:"mtu" xml:"mtu"`
			Network  string `json:"network" xml:"network"`
			Address  string `json:"address" xml:"address"`
			Received uint64 `json:"received-packets" xml:"received-packets"`
			Errors   uint64 `json:"received-errors" xml:"received-errors"`
			Sent     uint64 `json:"sent-packets" xml:"sent-packets"`
		} `json:"interface" xml:"interface"`
	} `json:"interface-statistics" xml:"interface-statistics"`
	Sockets []struct {
		Protocol string `json:"protocol" xml:"protocol"`
		RecvQ    int    `json:"receive-bytes-waiting" xml:"receive-bytes-waiting"`
		SendQ    int    `json:"send-bytes-waiting" xml:"send-bytes-waiting"`
		Local    struct {
			Address string `json:"address" xml:"address"`
			Port    string `json:"port" xml:"port"`
		} `json:"local" xml:"local"`
		Remote struct {
			Address string `json:"address" xml:"address"`
			Port    string `json:"port" xml:"port"`
		} `json:"remote" xml:"remote"`
		State string `json:"tcp-state" xml:"tcp-state"`
	} `json:"socket" xml:"socket"`
	UDP struct {
		Received uint64 `json:"received-datagrams" xml:"received-datagrams"`
		Output   uint64 `json:"output-packets" xml:"output-packets"`
	} `json:"udp" xml:"udp"`
	TCP struct {
		Sent     uint64 `json:"sent-packets" xml:"sent-packets"`
		Received uint64 `json:"received-packets" xml:"received-packets"`
	} `json:"tcp" xml:"tcp"`
}

// textNumber finds the number before words in -s's text.
func textNumber(t *testing.T, text, proto, words string) uint64 {
	t.Helper()
	_, body, _ := strings.Cut(text, proto+":\n")
	for _, l := range strings.Split(body, "\n") {
		f := strings.Fields(l)
		if len(f) > 1 && strings.HasPrefix(strings.Join(f[1:], " "), words) {
			n, _ := strconv.ParseUint(f[0], 10, 64)
			return n
		}
	}
	t.Fatalf("no %q under %s in\n%s", words, proto, text)
	return 0
}

func TestLibxoMore(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	ifText, _, _ := runMain(fake{}, "-inv")
	sockText, _, _ := runMain(fake{}, "-an")
	statText, _, _ := runMain(fake{}, "-s")
	tests := []struct{ name, args string }{
		{"interfaces-json", "--libxo json -inv"},
		{"interfaces-json-pretty", "--libxo json,pretty -inv"},
		{"interfaces-xml", "--libxo xml,pretty -inv"},
		{"sockets-json", "--libxo json -an"},
		{"sockets-json-pretty", "--libxo json,pretty -an"},
		{"sockets-xml", "--libxo xml,pretty -an"},
		{"stats-json", "--libxo json -s"},
		{"stats-json-pretty", "--libxo json,pretty -s"},
		{"stats-xml", "--libxo xml,pretty -s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, st := runMain(fake{}, strings.Fields(tt.args)...)
			if st != 0 || errs != "" {
				t.Fatalf("rnetstat %s: status %d, stderr %q", tt.args, st, errs)
			}
			golden.Check(t, tt.name, []byte(out))
			var d struct {
				Statistics statsDoc `json:"statistics"`
			}
			var err error
			if strings.Contains(tt.args, "xml") {
				err = xml.Unmarshal([]byte(out), &d.Statistics)
			} else {
				err = json.Unmarshal([]byte(out), &d)
			}
			if err != nil {
				t.Fatalf("invalid output: %v", err)
			}
			s := d.Statistics
			switch {
			case strings.HasPrefix(tt.name, "interfaces"):
				lines := strings.Split(strings.TrimSpace(ifText), "\n")[1:]
				if len(s.Interfaces.List) != len(lines) {
					t.Fatalf("got %d interfaces, want %d", len(s.Interfaces.List), len(lines))
				}
				for i, e := range s.Interfaces.List {
					f := strings.Fields(lines[i])
					got := strings.Fields(strings.Join([]string{e.Name, strconv.Itoa(e.MTU), e.Network, e.Address,
						strconv.FormatUint(e.Received, 10), strconv.FormatUint(e.Errors, 10), strconv.FormatUint(e.Sent, 10)}, " "))
					if strings.Join(got, " ") != strings.Join(f[:len(got)], " ") {
						t.Errorf("got %v, want line %q", got, lines[i])
					}
				}
			case strings.HasPrefix(tt.name, "sockets"):
				var lines []string
				for _, l := range strings.Split(sockText, "\n") {
					if strings.HasPrefix(l, "tcp") || strings.HasPrefix(l, "udp") {
						lines = append(lines, l)
					}
				}
				if len(s.Sockets) != len(lines) {
					t.Fatalf("got %d sockets, want %d", len(s.Sockets), len(lines))
				}
				for i, e := range s.Sockets {
					got := strings.Join([]string{strings.TrimSuffix(e.Protocol, "4"), strconv.Itoa(e.RecvQ),
						strconv.Itoa(e.SendQ), cut16(e.Local.Address) + "." + e.Local.Port,
						cut16(e.Remote.Address) + "." + e.Remote.Port, e.State}, " ")
					if want := strings.Join(strings.Fields(lines[i]), " "); strings.TrimSpace(got) != want {
						t.Errorf("got %q, want %q", got, want)
					}
				}
			default:
				if s.UDP.Received != textNumber(t, statText, "udp", "datagrams received") ||
					s.UDP.Output != textNumber(t, statText, "udp", "datagrams output") ||
					s.TCP.Sent != textNumber(t, statText, "tcp", "packets sent") ||
					s.TCP.Received != textNumber(t, statText, "tcp", "packets received") {
					t.Errorf("got udp %+v tcp %+v, want the counters of\n%s", s.UDP, s.TCP, statText)
				}
			}
		})
	}
}

// cut16 cuts a host as the text's column does; the document has it whole.
func cut16(s string) string { return s[:min(len(s), 16)] }
