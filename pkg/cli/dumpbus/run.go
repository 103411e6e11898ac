// Package dumpbus is shmif_dumpbus(1): it reads a shmif bus file and
// prints its header and frames, or writes the frames as a pcap file that
// tcpdump and wireshark read.
//
// It only reads the bus: it must never write to it or take its lock.
package dumpbus

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/pkg/shmif"
)

const usage = "usage: shmif_dumpbus [-fh] [-p pcapfile] buspath\n"

// Run is shmif_dumpbus's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "shmif_dumpbus", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int { return run(t, args) })
}

func run(t *cli.Tool, args []string) int {
	opts, rest, err := getopt.Parse("fhp:", args)
	switch {
	case err != nil:
		err = &cli.UsageError{Msg: err.Error()}
	case len(rest) != 1:
		err = &cli.UsageError{}
	}
	if err != nil {
		t.ReportParse(err, usage)
		return 1
	}
	headerOnly, follow, pcapPath := false, false, ""
	for _, o := range opts {
		switch o.Flag {
		case 'f':
			follow = true
		case 'h':
			headerOnly = true
		case 'p':
			pcapPath = o.Arg
		}
	}
	bus, err := shmif.OpenReadOnly(rest[0])
	if err != nil {
		var pe *os.PathError
		switch {
		case errors.Is(err, shmif.ErrNotBus), errors.Is(err, syscall.EINVAL):
			t.Warnx("%s not a shmif bus", rest[0])
		case errors.As(err, &pe):
			t.Warn(pe.Err, "%s", pe.Op)
		default:
			t.Warn(err, "")
		}
		return 1
	}
	defer bus.Close()

	// The text goes to stdout, or to stderr when the pcap stream does.
	text := t.Stdout
	if pcapPath == "-" {
		text = t.Stderr
	}
	h, err := bus.Header()
	if err != nil {
		t.Warn(err, "%s", rest[0])
		return 1
	}
	fmt.Fprintf(text, "bus version %d, lock: %d, generation: %d, firstoff: 0x%04x, lastoff: 0x%04x\n",
		h.Version, h.Lock, h.Generation, h.First, h.Last)
	if headerOnly {
		return 0
	}

	var pw *pcapWriter
	if pcapPath != "" {
		out := t.Stdout
		if pcapPath != "-" {
			f, err := os.OpenFile(pcapPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				t.Warn(errors.Unwrap(err), "create pcap dump")
				return 1
			}
			defer f.Close()
			out = f
		}
		bw := bufio.NewWriter(out)
		defer bw.Flush()
		if pw, err = newPcapWriter(bw); err != nil {
			t.Warn(err, "pcap header write")
			return 1
		}
		if follow {
			pw.flush = bw.Flush
		}
	}
	if follow {
		return followBus(t, bus, rest[0], text, pw)
	}
	i := 0
	err = bus.Frames(func(fi shmif.FrameInfo, data []byte) error {
		fmt.Fprintf(text, "packet %d, offset 0x%04x, length 0x%04x, ts %d/%06d\n",
			i, fi.Offset, fi.Length, fi.Sec, fi.Usec)
		i++
		if pw != nil {
			return pw.packet(fi, data)
		}
		return nil
	})
	switch {
	case errors.Is(err, shmif.ErrBusFault):
		t.Warn(err, "%s", rest[0])
		return 1
	case err != nil:
		t.Warn(err, "pcap write")
		return 1
	}
	return 0
}
