package ifconfig

// l2tp(4)'s parameters, as NetBSD's ifconfig has them: "tunnel src dst"
// and "deletetunnel" (tunnel.go, shared with gif and gre, hand an l2tp
// interface's to setL2tp), "session local remote", "deletesession",
// "cookie llen lval rlen rval" and "deletecookie" (l2tp.c). Showing an
// l2tp interface prints the tunnel line, then the session and cookie
// lines while they are set.

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// L2tpBackend is a Backend that configures l2tp interfaces (a rump
// kernel's client); others cannot.
type L2tpBackend interface {
	// L2tp applies one change to an l2tp interface.
	L2tp(name string, ch api.L2tpChange) error
}

func init() {
	keywords = append(keywords,
		keyword{"session", 2, func(r *request, args []string) error {
			var ids [2]uint32
			for i, a := range args {
				n, err := strconv.ParseUint(a, 10, 32)
				if err != nil {
					return fmt.Errorf("%s: bad value", a)
				}
				ids[i] = uint32(n)
			}
			r.actions = append(r.actions, l2tpAction(api.L2tpChange{Op: api.L2tpSetSession,
				L2tp: api.L2tp{LocalSession: ids[0], RemoteSession: ids[1]}}))
			return nil
		}},
		keyword{"cookie", 4, func(r *request, args []string) error {
			var lens [2]int
			var vals [2]uint64
			for i := range 2 {
				n, err := strconv.ParseUint(args[2*i], 10, 16)
				if err != nil {
					return fmt.Errorf("%s: bad value", args[2*i])
				}
				v, err := strconv.ParseInt(args[2*i+1], 10, 64)
				if err != nil {
					return fmt.Errorf("%s: bad value", args[2*i+1])
				}
				lens[i], vals[i] = int(n), uint64(v)
			}
			r.actions = append(r.actions, l2tpAction(api.L2tpChange{Op: api.L2tpSetCookie,
				L2tp: api.L2tp{LocalCookieLen: lens[0], LocalCookie: vals[0],
					RemoteCookieLen: lens[1], RemoteCookie: vals[1]}}))
			return nil
		}},
	)
	for _, op := range []string{api.L2tpDeleteSession, api.L2tpDeleteCookie} {
		keywords = append(keywords, keyword{op, 0, func(r *request, _ []string) error {
			r.actions = append(r.actions, l2tpAction(api.L2tpChange{Op: op}))
			return nil
		}})
	}
}

func l2tpAction(ch api.L2tpChange) action { return action{what: "l2tp", l2tp: &ch} }

// l2tpTunnel turns a tunnel or deletetunnel action for an l2tp interface
// into its l2tp change. L2TPv3 over IP has no ports: an address with one
// is the kernel's refusal, a warning as for any refused tunnel.
func l2tpTunnel(a action) action {
	if a.what == "deletetunnel" {
		return l2tpAction(api.L2tpChange{Op: api.L2tpDeleteTunnel})
	}
	ch := api.L2tpChange{Op: api.L2tpSetTunnel, L2tp: api.L2tp{Src: a.tunnel.Src, Dst: a.tunnel.Dst}}
	if a.tunnel.SrcPort != 0 || a.tunnel.DstPort != 0 {
		ch.L2tp.Dst = a.tunnel.Src // the kernel refuses a tunnel to itself: EINVAL
	}
	return l2tpAction(ch)
}

// l2tpIoctl is the NetBSD ioctl each change is, for error messages.
var l2tpIoctl = map[string]string{
	api.L2tpSetTunnel:     "SIOCSLIFPHYADDR",
	api.L2tpDeleteTunnel:  "SIOCDIFPHYADDR",
	api.L2tpSetSession:    "SIOCSL2TPSESSION",
	api.L2tpDeleteSession: "SIOCDL2TPSESSION",
	api.L2tpSetCookie:     "SIOCSL2TPCOOKIE",
	api.L2tpDeleteCookie:  "SIOCDL2TPCOOKIE",
}

// setL2tp carries out an l2tp action. A refused tunnel is a warning, as
// NetBSD's settunnel has it; the other failures end the command.
func setL2tp(t *cli.Tool, b Backend, name string, a action) error {
	op := l2tpIoctl[a.l2tp.Op]
	lb, ok := b.(L2tpBackend)
	if !ok {
		return cli.Fail(op, api.Errorf(syscall.EOPNOTSUPP, "no l2tp interfaces here"))
	}
	err := lb.L2tp(name, *a.l2tp)
	if err != nil && a.l2tp.Op == api.L2tpSetTunnel {
		t.Warn(err, "%s", op)
		return nil
	}
	if err != nil {
		return cli.Fail(op, err)
	}
	return nil
}

// writeL2tp prints an l2tp interface's tunnel, session and cookie lines,
// as NetBSD's tunnel_status and l2tp_status.
func writeL2tp(w io.Writer, l *api.L2tp) {
	if l == nil {
		return
	}
	if l.Src != "" {
		af := "inet"
		if a, err := netip.ParseAddr(l.Src); err == nil && a.Is6() {
			af = "inet6"
		}
		fmt.Fprintf(w, "\ttunnel %s %s --> %s\n", af, l.Src, l.Dst)
	}
	if l.LocalSession != 0 || l.RemoteSession != 0 {
		fmt.Fprintf(w, "\tlocal-session-id: %d\n\tremote-session-id: %d\n", l.LocalSession, l.RemoteSession)
	}
	if l.LocalCookie != 0 || l.RemoteCookie != 0 {
		fmt.Fprintf(w, "\tlocal-cookie: %d\n\tremote-cookie: %d\n", l.LocalCookie, l.RemoteCookie)
	}
}
