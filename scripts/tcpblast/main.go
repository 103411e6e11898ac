// Command tcpblast is scripts/bench's traffic tool: it measures TCP
// throughput against discard and chargen servers (RFC 863, RFC 864), and
// runs such servers itself for the Linux reference side. It is a
// benchmark helper, not one of rumpnet's tools.
//
//	tcpblast send HOST:PORT SECONDS   write zeros for SECONDS, print Gbit/s
//	tcpblast recv HOST:PORT SECONDS   read for SECONDS, print Gbit/s
//	tcpblast discard :PORT            serve discard until killed
//	tcpblast chargen :PORT            serve a chargen-like stream until killed
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

const bufSize = 256 << 10

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: tcpblast send|recv HOST:PORT SECONDS | discard|chargen :PORT")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "send", "recv":
		if len(os.Args) != 4 {
			err = fmt.Errorf("%s needs HOST:PORT SECONDS", os.Args[1])
			break
		}
		var secs float64
		if secs, err = strconv.ParseFloat(os.Args[3], 64); err == nil {
			err = measure(os.Args[1] == "send", os.Args[2], time.Duration(secs*float64(time.Second)))
		}
	case "discard", "chargen":
		err = serve(os.Args[1] == "chargen", os.Args[2])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcpblast:", err)
		os.Exit(1)
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
	c.SetDeadline(start.Add(d))
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
	el := time.Since(start)
	if total == 0 {
		return fmt.Errorf("no data moved: %v", err)
	}
	fmt.Printf("%.3f\n", float64(total)*8/el.Seconds()/1e9)
	return nil
}

// serve runs a discard or chargen server on addr.
func serve(chargen bool, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	pattern := make([]byte, 0, bufSize+74)
	for line := 0; len(pattern) < bufSize; line++ {
		for j := 0; j < 72; j++ {
			pattern = append(pattern, byte(32+(line+j)%95))
		}
		pattern = append(pattern, '\r', '\n')
	}
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
