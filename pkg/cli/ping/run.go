package ping

// The program: parse, resolve, ask the kernel, then print events as they
// arrive. One goroutine reads the event stream and hands the events over;
// it ends when the stream is closed, which Main does on every way out, and
// Main waits for it before it returns.

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// Backend is what rping needs of a kernel: pkg/client talks to the one
// RUMP_SERVER names.
type Backend interface {
	Ping(ctx context.Context, req api.PingRequest) (*client.PingStream, error)
}

// Run is rping's main.
func Run(args []string, stdout, stderr io.Writer) int {
	return runFamily(Inet, "rping", args, stdout, stderr)
}

// Run6 is rping6's main.
func Run6(args []string, stdout, stderr io.Writer) int {
	return runFamily(Inet6, "rping6", args, stdout, stderr)
}

func runFamily(f Family, name string, args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: name, Stdout: stdout, Stderr: stderr,
		Usage: usage(f), Complete: completion(f)}
	return t.Run(args, func(args []string) int {
		intr := make(chan os.Signal, 1)
		signal.Notify(intr, os.Interrupt)
		defer signal.Stop(intr)
		return Main(t, &client.Client{}, f, args, intr)
	})
}

// Main is rping (f Inet) or rping6 (f Inet6) against b: it parses args,
// pings, and returns the exit status. A value on intr (SIGINT) ends the
// run with its summary, as the first interrupt ends NetBSD's ping.
func Main(t *cli.Tool, b Backend, f Family, args []string, intr <-chan os.Signal) int {
	o, err := parse(f, args)
	if err != nil {
		t.ReportParse(err, usage(f))
		return 1
	}
	if o.raised {
		t.Warnx("too small interval, raised to %g", minInterval)
	}
	tg, err := resolveTarget(o)
	if err != nil {
		t.Warnx("%v", err)
		return 1
	}
	req, err := o.request(tg)
	if err != nil {
		t.Warnx("%v", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := b.Ping(ctx, req)
	if errors.Is(err, syscall.ENXIO) && f == Inet && req.Interface != "" {
		// rping -I takes an interface of the kernel or, as NetBSD's ping,
		// a host name.
		stream, err = o.retryWithName(ctx, b, req)
	}
	if err != nil {
		var bad *badValue
		if errors.As(err, &bad) {
			t.Warnx("%v", err)
		} else {
			o.refused(t, err)
		}
		return 1
	}
	return watch(t, stream, newReport(t, o, tg), o, intr)
}

// request is the kernel's part of the options.
func (o options) request(tg target) (api.PingRequest, error) {
	req := api.PingRequest{
		Dst:      tg.addr.String(),
		Count:    o.count,
		Interval: o.interval,
		Size:     o.size,
		TTL:      o.ttl,
		TOS:      o.tos,
		Deadline: o.deadline,
		Wait:     o.wait,
		AllICMP:  o.verbose,
	}
	if o.family == Inet6 {
		req.Interface = o.ifname
		req.NodeInfo = o.nodeInfo
		if o.gateway != "" {
			g, err := resolve(o.gateway, "ip6")
			if err != nil {
				return req, badf("getaddrinfo for the gateway %s: %s", o.gateway, gaiNoName)
			}
			req.NextHop = g.String()
		}
		if o.src != "" {
			if _, ok := parseAddr(o.src, "ip6"); !ok {
				return req, badf("invalid source address: %s", gaiNoName)
			}
			req.Src = o.src
		}
		return req, nil
	}
	// ping(8) always has room for a timestamp, and sends with TTL 255
	// unless told otherwise.
	req.Size = max(o.size, stampLen)
	if req.TTL == 0 {
		req.TTL = 255
	}
	req.RecordRoute = o.recordRoute
	req.DontFragment = o.dontFrag
	if o.gateway != "" {
		g, err := resolve(o.gateway, "ip4")
		if err != nil {
			return req, cannotResolve(o.gateway, err)
		}
		req.SourceRoute = g.String()
	}
	if o.src != "" {
		if _, ok := parseAddr(o.src, "ip4"); ok {
			req.Src = o.src
		} else {
			req.Interface = o.src
		}
	}
	return req, nil
}

// retryWithName asks again with rping -I's argument resolved as a host
// name, once it has turned out not to be an interface of the kernel.
func (o options) retryWithName(ctx context.Context, b Backend, req api.PingRequest) (*client.PingStream, error) {
	a, err := resolve(o.src, "ip4")
	if err != nil {
		return nil, cannotResolve(o.src, err)
	}
	req.Interface, req.Src = "", a.String()
	return b.Ping(ctx, req)
}

// refused prints why the kernel would not start the run, naming the step
// of NetBSD's programs that fails the same way.
func (o options) refused(t *cli.Tool, err error) {
	var ie *client.InitError
	switch {
	case errors.As(err, &ie):
		t.Report(ie)
	case errors.Is(err, syscall.EPERM) && o.family == Inet:
		t.Warnx("Must be superuser to use < 1 sec ping interval")
	case errors.Is(err, syscall.EPERM):
		t.Warnx("%s: only root may use interval < 1s", api.Strerror(syscall.EPERM))
	case errors.Is(err, syscall.EOPNOTSUPP) && o.family == Inet6 && o.gateway != "":
		t.Warn(err, "setsockopt(IPV6_NEXTHOP)")
	case errors.Is(err, syscall.EAFNOSUPPORT) && o.family == Inet:
		t.Warn(err, "Cannot create socket")
	case errors.Is(err, syscall.EAFNOSUPPORT):
		t.Warn(err, "socket")
	case errors.Is(err, syscall.EADDRNOTAVAIL) && o.family == Inet:
		t.Warn(err, "Can't set source interface/address")
	case errors.Is(err, syscall.EADDRNOTAVAIL) && o.src != "":
		t.Warn(err, "bind")
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		t.Warn(err, "UDP connect")
	case errors.Is(err, syscall.ENXIO) && o.ifname != "":
		t.Warnx("%s: invalid interface name", o.ifname)
	case errors.Is(err, syscall.ENXIO) && o.family == Inet6:
		// An unknown zone: getaddrinfo(3) fails on it.
		t.Warnx("%s", gaiNoName)
	default:
		t.Warn(err, "")
	}
}

// streamItem is one result of reading the stream.
type streamItem struct {
	ev  api.PingEvent
	err error
}

// watch prints the run's events until it ends, then the summary, and
// returns the exit status.
func watch(t *cli.Tool, stream *client.PingStream, r *report, o options, intr <-chan os.Signal) int {
	items := make(chan streamItem)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			ev, err := stream.Next()
			select {
			case items <- streamItem{ev, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		close(done)
		stream.Close()
		wg.Wait()
	}()
	for {
		var it streamItem
		select {
		case <-intr:
			return r.finish()
		case it = <-items:
		}
		if it.err != nil {
			if !errors.Is(it.err, io.EOF) {
				t.Warn(it.err, "")
			}
			return r.finish()
		}
		switch ev := it.ev; ev.Type {
		case api.PingStart:
			if ev.Error != nil && o.family == Inet6 {
				// ping6(8) finds its source address by connecting a UDP
				// socket, which fails without a route.
				t.Warn(ev.Error.Err(), "UDP connect")
				return 1
			}
			r.start(ev)
		case api.PingSent:
			r.sent(ev)
		case api.PingICMP:
			r.icmp(ev)
		case api.PingReply:
			r.reply(ev)
			if o.once && r.received > 0 {
				return r.finish()
			}
		case api.PingEnd:
			return r.finish()
		}
	}
}

// finish prints the summary and returns the exit status.
func (r *report) finish() int {
	r.summary()
	return r.status()
}
