package traceroute

// The program: parse, resolve, ask the kernel, then print each probe's
// result as it arrives. The stream is closed on every way out, which
// stops the run in the kernel.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// Backend is what rtraceroute needs of a kernel: pkg/client talks to the
// one RUMP_SERVER names.
type Backend interface {
	Traceroute(ctx context.Context, req api.TracerouteRequest) (*client.TracerouteStream, error)
}

// Deadlines for the host's resolver.
const (
	lookupTimeout  = 10 * time.Second
	reverseTimeout = time.Second
)

// Run is rtraceroute's main.
func Run(args []string, stdout, stderr io.Writer) int {
	return runFamily(Inet, "rtraceroute", args, stdout, stderr)
}

// Run6 is rtraceroute6's main.
func Run6(args []string, stdout, stderr io.Writer) int {
	return runFamily(Inet6, "rtraceroute6", args, stdout, stderr)
}

func runFamily(f Family, name string, args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: name, Stdout: stdout, Stderr: stderr, Usage: usage(f), Complete: completion(f)}
	return t.Run(args, func(args []string) int {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return Main(ctx, t, &client.Client{}, f, args, lookupName)
	})
}

// Main is rtraceroute (f Inet) or rtraceroute6 (f Inet6) against b: it
// parses args, traces, and returns the exit status. name turns an address
// into the name the lines show (the address itself when it has none).
func Main(ctx context.Context, t *cli.Tool, b Backend, f Family, args []string, name func(string) string) int {
	o, err := parse(f, args)
	if err != nil {
		t.ReportParse(err, usage(f))
		return 1
	}
	dst, err := resolve(o.host, f)
	if err != nil {
		t.Warnx("unknown host %s", o.host)
		return 1
	}
	req := api.TracerouteRequest{Dst: dst.String(), FirstTTL: o.firstTTL, MaxTTL: o.maxTTL,
		Probes: o.probes, Wait: float64(o.wait), Port: o.port, ICMP: o.icmp}
	if o.src != "" {
		src, err := resolve(o.src, f)
		if err != nil {
			t.Warnx("unknown host %s", o.src)
			return 1
		}
		req.Src = src.String()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := b.Traceroute(ctx, req)
	if err != nil {
		return t.Report(err)
	}
	defer stream.Close()
	p := &printer{w: t.Stdout, family: f, numeric: o.numeric, both: o.both, name: name}
	if o.numeric {
		p.name = func(a string) string { return a }
	}
	return show(ctx, t, stream, o, p)
}

// show prints the stream's events until it ends.
func show(ctx context.Context, t *cli.Tool, stream *client.TracerouteStream, o options, p *printer) int {
	defer p.close()
	for {
		ev, err := stream.Next()
		switch {
		case errors.Is(err, io.EOF):
			return 0
		case err != nil && ctx.Err() != nil:
			return 0 // interrupted, as traceroute dies on SIGINT
		case err != nil:
			p.close()
			return t.Report(err)
		}
		switch ev.Type {
		case api.TracerouteStart:
			io.WriteString(t.Stderr, header(o, o.host, ev.Dst, ev.Src, ev.MaxTTL))
			if o.family == Inet6 && o.firstTTL > 1 {
				p.printf("Skipping %d intermediate hops\n", o.firstTTL-1)
			}
		case api.TracerouteProbe:
			if ev.Error != nil {
				t.Warn(ev.Error.Err(), "sendto")
			}
			p.probe(ev.TTL, ev.From, ev.RTT, ev.ICMPType, ev.ICMPCode, ev.MTU, ev.ReplyTTL)
		case api.TracerouteEnd:
			return 0
		}
	}
}

// resolve finds the address of host in the program's family: a literal,
// or a name the host's resolver knows.
func resolve(host string, f Family) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil && a.Unmap().Is4() == (f == Inet) {
		return a.Unmap(), nil
	}
	network := "ip4"
	if f == Inet6 {
		network = "ip6"
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	as, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
	if err != nil || len(as) == 0 {
		return netip.Addr{}, errors.New("unknown host")
	}
	return as[0].Unmap(), nil
}

// lookupName is the name of addr, without its trailing dot, or addr.
func lookupName(addr string) string {
	ctx, cancel := context.WithTimeout(context.Background(), reverseTimeout)
	defer cancel()
	names, err := net.DefaultResolver.LookupAddr(ctx, addr)
	if err != nil || len(names) == 0 {
		return addr
	}
	n := names[0]
	if len(n) > 1 && n[len(n)-1] == '.' {
		n = n[:len(n)-1]
	}
	return n
}
