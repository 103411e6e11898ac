// Package pcapin is shmif_pcapin(1): it writes the packets of a pcap file
// onto a shmif bus, one frame each, as if a kernel on the bus had sent
// them, for tests that need frames no kernel would send.
//
// It must not create a bus (the bus must exist, as kernels made it) and
// must not read the bus's frames; it writes through the bus's own writer
// (pkg/shmif), taking the bus lock as a kernel does.
package pcapin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/pkg/pcap"
	"github.com/rumpnet/rumpnet/pkg/shmif"
)

const usage = "usage: shmif_pcapin pcap-file-path bus-path\n"

// completion: two file names.
var completion = cli.Spec{
	Operand: func(cli.Kernel, []string, string) cli.Reply { return cli.Reply{Files: true} },
}

// Run is shmif_pcapin's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "shmif_pcapin", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int { return run(t, args) })
}

func run(t *cli.Tool, args []string) int {
	_, rest, err := getopt.Parse("", args)
	switch {
	case err != nil:
		err = &cli.UsageError{Msg: err.Error()}
	case len(rest) != 2:
		err = &cli.UsageError{}
	}
	if err != nil {
		t.ReportParse(err, usage)
		return 1
	}
	pcapPath, busPath := rest[0], rest[1]
	if !printHeader(t, busPath) {
		return 1
	}
	f, err := os.Open(pcapPath)
	if err != nil {
		t.Warn(errors.Unwrap(err), "cannot open pcap file %s", pcapPath)
		return 1
	}
	defer f.Close()
	rd, linkType, err := pcap.NewFileReader(bufio.NewReader(f))
	if err != nil {
		t.Warn(err, "cannot open pcap file %s", pcapPath)
		return 1
	}
	if linkType != pcap.LinkTypeEthernet {
		t.Warnx("%s: link type %d, not Ethernet", pcapPath, linkType)
		return 1
	}
	port, err := shmif.Attach(busPath)
	if err != nil {
		t.Warn(err, "attach %s", busPath)
		return 1
	}
	defer port.Close()
	return inject(t, rd, port, pcapPath)
}

// printHeader checks that busPath is a bus and prints its header line,
// as shmif_dumpbus does; false after a message if it is not.
func printHeader(t *cli.Tool, busPath string) bool {
	bus, err := shmif.OpenReadOnly(busPath)
	if err != nil {
		var pe *os.PathError
		switch {
		case errors.Is(err, shmif.ErrNotBus), errors.Is(err, syscall.EINVAL):
			t.Warnx("%s not a shmif bus", busPath)
		case errors.As(err, &pe):
			t.Warn(pe.Err, "%s", pe.Op)
		default:
			t.Warn(err, "")
		}
		return false
	}
	defer bus.Close()
	h, err := bus.Header()
	if err != nil {
		t.Warn(err, "%s", busPath)
		return false
	}
	fmt.Fprintf(t.Stdout, "bus version %d, lock: %d, generation: %d, firstoff: 0x%04x, lastoff: 0x%04x\n",
		h.Version, h.Lock, h.Generation, h.First, h.Last)
	return true
}

// inject writes every packet of rd to the bus, in order, each with the
// time it is written (not the one it was captured at).
func inject(t *cli.Tool, rd pcap.PacketReader, w io.Writer, pcapPath string) int {
	for i := 0; ; i++ {
		p, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return 0
		}
		if err != nil {
			t.Warn(err, "%s: packet %d", pcapPath, i)
			return 1
		}
		if _, err := w.Write(p.Data); err != nil {
			t.Warn(err, "write packet %d (%d bytes)", i, len(p.Data))
			return 1
		}
	}
}
