// Command icmpcap prints the ICMP (or, with -6, ICMPv6) echo requests that
// reach the network namespace it runs in, one line each: source address,
// TTL or hop limit, type of service (IPv4; 0 for IPv6) and length (IPv4:
// the datagram; IPv6: the ICMPv6 message). It prints "ready" once its raw
// socket is open and exits after -n requests or when -t passes.
//
// The real-process tests build it and run it inside their namespace with
// ip netns exec, so that the test process never changes namespace.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	v6 := flag.Bool("6", false, "capture ICMPv6")
	n := flag.Int("n", 1, "echo requests to wait for")
	timeout := flag.Duration("t", 10*time.Second, "give up after this long")
	flag.Parse()
	family, proto := unix.AF_INET, unix.IPPROTO_ICMP
	if *v6 {
		family, proto = unix.AF_INET6, unix.IPPROTO_ICMPV6
	}
	fd, err := unix.Socket(family, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		fmt.Fprintln(os.Stderr, "icmpcap: socket:", err)
		os.Exit(1)
	}
	if *v6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1); err != nil {
			fmt.Fprintln(os.Stderr, "icmpcap: IPV6_RECVHOPLIMIT:", err)
			os.Exit(1)
		}
	}
	tv := unix.NsecToTimeval(int64(100 * time.Millisecond))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	fmt.Println("ready")
	buf := make([]byte, 70000)
	oob := make([]byte, 256)
	deadline := time.Now().Add(*timeout)
	for seen := 0; seen < *n && time.Now().Before(deadline); {
		m, oobn, _, from, err := unix.Recvmsg(fd, buf, oob, 0)
		if err != nil {
			continue
		}
		var line string
		if *v6 {
			line = parse6(buf[:m], oob[:oobn], from)
		} else {
			line = parse4(buf[:m])
		}
		if line != "" {
			fmt.Println(line)
			seen++
		}
	}
}

// parse4 describes an IPv4 echo request (a raw socket reads the IP header).
func parse4(b []byte) string {
	if len(b) < 28 || b[9] != unix.IPPROTO_ICMP {
		return ""
	}
	hlen := int(b[0]&0xf) * 4
	if len(b) < hlen+8 || b[hlen] != 8 {
		return ""
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	return fmt.Sprintf("%s %d %d %d", src, b[8], b[1], binary.BigEndian.Uint16(b[2:4]))
}

// parse6 describes an ICMPv6 echo request; the hop limit comes as control
// data.
func parse6(b, oob []byte, from unix.Sockaddr) string {
	sa, ok := from.(*unix.SockaddrInet6)
	if !ok || len(b) < 8 || b[0] != 128 {
		return ""
	}
	hlim := -1
	msgs, _ := unix.ParseSocketControlMessage(oob)
	for _, msg := range msgs {
		if msg.Header.Level == unix.IPPROTO_IPV6 && msg.Header.Type == unix.IPV6_HOPLIMIT && len(msg.Data) >= 4 {
			hlim = int(binary.NativeEndian.Uint32(msg.Data))
		}
	}
	return fmt.Sprintf("%s %d 0 %d", netip.AddrFrom16(sa.Addr), hlim, len(b))
}
