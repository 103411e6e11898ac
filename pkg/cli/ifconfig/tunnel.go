package ifconfig

// gif(4), gre(4) and l2tp(4) tunnels, as NetBSD's ifconfig sets and
// shows them (an l2tp interface's go on as l2tp changes, l2tp.go):
// "tunnel src dst" (each address may carry ",port" for gre's UDP mode),
// "deletetunnel", and the status line "tunnel inet src --> dst". As in
// NetBSD, a tunnel the kernel refuses is a warning, not a failure, while
// addresses of two families are refused before the kernel is asked.

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// TunnelBackend is a Backend that configures gif and gre interfaces (a
// rump kernel's client); others cannot.
type TunnelBackend interface {
	// SetTunnel sets the outer addresses, or deletes them when both are
	// "" (SIOCSLIFPHYADDR, SIOCDIFPHYADDR).
	SetTunnel(name string, t api.Tunnel) error
}

func init() {
	keywords = append(keywords,
		keyword{"tunnel", 2, func(r *request, args []string) error {
			t, err := parseTunnelArgs(args[0], args[1])
			if err != nil {
				return err
			}
			r.actions = append(r.actions, action{what: "tunnel", tunnel: t})
			return nil
		}},
		keyword{"deletetunnel", 0, func(r *request, _ []string) error {
			r.actions = append(r.actions, action{what: "deletetunnel", tunnel: &api.Tunnel{}})
			return nil
		}},
	)
}

// parseTunnelArgs reads "addr[,port]" twice; both addresses of one family.
func parseTunnelArgs(src, dst string) (*api.Tunnel, error) {
	sa, sp, err := splitTunnelAddr(src)
	if err != nil {
		return nil, err
	}
	da, dp, err := splitTunnelAddr(dst)
	if err != nil {
		return nil, err
	}
	if sa.Is4() != da.Is4() {
		return nil, cli.Refuse("source and destination address families do not match")
	}
	if sa.Is6() && (sa.IsMulticast() || da.IsMulticast()) {
		return nil, cli.Refuse("tunnel src/dst is multicast")
	}
	return &api.Tunnel{Src: sa.String(), Dst: da.String(), SrcPort: sp, DstPort: dp}, nil
}

func splitTunnelAddr(s string) (netip.Addr, int, error) {
	host, port, hasPort := strings.Cut(s, ",")
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, 0, cli.Refuse("error in parsing address string: " + s)
	}
	n := 0
	if hasPort {
		if n, err = strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return netip.Addr{}, 0, cli.Refuse("error in parsing address string: " + s)
		}
	}
	return a.Unmap(), n, nil
}

// setTunnel carries out a tunnel or deletetunnel action; a refusal is
// NetBSD's warning.
func setTunnel(t *cli.Tool, b Backend, ifc api.Interface, a action) {
	op := "SIOCSLIFPHYADDR"
	if a.what == "deletetunnel" {
		op = "SIOCDIFPHYADDR"
	}
	tb, ok := b.(TunnelBackend)
	if !ok {
		t.Warn(api.Errorf(syscall.EOPNOTSUPP, "no tunnels here"), "%s", op)
		return
	}
	if err := tb.SetTunnel(ifc.Name, *a.tunnel); err != nil {
		t.Warn(err, "%s", op)
	}
}

// writeTunnel prints a tunnel's line as NetBSD's tunnel_status.
func writeTunnel(w io.Writer, t *api.Tunnel) {
	if t == nil {
		return
	}
	fmt.Fprintf(w, "\ttunnel %s %s --> %s\n", tunnelFamily(t.Src), tunnelEnd(t.Src, t.SrcPort), tunnelEnd(t.Dst, t.DstPort))
}

func tunnelFamily(addr string) string {
	if a, err := netip.ParseAddr(addr); err == nil && a.Is6() {
		return "inet6"
	}
	return "inet"
}

func tunnelEnd(addr string, port int) string {
	if port == 0 {
		return addr
	}
	return addr + "," + strconv.Itoa(port)
}
