package client_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"

	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/ctlserver"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// startKernel boots a rump kernel in this process behind a control
// socket, as rump_server does, so that the examples run anywhere without
// root. A program names a running rump_server instead:
// client.Client{URL: "unix:///tmp/k1"}, or the zero Client for
// $RUMP_SERVER. The function it returns stops the kernel.
func startKernel() (*client.Client, func()) {
	k, err := rump.New(rump.Options{})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "rumpnet-example")
	if err != nil {
		log.Fatal(err)
	}
	sock := filepath.Join(dir, "ctl")
	l, err := net.Listen("unix", sock)
	if err != nil {
		log.Fatal(err)
	}
	go ctlserver.New(k, nil).Serve(l)
	c := &client.Client{URL: "unix://" + sock}
	return c, func() {
		c.CloseSockets()
		l.Close()
		k.Close()
		os.RemoveAll(dir)
	}
}

// A program on the host talks TCP through a rump kernel's stack: the
// connection is an ordinary descriptor, the addresses are the kernel's.
// Here it is the kernel's own TCP echo service, over its lo0.
func ExampleClient_Dial() {
	c, stop := startKernel()
	defer stop()
	if _, err := c.Set("net.inet.tcp.small_servers", 1); err != nil {
		log.Fatal(err)
	}

	conn, err := c.Dial("tcp", "127.0.0.1:7")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	fmt.Println("from", conn.LocalAddr().(*net.TCPAddr).IP, "to", conn.RemoteAddr())
	conn.Write([]byte("hello, rump kernel\n"))
	conn.(interface{ CloseWrite() error }).CloseWrite() // FIN: the echo ends too
	b, err := io.ReadAll(conn)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", b)
	// Output:
	// from 127.0.0.1 to 127.0.0.1:7
	// hello, rump kernel
}

// Listen serves on an address of the kernel; here a client of the same
// kernel dials it over lo0. An empty host (":8080") would listen on every
// address of both families.
func ExampleClient_Listen() {
	c, stop := startKernel()
	defer stop()

	l, err := c.Listen("tcp4", "127.0.0.1:8080")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	fmt.Println("listening on", l.Addr())
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(conn, "hello %s from %s\n", conn.RemoteAddr().(*net.TCPAddr).IP, conn.LocalAddr())
	}()

	conn, err := c.Dial("tcp", "127.0.0.1:8080")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	b, err := io.ReadAll(conn)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", b)
	// Output:
	// listening on 127.0.0.1:8080
	// hello 127.0.0.1 from 127.0.0.1:8080
}

// ListenPacket opens UDP sockets of the kernel: each datagram comes with
// its source, as from a net.UDPConn.
func ExampleClient_ListenPacket() {
	c, stop := startKernel()
	defer stop()

	server, err := c.ListenPacket("udp4", "127.0.0.1:5353")
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	peer, err := c.ListenPacket("udp4", "127.0.0.1:5354")
	if err != nil {
		log.Fatal(err)
	}
	defer peer.Close()

	if _, err := peer.WriteTo([]byte("ping"), server.LocalAddr()); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, from, err := server.ReadFrom(buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q from %s\n", buf[:n], from)
	// Output:
	// "ping" from 127.0.0.1:5354
}
