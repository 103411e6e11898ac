// Package rumphijack is rumphijack(1): it runs a program with its AF_INET
// and AF_INET6 sockets served by the rump kernel RUMP_SERVER names, through
// the supervisor in pkg/hijack.
//
// It must not change the program's other descriptors, its environment
// (beyond the stub's marker, which the stub removes) or its exit status.
package rumphijack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/hijack"
)

const usage = "usage: rumphijack [-v] command [arg ...]\n"

// Opener opens the socket session of the server at url.
type Opener func(ctx context.Context, url string) (hijack.Backend, error)

// Run is rumphijack's main.
func Run(args []string, stdout, stderr io.Writer) int {
	return RunWith(args, stdout, stderr, openSession)
}

// RunWith is Run with the session from open.
//
// Unlike the other tools it does not run under cobra's root command: its
// command line is getopt's alone either way, and cobra's Execute is a
// measurable part of the time rumphijack adds to every program it starts.
func RunWith(args []string, stdout, stderr io.Writer, open Opener) int {
	t := &cli.Tool{Name: "rumphijack", Stdout: stdout, Stderr: stderr}
	return run(t, args, open)
}

// config is the parsed command line.
type config struct {
	verbose bool
	argv    []string
}

func parse(args []string) (config, error) {
	opts, rest, err := getopt.Parse("v", args)
	if err != nil {
		return config{}, err
	}
	if len(rest) == 0 {
		return config{}, &getopt.Error{Msg: "no command"}
	}
	cfg := config{argv: rest}
	for _, o := range opts {
		if o.Flag == 'v' {
			cfg.verbose = true
		}
	}
	return cfg, nil
}

func run(t *cli.Tool, args []string, open Opener) int {
	if len(args) > 0 && args[0] == "--help" {
		fmt.Fprint(t.Stdout, usage)
		return 0
	}
	cfg, err := parse(args)
	if err != nil {
		t.Warnx("%v", err)
		fmt.Fprint(t.Stderr, usage)
		return 1
	}
	url := os.Getenv(client.EnvServer)
	if url == "" {
		t.Warnx("RUMP_SERVER not set")
		return 1
	}
	if err := hijack.CheckHost(); err != nil {
		t.Warn(err, "")
		return 1
	}
	if err := client.Reachable(url); err != nil {
		return t.Report(err)
	}
	// The session opens at the program's first trapped call; if it cannot
	// be opened, the program is killed and the open's error reported.
	p := openPending(context.Background(), url, open)
	status, err := supervise(t, cfg, p)
	if oerr, _ := p.result(); oerr != nil {
		var ie *client.InitError
		if errors.As(oerr, &ie) {
			t.Report(ie)
		} else {
			t.Warn(oerr, "socket session")
		}
		return 1
	}
	if err != nil {
		// As env(1): 127 when there is no such command, 126 when it
		// cannot be run.
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			t.Warn(syscall.ENOENT, "%s", cfg.argv[0])
			return 127
		}
		t.Warn(err, "%s", cfg.argv[0])
		return 126
	}
	return status
}

// supervise starts the program, answers its notifications and returns its
// exit status the way a shell reports it.
func supervise(t *cli.Tool, cfg config, b *pending) (int, error) {
	files, ends, copied, err := stdio(t)
	if err != nil {
		b.Close()
		return 0, err
	}
	proc, lfd, err := hijack.Spawn(cfg.argv, files, os.Environ())
	for _, f := range ends {
		f.Close() // the program holds its own copies now
	}
	if err != nil {
		copied.Wait()
		b.Close()
		return 0, err
	}
	sup := hijack.New(lfd, b)
	if cfg.verbose {
		sup.Logf = func(format string, a ...any) { fmt.Fprintf(t.Stderr, "rumphijack: "+format+"\n", a...) }
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- sup.Run(stop) }()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer func() {
		signal.Stop(sigs)
		close(sigs) // nothing is delivered after Stop
	}()
	go func() {
		for sig := range sigs {
			proc.Signal(sig.(syscall.Signal))
		}
	}()
	exited := make(chan struct{})
	defer close(exited)
	go func() {
		select {
		case <-b.started:
		case <-exited:
			return
		}
		select {
		case <-b.done:
			if b.err != nil {
				proc.Signal(syscall.SIGKILL) // no session: the program must not go on
			}
		case <-exited:
		}
	}()
	ws, werr := proc.Wait()
	close(stop)
	<-done
	sup.Close() // after Run: the session, the handlers, the listener
	copied.Wait()
	if werr != nil {
		return 0, werr
	}
	return exitStatus(ws), nil
}

// stdio is the program's descriptors 0, 1 and 2: rumphijack's own, or
// for a writer that is not a file (tests) a pipe whose bytes are copied
// to it until the wait group is done; ends are the pipes' write ends, for
// the caller to close once the program has started.
func stdio(t *cli.Tool) (files, ends []*os.File, wg *sync.WaitGroup, err error) {
	wg = &sync.WaitGroup{}
	files = []*os.File{os.Stdin}
	for _, w := range []io.Writer{t.Stdout, t.Stderr} {
		if f, ok := w.(*os.File); ok {
			files = append(files, f)
			continue
		}
		r, pw, err := os.Pipe()
		if err != nil {
			for _, f := range ends {
				f.Close()
			}
			return nil, nil, wg, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(w, r)
			r.Close()
		}()
		files, ends = append(files, pw), append(ends, pw)
	}
	return files, ends, wg, nil
}

// exitStatus is the program's status as sh(1) reports it: 128+n for a
// signal.
func exitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
