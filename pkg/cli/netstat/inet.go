package netstat

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
)

// sockets prints the default display: the TCP and UDP sockets of each
// family, under one heading per family, as protopr and ip6protopr do.
// Without -a, sockets with no foreign address (listeners) are left out.
func (o options) sockets(w io.Writer, b Backend) error {
	socks, err := b.Sockets()
	if err != nil {
		return err
	}
	var services map[string]string
	if !o.numeric {
		services = readServices("/etc/services")
	}
	if o.xo.Style != xo.Text {
		return o.emitSockets(w, socks, services)
	}
	for _, family := range o.families() {
		first := true
		for _, s := range socks {
			if s.Family != family || !o.all && s.ForeignAddr == "" {
				continue
			}
			if first {
				o.socketHeading(w, family)
				first = false
			}
			name := s.Proto
			if family == 6 {
				name += "6"
			}
			fmt.Fprintf(w, "%-5.5s %6d %6d ", name, s.RecvQ, s.SendQ)
			o.endpoint(w, s.LocalAddr, s.LocalPort, services[strconv.Itoa(s.LocalPort)+"/"+s.Proto])
			o.endpoint(w, s.ForeignAddr, s.ForeignPort, services[strconv.Itoa(s.ForeignPort)+"/"+s.Proto])
			if s.Proto == "tcp" {
				fmt.Fprintf(w, " %s", s.State)
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

func (o options) socketHeading(w io.Writer, family int) {
	title, state := "Active Internet connections", "State"
	if family == 6 {
		title, state = "Active Internet6 connections", "(state)"
	}
	if o.all {
		title += " (including servers)"
	}
	fmt.Fprintln(w, title)
	fmt.Fprintf(w, "%-5.5s %-6.6s %-6.6s  %-22.22s %-22.22s %s\n",
		"Proto", "Recv-Q", "Send-Q", "Local Address", "Foreign Address", state)
}

// endpoint prints " host.port" in a 22-column field: "*" for a wildcard
// address or port, the host's name unless -n or -S, the port's service
// name (if it has one) unless -n.
func (o options) endpoint(w io.Writer, addr string, port int, service string) {
	host := "*"
	if a, err := netip.ParseAddr(addr); err == nil {
		host = rtutil.Routename(a, "", o.names())
	}
	if len(host) > 16 {
		host = host[:16]
	}
	switch {
	case port == 0:
		service = "*"
	case service == "":
		service = strconv.Itoa(port)
	}
	fmt.Fprintf(w, " %-22.22s", host+"."+service)
}

// readServices reads the host's services file into "port/proto" -> name,
// as getservbyport looks it up.
func readServices(path string) map[string]string {
	m := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		if _, seen := m[fields[1]]; !seen {
			m[fields[1]] = fields[0]
		}
	}
	return m
}
