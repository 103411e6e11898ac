package ping

// The output: NetBSD ping(8)'s and ping6(8)'s lines, fed with the kernel's
// events, and the statistics their summaries print.

import (
	"fmt"
	"io"
	"math"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// report prints a run and keeps its statistics.
type report struct {
	t        *cli.Tool
	family   Family
	hostname string // the target as the header and summary name it
	dst      string // its address
	size     int    // data bytes, as the user asked
	quiet    bool
	// semiquiet (rping -Q) leaves out ICMP errors about the requests;
	// verbose (-v) prints every ICMP message.
	semiquiet, verbose bool
	// recordRoute and sourceRoute (rping -R, -g) say the requests carry
	// IP options; the replies' are printed.
	recordRoute, sourceRoute bool
	// saidNoRR and saidNoSR remember that a reply without the option was
	// reported; lastRR is the last route recorded.
	saidNoRR, saidNoSR bool
	lastRR             []byte
	// nodeInfo (rping6 -w): the requests are node information queries.
	nodeInfo bool
	// names (rping without -n) prints an ICMP message's sender as
	// "name (address)" when it has a name.
	names bool
	// name gives the name rping6 -H prints for an address; nil prints
	// numbers.
	name func(addr string) string

	transmitted, received, repeats int
	answered                       map[int]bool // sequence numbers answered since they were sent
	tmin, tmax, tsum, tsumsq       float64      // round trips, in ms
}

func newReport(t *cli.Tool, o options, tg target) *report {
	r := &report{t: t, family: o.family, hostname: tg.hostname, dst: tg.addr.String(),
		size: o.size, quiet: o.quiet, semiquiet: o.semiquiet, verbose: o.verbose,
		names: o.family == Inet && o.names, answered: map[int]bool{},
		recordRoute: o.recordRoute, sourceRoute: o.family == Inet && o.gateway != "", nodeInfo: o.nodeInfo}
	if o.nodeInfo {
		// ping6 -w: a 16-byte query and the address it asks about, no
		// timestamp.
		r.size = niQueryLen - 8
	}
	if o.family == Inet6 && o.names {
		r.name = lookupName
	}
	return r
}

// timing reports whether requests carry a timestamp, so that replies have
// round-trip times.
func (r *report) timing() bool { return r.size >= stampLen && !r.nodeInfo }

func (r *report) addr(a string) string {
	if r.name == nil {
		return a
	}
	return r.name(a)
}

// start prints the header: "PING host (addr): 56 data bytes" or
// "PING6(56=40+8+8 bytes) src --> dst".
func (r *report) start(ev api.PingEvent) {
	if r.family == Inet {
		fmt.Fprintf(r.t.Stdout, "PING %s (%s): %d data bytes\n", r.hostname, r.dst, r.size)
		return
	}
	fmt.Fprintf(r.t.Stdout, "PING6(%d=40+8+%d bytes) %s --> %s\n", 48+r.size, r.size, r.addr(ev.Src), r.addr(ev.Dst))
}

// sent counts a request, and reports it as NetBSD's programs do if it could
// not be sent.
func (r *report) sent(ev api.PingEvent) {
	r.transmitted++
	delete(r.answered, ev.Seq)
	if ev.Error == nil {
		return
	}
	if r.family == Inet {
		r.t.Warn(ev.Error.Err(), "sendto")
		return
	}
	r.t.Warn(ev.Error.Err(), "sendmsg")
	fmt.Fprintf(r.t.Stdout, "%s: wrote %s %d chars, ret=-1\n", r.t.Name, r.hostname, 8+r.size)
}

// reply counts a reply (a second one for the same request is a duplicate)
// and prints its line unless quiet.
func (r *report) reply(ev api.PingEvent) {
	if r.timing() {
		r.tsum += ev.RTT
		r.tsumsq += ev.RTT * ev.RTT
		if r.received+r.repeats == 0 || ev.RTT < r.tmin {
			r.tmin = ev.RTT
		}
		r.tmax = max(r.tmax, ev.RTT)
	}
	dup := r.answered[ev.Seq]
	if dup {
		r.repeats++
	} else {
		r.received++
		r.answered[ev.Seq] = true
	}
	if r.quiet {
		return
	}
	w := r.t.Stdout
	if r.family == Inet {
		fmt.Fprintf(w, "%d bytes from %s: icmp_seq=%d", ev.Bytes, ev.From, ev.Seq)
		if dup {
			fmt.Fprint(w, " DUP!")
		}
		fmt.Fprintf(w, " ttl=%d", ev.TTL)
		if r.timing() {
			fmt.Fprintf(w, " time=%.3f ms", ev.RTT)
		}
		if r.recordRoute || r.sourceRoute {
			r.replyOptions(ev)
		}
		fmt.Fprintln(w)
		return
	}
	if r.nodeInfo {
		fmt.Fprintf(w, "%d bytes from %s: %s\n", ev.Bytes, r.addr(ev.From), nodeInfoText(ev.ICMP))
		return
	}
	fmt.Fprintf(w, "%d bytes from %s, icmp_seq=%d hlim=%d", ev.Bytes, r.addr(ev.From), ev.Seq, ev.TTL)
	if r.timing() {
		fmt.Fprintf(w, " time=%.3f ms", ev.RTT)
	}
	if dup {
		fmt.Fprint(w, "(DUP!)")
	}
	fmt.Fprintln(w)
}

// summary prints the statistics.
func (r *report) summary() {
	w := r.t.Stdout
	if r.family == Inet {
		fmt.Fprintf(w, "\n----%s PING Statistics----\n", r.hostname)
	} else {
		fmt.Fprintf(w, "\n--- %s ping6 statistics ---\n", r.hostname)
	}
	r.counts(w)
	if r.received == 0 || !r.timing() {
		return
	}
	n := float64(r.received + r.repeats)
	avg := r.tsum / n
	if r.family == Inet {
		// ping(8): the sample standard deviation.
		variance := 0.0
		if n > 1 {
			variance = (r.tsumsq - n*avg*avg) / (n - 1)
		}
		fmt.Fprintf(w, "round-trip min/avg/max/stddev = %.3f/%.3f/%.3f/%.3f ms\n",
			r.tmin, avg, r.tmax, math.Sqrt(max(variance, 0)))
		return
	}
	// ping6(8): the population's.
	fmt.Fprintf(w, "round-trip min/avg/max/std-dev = %.3f/%.3f/%.3f/%.3f ms\n",
		r.tmin, avg, r.tmax, math.Sqrt(max(r.tsumsq/n-avg*avg, 0)))
}

// counts prints "3 packets transmitted, 3 packets received, 0.0% packet
// loss".
func (r *report) counts(w io.Writer) {
	fmt.Fprintf(w, "%d packets transmitted, %d packets received, ", r.transmitted, r.received)
	if r.repeats > 0 {
		fmt.Fprintf(w, "+%d duplicates, ", r.repeats)
	}
	if r.transmitted > 0 {
		if r.received > r.transmitted {
			fmt.Fprint(w, "-- somebody's duplicating packets!")
		} else {
			fmt.Fprintf(w, "%.1f%% packet loss", float64(r.transmitted-r.received)*100/float64(r.transmitted))
		}
	}
	fmt.Fprintln(w)
}

// status is the exit status: 0 if any reply came, 2 if none did.
func (r *report) status() int {
	if r.received > 0 {
		return 0
	}
	return 2
}
