// Command gonet is a static Go program the supervisor's tests run:
// "dial ADDR" writes a line and prints the answer, "listen ADDR" prints the
// address it listens on and echoes one connection's line back upper-case,
// "get URL" prints an HTTP response's body, "serve ADDR" prints the address
// and answers every HTTP request with "hello from go".
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
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
	case "get":
		resp, err := http.Get(addr)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(os.Stdout, resp.Body)
		return err
	case "serve":
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		fmt.Println(l.Addr())
		return http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "hello from go\n")
		}))
	}
	return fmt.Errorf("unknown mode %q", mode)
}
