package ping

// Names: the host's resolver (hosts file, then DNS) turns the target and a
// source given by name into addresses, and addresses into the names the
// header shows, with short deadlines. The kernel itself only sees numbers.

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Deadlines for the host's resolver.
const (
	lookupTimeout  = 10 * time.Second
	reverseTimeout = time.Second
)

// gaiNoName is getaddrinfo(3)'s message for a name it cannot resolve, which
// ping6(8) prints.
const gaiNoName = "hostname nor servname provided, or not known"

// target is the host to ping: its address and the name the header and
// summary show for it.
type target struct {
	addr     netip.Addr
	hostname string
}

// resolveTarget finds the address to ping. The error is the message ping
// or ping6 prints.
func resolveTarget(o options) (target, error) {
	if o.family == Inet6 {
		a, err := resolve(o.host, "ip6")
		if err != nil {
			return target{}, badf("%s", gaiNoName)
		}
		return target{addr: a, hostname: o.host}, nil
	}
	a, err := resolve(o.host, "ip4")
	if err != nil {
		return target{}, cannotResolve(o.host, err)
	}
	tg := target{addr: a, hostname: o.host}
	if _, literal := parseAddr(o.host, "ip4"); literal && o.names {
		// ping(8) names a numeric target by its address's name, if any.
		if name := lookupName(a.String()); name != a.String() {
			tg.hostname = name
		}
	}
	return tg, nil
}

// cannotResolve is ping(8)'s message for a host name it cannot use.
func cannotResolve(name string, err error) error {
	why := "Unknown host"
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && !dnsErr.IsNotFound {
		why = "Host name lookup failure"
	}
	return badf("Cannot resolve \"%s\" (%s)", name, why)
}

// parseAddr reads a numeric address of the network ("ip4" or "ip6"; an
// IPv6 address may have a zone).
func parseAddr(s, network string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Is4() != (network == "ip4") {
		return netip.Addr{}, false
	}
	return a, true
}

// resolve reads a numeric address or looks a name up.
func resolve(host, network string) (netip.Addr, error) {
	if a, ok := parseAddr(host, network); ok {
		return a, nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		// A number of the other family.
		return netip.Addr{}, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(ips) == 0 {
		return netip.Addr{}, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return ips[0].Unmap(), nil
}

// lookupName is the name of an address (with any zone kept), or the
// address when it has none.
func lookupName(addr string) string {
	ip, zone, _ := strings.Cut(addr, "%")
	ctx, cancel := context.WithTimeout(context.Background(), reverseTimeout)
	defer cancel()
	names, err := net.DefaultResolver.LookupAddr(ctx, ip)
	if err != nil || len(names) == 0 {
		return addr
	}
	name := strings.TrimSuffix(names[0], ".")
	if zone != "" {
		name += "%" + zone
	}
	return name
}
