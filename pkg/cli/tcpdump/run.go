// Package tcpdump is rtcpdump(8): tcpdump(8) for an interface of a rump
// kernel. The kernel streams the interface's frames over the control
// socket; the real tcpdump compiles the filter expression (rtcpdump runs
// the program) and prints the frames, so the user gets tcpdump's syntax and
// every one of its output forms. With -w, frames are written as a pcap file
// by rtcpdump itself, so only a filter needs tcpdump then.
//
// It must not decode frames itself, nor guess at tcpdump's syntax.
package tcpdump

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/pcap"
)

// Run is rtcpdump's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rtcpdump", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h") {
		fmt.Fprint(stdout, usage)
		return 0
	}
	return t.Run(args, func(args []string) int {
		o, err := parse(args)
		if !t.Start(err, usage) {
			return 1
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
		return Main(ctx, t, &client.Client{}, o)
	})
}

// linkName is how tcpdump names a link type.
func linkName(lt int) string {
	if lt == pcap.LinkTypeNull {
		return "NULL (BSD loopback)"
	}
	return "EN10MB (Ethernet)"
}

// Main captures as o says through c until the count is reached, ctx ends
// or the interface goes away.
func Main(ctx context.Context, t *cli.Tool, c *client.Client, o options) int {
	if o.filterFile != "" {
		b, err := os.ReadFile(o.filterFile)
		if err != nil {
			t.Warn(err, "%s", o.filterFile)
			return 1
		}
		o.expr = strings.TrimSpace(string(b))
	}
	tcpdump, _ := exec.LookPath("tcpdump")
	switch {
	case tcpdump == "" && o.write == "":
		t.Warnx("printing frames needs tcpdump(8), which is not installed; use -w to write a pcap file")
		return 1
	case tcpdump == "" && o.expr != "":
		t.Warnx("a filter expression needs tcpdump(8), which is not installed")
		return 1
	}
	if o.iface == "" {
		name, err := defaultInterface(c)
		if err != nil {
			return t.Report(err)
		}
		o.iface = name
	}
	st, err := c.Capture(ctx, api.CaptureRequest{Interface: o.iface, Direction: o.direction,
		Snaplen: o.snaplen, Buffer: o.buffer})
	if err != nil {
		return t.Report(cli.Fail(o.iface, err))
	}
	defer st.Close()
	var prog program
	if o.expr != "" {
		if prog, err = compile(tcpdump, st.LinkType(), o.expr); err != nil {
			t.Warnx("%v", err)
			return 1
		}
	}
	out, finish, err := o.sink(t, tcpdump)
	if err != nil {
		t.Warn(err, "%s", o.write)
		return 1
	}
	w, err := pcap.NewWriter(out, st.LinkType(), st.Snaplen())
	if err != nil {
		finish()
		t.Warn(err, "%s", o.write)
		return 1
	}
	if o.write == "" && !hasVerbose(o.decode) {
		t.Warnx("verbose output suppressed, use -v[v]... for full protocol decode")
	}
	t.Warnx("listening on %s, link-type %s, snapshot length %d bytes", o.iface, linkName(st.LinkType()), st.Snaplen())
	captured, status := copyFrames(st, w, prog, o.count)
	if !quietEnd(ctx, status) {
		t.Warn(status, "%s", o.iface)
	}
	st.Close()
	finish()
	recv, drop := st.Stats()
	fmt.Fprintf(t.Stderr, "%d %s captured\n%d %s received by filter\n%d %s dropped by kernel\n",
		captured, plural(uint64(captured)), recv, plural(recv), drop, plural(drop))
	return 0
}

func plural(n uint64) string {
	if n == 1 {
		return "packet"
	}
	return "packets"
}

func hasVerbose(d []string) bool {
	for _, f := range d {
		if f == "-v" {
			return true
		}
	}
	return false
}

// copyFrames writes the frames that pass prog (all, if nil) to w, until
// count of them (0: no end) or the stream ends; it returns how many it
// wrote and why it stopped (nil: the count).
func copyFrames(st *client.CaptureStream, w *pcap.Writer, prog program, count int) (int, error) {
	n := 0
	for count == 0 || n < count {
		p, err := st.Next()
		if err != nil {
			return n, err
		}
		if prog != nil && !prog.match(p.Data, p.OrigLen) {
			continue
		}
		if err := w.WritePacket(p); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// sink returns where the pcap goes: the -w file, standard output for
// "-w -", or a tcpdump that prints it. finish closes it (and waits for
// tcpdump to print the rest).
func (o options) sink(t *cli.Tool, tcpdump string) (io.Writer, func(), error) {
	switch o.write {
	case "-":
		return t.Stdout, func() {}, nil
	case "":
	default:
		f, err := os.Create(o.write)
		if err != nil {
			return nil, nil, err
		}
		return f, func() { f.Close() }, nil
	}
	args := append([]string{"-r", "-"}, o.decode...)
	cmd := exec.Command(tcpdump, args...)
	cmd.Stdout = t.Stdout
	// A ^C at the terminal is rtcpdump's to handle: tcpdump, in a group
	// of its own, prints what it has been given and ends with its input.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	errp, err := cmd.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	done := make(chan struct{})
	go func() {
		// tcpdump's own messages, but for the one about reading a file,
		// which is not what the user asked for.
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			if !strings.HasPrefix(sc.Text(), "reading from file -") {
				fmt.Fprintln(t.Stderr, sc.Text())
			}
		}
		close(done)
	}()
	return in, func() {
		in.Close()
		<-done
		cmd.Wait()
	}, nil
}

// defaultInterface is the one tcpdump would choose: the first interface
// that is up and not a loopback, else the first loopback.
func defaultInterface(c *client.Client) (string, error) {
	ifs, err := c.Interfaces()
	if err != nil {
		return "", err
	}
	lo := ""
	for _, i := range ifs {
		switch {
		case i.Flags&api.IFF_UP == 0:
		case i.Flags&api.IFF_LOOPBACK != 0:
			if lo == "" {
				lo = i.Name
			}
		default:
			return i.Name, nil
		}
	}
	if lo == "" {
		return "", api.Errorf(syscall.ENXIO, "no suitable device found")
	}
	return lo, nil
}

// quietEnd reports whether a capture ended the normal way, not worth a
// message: with ^C (the context; the stream may then be cut inside a
// block, which its reader sees as malformed), with the interface (EOF),
// or with tcpdump gone (a broken pipe).
func quietEnd(ctx context.Context, err error) bool {
	return err == nil || ctx.Err() != nil || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE)
}
