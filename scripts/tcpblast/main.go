// Command tcpblast is scripts/bench's traffic and load tool. It measures TCP
// throughput against discard and chargen servers (RFC 863, RFC 864), runs
// such servers itself for the Linux reference side, and creates many virt
// interfaces in a rump kernel over one control connection, so that the
// time measured is the kernel's and not that of a thousand process starts.
// Its tapecho mode answers ping on a tap with no stack, for the floor under
// the kernel's ping figure. It is a benchmark helper, not one of rumpnet's tools.
//
//	tcpblast send HOST:PORT SECONDS   write zeros for SECONDS, print Gbit/s
//	tcpblast recv HOST:PORT SECONDS   read for SECONDS, print Gbit/s
//	tcpblast discard :PORT            serve discard until killed
//	tcpblast chargen :PORT            serve a chargen-like stream until killed
//	tcpblast create URL N             create virt0..virtN-1, print seconds
//	tcpblast tapecho TAP ADDR         answer ARP and ping for ADDR on TAP
//	tcpblast connrate HOST:PORT SECONDS  new connections a second, each
//	                                  one 64-byte request and its answer
//	tcpblast echoaccept :PORT         serve connrate until killed
//	tcpblast runtime N CMD [ARG...]   median milliseconds of N runs of CMD
//
// The rate counts the bytes the socket accepted (send) or returned (recv)
// between connect and the deadline; with several seconds per run the bytes
// still in flight at the end do not matter. One buffer per connection is
// allocated up front, so the loops do no allocation.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/rumpnet/rumpnet/pkg/client"
)

// bufSize is the size of every read and write: large, so that the cost per
// system call does not limit the rate.
const bufSize = 256 << 10

const usage = "usage: tcpblast send|recv HOST:PORT SECONDS | discard|chargen :PORT | create URL N | tapecho TAP ADDR | connrate HOST:PORT SECONDS | echoaccept :PORT | runtime N CMD [ARG...]"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tcpblast:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("%s", usage)
	}
	switch mode := args[0]; mode {
	case "send", "recv":
		if len(args) != 3 {
			return fmt.Errorf("%s needs HOST:PORT SECONDS", mode)
		}
		secs, err := strconv.ParseFloat(args[2], 64)
		if err != nil || secs <= 0 {
			return fmt.Errorf("bad seconds %q", args[2])
		}
		return measure(mode == "send", args[1], time.Duration(secs*float64(time.Second)))
	case "connrate":
		if len(args) != 3 {
			return fmt.Errorf("connrate needs HOST:PORT SECONDS")
		}
		secs, err := strconv.ParseFloat(args[2], 64)
		if err != nil || secs <= 0 {
			return fmt.Errorf("bad seconds %q", args[2])
		}
		return connRate(args[1], time.Duration(secs*float64(time.Second)))
	case "echoaccept":
		return echoAccept(args[1])
	case "runtime":
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 || len(args) < 3 {
			return fmt.Errorf("runtime needs N CMD [ARG...]")
		}
		return runTime(n, args[2:])
	case "discard", "chargen":
		return serve(mode == "chargen", args[1])
	case "create":
		if len(args) != 3 {
			return fmt.Errorf("create needs URL N")
		}
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 1 {
			return fmt.Errorf("bad count %q", args[2])
		}
		return create(args[1], n)
	case "tapecho":
		if len(args) != 3 {
			return fmt.Errorf("tapecho needs TAP ADDR")
		}
		return tapEcho(args[1], args[2])
	default:
		return fmt.Errorf("unknown mode %q\n%s", mode, usage)
	}
}

// measure sends to or receives from addr for d and prints Gbit/s.
func measure(send bool, addr string, d time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, bufSize)
	start := time.Now()
	if err := c.SetDeadline(start.Add(d)); err != nil {
		return err
	}
	op := "recv"
	if send {
		op = "send"
	}
	var total int64
	for {
		var n int
		if send {
			n, err = c.Write(buf)
		} else {
			n, err = c.Read(buf)
		}
		total += int64(n)
		if err != nil {
			break
		}
	}
	elapsed := time.Since(start)
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		return fmt.Errorf("%s %s: %w after %d bytes", op, addr, err, total)
	}
	fmt.Printf("%.3f\n", float64(total)*8/elapsed.Seconds()/1e9)
	return nil
}

// serve runs a discard or chargen server on addr until it is killed.
func serve(chargen bool, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	pattern := chargenPattern(bufSize)
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			if chargen {
				for {
					if _, err := c.Write(pattern); err != nil {
						return
					}
				}
			}
			io.CopyBuffer(io.Discard, c, make([]byte, bufSize))
		}()
	}
}

// chargenPattern returns at least n bytes of RFC 864's rotating lines of 72
// printable characters, each ending in CR LF.
func chargenPattern(n int) []byte {
	p := make([]byte, 0, n+74)
	for line := 0; len(p) < n; line++ {
		for j := 0; j < 72; j++ {
			p = append(p, byte(' '+(line+j)%95))
		}
		p = append(p, '\r', '\n')
	}
	return p
}

// create makes virt0 .. virt(n-1) in the kernel at url, one request each
// over one kept-alive connection, and prints the seconds it took.
func create(url string, n int) error {
	c := &client.Client{URL: url}
	if _, err := c.Info(); err != nil {
		return err
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := c.Create("net.link.virt"+strconv.Itoa(i), nil); err != nil {
			return fmt.Errorf("create virt%d: %w (after %.3f s)", i, err, time.Since(start).Seconds())
		}
	}
	fmt.Printf("%.3f\n", time.Since(start).Seconds())
	return nil
}
