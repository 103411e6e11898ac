package client_test

import (
	"fmt"
	"io"
	"log"

	"github.com/rumpnet/rumpnet/pkg/client"
)

// A program on the host talks TCP through a rump kernel's stack: the
// connection is an ordinary descriptor, the addresses are the kernel's.
// (It needs a running rump_server: RUMP_SERVER=unix://... names it.)
func ExampleClient_Dial() {
	var c client.Client // $RUMP_SERVER
	defer c.CloseSockets()
	conn, err := c.Dial("tcp", "10.1.0.2:7") // the echo service of a kernel on the bus
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	fmt.Println("from", conn.LocalAddr(), "to", conn.RemoteAddr())
	conn.Write([]byte("hello\n"))
	conn.(interface{ CloseWrite() error }).CloseWrite()
	b, _ := io.ReadAll(conn)
	fmt.Printf("%s", b)
}

// Listen serves on every address of the kernel, both families.
func ExampleClient_Listen() {
	c := client.Client{URL: "unix:///run/rump/k1"}
	l, err := c.Listen("tcp", ":8080")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			fmt.Fprintf(conn, "hello %s\n", conn.RemoteAddr())
		}()
	}
}
