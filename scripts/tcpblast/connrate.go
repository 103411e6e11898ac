package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"time"
)

// connMsg is the size of a connrate request and of its answer.
const connMsg = 64

// connRate opens connections to an echoaccept server at addr for d, one
// after another, each sending connMsg bytes, reading them back and closing,
// and prints the connections completed a second.
func connRate(addr string, d time.Duration) error {
	buf := make([]byte, connMsg)
	start := time.Now()
	deadline := start.Add(d)
	n := 0
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return fmt.Errorf("connection %d: %w", n+1, err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(buf); err != nil {
			c.Close()
			return fmt.Errorf("connection %d: %w", n+1, err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			c.Close()
			return fmt.Errorf("connection %d: %w", n+1, err)
		}
		c.Close()
		n++
	}
	fmt.Printf("%.1f\n", float64(n)/time.Since(start).Seconds())
	return nil
}

// echoAccept serves connrate on addr until it is killed: it answers each
// connection's request with the same bytes and closes it.
func echoAccept(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			buf := make([]byte, connMsg)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(c, buf); err == nil {
				c.Write(buf)
			}
		}()
	}
}

// runTime runs argv n times, one after another, with its output discarded,
// and prints the median wall time of a run in milliseconds. A run that
// fails is an error.
func runTime(n int, argv []string) error {
	times := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", argv[0], err)
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
	}
	sort.Float64s(times)
	m := times[n/2]
	if n%2 == 0 {
		m = (times[n/2-1] + times[n/2]) / 2
	}
	fmt.Printf("%.3f\n", m)
	return nil
}
