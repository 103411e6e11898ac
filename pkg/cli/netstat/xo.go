package netstat

import (
	"io"
	"net/netip"
	"strconv"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
)

// emitInterfaces writes -i and -I as FreeBSD netstat does with libxo:
// "statistics" > "interface-statistics" > an "interface" instance per line
// of the text, with name (a "*" for an interface that is down, as the
// text), flags (the number), mtu, network, address, received-packets,
// received-errors, dropped-packets, received-bytes, sent-packets,
// send-errors, sent-bytes and collisions. Every counter is written,
// whatever -b and -d choose for the text.
func (o options) emitInterfaces(w io.Writer, ifs []api.Interface) error {
	x := xo.NewWriter(w, o.xo)
	x.Open("statistics")
	x.Open("interface-statistics")
	for _, ifc := range ifs {
		if o.ifname != "" && ifc.Name != o.ifname {
			continue
		}
		for _, l := range o.ifLines(ifc) {
			x.OpenInstance("interface")
			name := ifc.Name
			if ifc.Flags&api.IFF_UP == 0 {
				name += "*"
			}
			x.Emit("name", name)
			x.Emit("flags", ifc.Flags)
			x.Emit("mtu", ifc.MTU)
			x.Emit("network", l[0])
			x.Emit("address", l[1])
			s := ifc.Stats
			x.Emit("received-packets", s.IPackets)
			x.Emit("received-errors", s.IErrors)
			x.Emit("dropped-packets", s.IQDrops)
			x.Emit("received-bytes", s.IBytes)
			x.Emit("sent-packets", s.OPackets)
			x.Emit("send-errors", s.OErrors)
			x.Emit("sent-bytes", s.OBytes)
			x.Emit("collisions", s.Collisions)
			x.CloseInstance("interface")
		}
	}
	x.Close("interface-statistics")
	x.Close("statistics")
	return x.Finish()
}

// ifLines are the network and address columns of an interface's lines, as
// interfaces prints them (without cutting them to width).
func (o options) ifLines(ifc api.Interface) [][2]string {
	var lines [][2]string
	if o.family == 0 {
		lines = append(lines, [2]string{"<Link>", ifc.Address})
	}
	if o.family == 0 || o.family == 6 {
		for _, a := range ifc.Inet6 {
			p := netip.MustParsePrefix(a.Addr)
			zone := ""
			if o.verbose {
				zone = ifc.Name
			}
			lines = append(lines, [2]string{rtutil.Netname(p.Masked(), zone, o.names()), rtutil.Routename(p.Addr(), zone, nil)})
		}
	}
	if o.family == 0 || o.family == 4 {
		for _, a := range ifc.Inet {
			p := netip.MustParsePrefix(a.Addr)
			lines = append(lines, [2]string{rtutil.Netname(p.Masked(), "", nil), rtutil.Routename(p.Addr(), "", o.names())})
		}
	}
	return lines
}

// emitSockets writes the socket display as FreeBSD netstat does with
// libxo: "statistics" > a "socket" instance per line, with protocol
// ("tcp4", "udp6" as FreeBSD's), receive-bytes-waiting,
// send-bytes-waiting, "local" and "remote" containers of address ("*" for
// a wildcard) and port ("*" for none, else the number, or the service
// name unless -n), and tcp-state for TCP.
func (o options) emitSockets(w io.Writer, socks []api.Socket, services map[string]string) error {
	x := xo.NewWriter(w, o.xo)
	x.Open("statistics")
	for _, family := range o.families() {
		for _, s := range socks {
			if s.Family != family || !o.all && s.ForeignAddr == "" {
				continue
			}
			x.OpenInstance("socket")
			x.Emit("protocol", s.Proto+strconv.Itoa(family))
			x.Emit("receive-bytes-waiting", s.RecvQ)
			x.Emit("send-bytes-waiting", s.SendQ)
			o.emitEndpoint(x, "local", s.LocalAddr, s.LocalPort, services[strconv.Itoa(s.LocalPort)+"/"+s.Proto])
			o.emitEndpoint(x, "remote", s.ForeignAddr, s.ForeignPort, services[strconv.Itoa(s.ForeignPort)+"/"+s.Proto])
			if s.Proto == "tcp" {
				x.Emit("tcp-state", s.State)
			}
			x.CloseInstance("socket")
		}
	}
	x.Close("statistics")
	return x.Finish()
}

func (o options) emitEndpoint(x *xo.Writer, name, addr string, port int, service string) {
	host := "*"
	if a, err := netip.ParseAddr(addr); err == nil {
		host = rtutil.Routename(a, "", o.names())
	}
	switch {
	case port == 0:
		service = "*"
	case service == "":
		service = strconv.Itoa(port)
	}
	x.Open(name)
	x.Emit("address", host)
	x.Emit("port", service)
	x.Close(name)
}
