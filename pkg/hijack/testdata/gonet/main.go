// Command gonet is a static Go program the supervisor's tests run:
// "dial ADDR" writes a line and prints the answer, "listen ADDR" prints the
// address it listens on and echoes one connection's line back upper-case.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func run(mode, addr string) error {
	switch mode {
	case "dial":
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		fmt.Fprintln(c, "hello")
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return err
		}
		fmt.Print(line)
		return nil
	case "listen":
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		fmt.Println(l.Addr())
		c, err := l.Accept()
		if err != nil {
			return err
		}
		defer c.Close()
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return err
		}
		fmt.Fprint(c, strings.ToUpper(line))
		return nil
	}
	return fmt.Errorf("unknown mode %q", mode)
}
