// Package halt is rhalt(1), NetBSD's rump.halt: it asks the rump kernel that
// RUMP_SERVER names to shut down and waits until it has.
//
// It must not signal processes; the control socket is its only way in.
package halt

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

const usage = "usage: rhalt [-hn]\n"

// waitGone is how long rhalt waits for the server to remove its socket after
// it has acknowledged the halt.
const waitGone = 10 * time.Second

// Run is rhalt's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rhalt", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int { return run(t, args) })
}

func run(t *cli.Tool, args []string) int {
	if err := parse(args); err != nil {
		t.ReportParse(err, usage)
		return 1
	}
	url := t.Server()
	if url == "" {
		return 1
	}
	path, err := api.SocketPath(url)
	if err != nil {
		return t.Report(&client.InitError{URL: url, Err: err})
	}
	c := &client.Client{URL: url}
	if err := c.Halt(); err != nil {
		return t.Report(cli.Fail("halt", err))
	}
	deadline := time.Now().Add(waitGone)
	for {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			return 0
		}
		if time.Now().After(deadline) {
			t.Warnx("%s: server still running %v after the halt", url, waitGone)
			return 1
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// parse checks the command line. -h (halt rather than reboot) and -n (do
// not sync) describe what always happens here: there is nothing to sync
// and no reboot.
func parse(args []string) error {
	opts, rest, err := getopt.Parse("dhn", args)
	switch {
	case err != nil:
		return &cli.UsageError{Msg: err.Error()}
	case len(rest) > 0:
		return &cli.UsageError{}
	}
	for _, o := range opts {
		if o.Flag == 'd' {
			return cli.Refuse("-d: core dumps are not supported")
		}
	}
	return nil
}
