package rumpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/ctlserver"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// Run is rump_server's main: it returns the exit status.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rump_server", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int { return run(t, args) })
}

func run(t *cli.Tool, args []string) int {
	o, err := parseArgs(args)
	if err != nil {
		t.ReportParse(err, usage)
		return 1
	}
	path, err := api.SocketPath(o.URL)
	if err != nil {
		t.Warn(err, "%s", o.URL)
		return 1
	}
	ready := readyPipe()
	if !o.Foreground && ready == nil {
		if err := detach(args, startCPUsEnv(o)); err != nil {
			var se *startupError
			if errors.As(err, &se) {
				fmt.Fprintln(t.Stderr, se.msg)
			} else {
				t.Warnx("%v", err)
			}
			return 1
		}
		return 0
	}
	// From here on this process is the server.
	fail := func(err error, what string) int {
		// The detail says which step failed ("another server is
		// listening", "unknown component"), the errno why.
		var buf strings.Builder
		(&cli.Tool{Name: t.Name, Stderr: &buf}).Warnx("%s: %v", what, err)
		if ready != nil {
			ready.WriteString(buf.String())
			ready.Close()
		} else {
			io.WriteString(t.Stderr, buf.String())
		}
		return 1
	}
	if o.NCPU > 0 {
		runtime.GOMAXPROCS(o.NCPU)
	}
	cpus := laterCPUs()
	if o.MemLimit > 0 {
		debug.SetMemoryLimit(o.MemLimit)
	}
	if prof := os.Getenv(EnvCPUProfile); prof != "" {
		stop, err := startCPUProfile(prof)
		if err != nil {
			return fail(err, EnvCPUProfile)
		}
		defer stop()
	}
	k, err := rump.New(rump.Options{Components: o.Libs})
	if err != nil {
		return fail(err, "boot")
	}
	l, err := listen(path)
	if err != nil {
		k.Close()
		return fail(err, o.URL)
	}
	// Remember which file is ours: if another server has taken over the
	// path by the time this one finishes shutting down, its socket stays.
	ours, _ := os.Lstat(path)
	halt := make(chan struct{}, 1)
	srv := ctlserver.New(k, func() {
		select {
		case halt <- struct{}{}:
		default:
		}
	})
	// A detached server has no terminal to lose; one in the foreground shuts
	// down cleanly when its terminal goes away.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	if ready != nil {
		signal.Ignore(syscall.SIGHUP)
	} else {
		signal.Notify(sigs, syscall.SIGHUP)
	}
	defer signal.Stop(sigs)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	if o.Verbose {
		t.Warnx("kernel up (components %v), listening on %s", k.Components(), o.URL)
	}
	// Free heap a burst of traffic left goes back to the system once
	// the kernel is quiet again; see memory.go.
	trim := newTrimmer()
	trim.cpus = cpus
	trim.start()
	defer trim.stop()
	if ready != nil {
		ready.WriteString(readyOK + "\n")
		ready.Close()
	}
	status := 0
	select {
	case s := <-sigs:
		if o.Verbose {
			t.Warnx("%v: shutting down", s)
		}
	case <-halt:
		if o.Verbose {
			t.Warnx("halted by client")
		}
	case err := <-served:
		t.Warnx("control socket: %v", err)
		status = 1
	}
	// Shutdown order: stop taking requests, destroy interfaces and the stack
	// (closing the taps), and remove the socket file last. A step that does
	// not finish (a request stuck in the kernel) does not keep the process
	// alive: after shutdownTimeout, or a second signal, the socket is
	// removed all the same and the process exits, which closes the host
	// fds that are still open.
	clean := shutdownWithin(shutdownTimeout, sigs, func() {
		ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		srv.Shutdown(ctx)
		cancel()
		l.Close()
		k.Close()
	})
	if !clean {
		t.Warnx("shutdown did not finish within %v; exiting anyway", shutdownTimeout)
		status = 1
	}
	if now, err := os.Lstat(path); err == nil && ours != nil && os.SameFile(now, ours) {
		os.Remove(path)
	}
	return status
}

const (
	// drainTimeout is how long requests in flight may take to finish
	// once shutdown starts; they are then cut off.
	drainTimeout = 2 * time.Second
	// shutdownTimeout bounds the whole shutdown.
	shutdownTimeout = 5 * time.Second
)

// shutdownWithin runs steps and waits until they finish, d passes or a
// signal arrives on sigs; it reports whether they finished. Steps that do
// not finish go on in the background until the process exits.
func shutdownWithin(d time.Duration, sigs <-chan os.Signal, steps func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		steps()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
	case <-sigs:
	}
	return false
}
