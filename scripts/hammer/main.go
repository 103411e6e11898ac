// Command hammer is scripts/torture's attacker: it sends a rump kernel the
// inputs a hostile or unlucky client would — malformed control requests,
// clients that never read their replies or never finish a request, a
// connection flood, random frames into a tap — and measures how long a
// legitimate client waits for an answer meanwhile. It is a test helper,
// not one of rumpnet's tools, and it sends nothing but to the control
// socket it is given and, for frames, out of the interface it is given
// (a tap in a network namespace of the caller's).
//
//	hammer garbage SOCK N          N malformed requests, one connection each
//	hammer noread SOCK N SECS      N clients pipelining requests, never reading
//	hammer slow SOCK N SECS        N clients sending a request a byte a second
//	hammer flood SOCK N            N connections opened at once, then closed
//	hammer frames IFNAME N         N random and malformed frames out of IFNAME
//	hammer stuck SOCK SECS         half a request, held SECS without the rest
//	hammer wait SOCK               one legitimate request, its time in ms
//	hammer watch SOCK              legitimate requests until SIGTERM
//
// watch is the legitimate client beside an attack, run as another user
// than the attacker (the server keeps connection slots for root and its
// owner, not for whoever floods it): it asks every 50 ms (GET /v1/, a
// fresh connection each time) and, when told to stop, prints
// "legit-wait-ms MAX", the longest it waited for an answer, or
// "legit-wait-ms timeout (why)" when one got none within legitTimeout.
package main

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// legitTimeout bounds a legitimate request; past it the attack has locked
// the client out.
const legitTimeout = 10 * time.Second

const usage = "usage: hammer garbage|noread|slow|flood|frames|wait ARGS (see the source)"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hammer:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("%s", usage)
	}
	nums := make([]int, 0, 2)
	for _, a := range args[2:] {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			return fmt.Errorf("bad number %q; %s", a, usage)
		}
		nums = append(nums, n)
	}
	need := func(k int) error {
		if len(nums) != k {
			return fmt.Errorf("%s takes %d numbers; %s", args[0], k, usage)
		}
		return nil
	}
	sock := args[1]
	switch args[0] {
	case "garbage":
		if err := need(1); err != nil {
			return err
		}
		return garbage(sock, nums[0])
	case "noread":
		if err := need(2); err != nil {
			return err
		}
		return noread(sock, nums[0], secs(nums[1]))
	case "slow":
		if err := need(2); err != nil {
			return err
		}
		return slow(sock, nums[0], secs(nums[1]))
	case "flood":
		if err := need(1); err != nil {
			return err
		}
		return flood(sock, nums[0])
	case "frames":
		if err := need(1); err != nil {
			return err
		}
		return frames(args[1], nums[0])
	case "stuck":
		if err := need(1); err != nil {
			return err
		}
		return stuck(sock, secs(nums[0]))
	case "watch":
		if err := need(0); err != nil {
			return err
		}
		return watch(sock)
	case "wait":
		if err := need(0); err != nil {
			return err
		}
		d, err := legit(sock)
		if err != nil {
			return err
		}
		fmt.Printf("%.1f\n", float64(d)/float64(time.Millisecond))
		return nil
	}
	return fmt.Errorf("%s", usage)
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

// watch asks every 50 ms until SIGTERM or SIGINT and prints the longest
// wait.
func watch(sock string) error {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var worst time.Duration
	var failed error
	for {
		select {
		case <-stop:
			if failed != nil {
				fmt.Printf("legit-wait-ms timeout (%v)\n", failed)
			} else {
				fmt.Printf("legit-wait-ms %.1f\n", float64(worst)/float64(time.Millisecond))
			}
			return nil
		case <-time.After(50 * time.Millisecond):
		}
		d, err := legit(sock)
		if err != nil && failed == nil {
			failed = err
		}
		worst = max(worst, d)
	}
}

// legit makes one request as a well-behaved client does and returns how
// long the answer took.
func legit(sock string) (time.Duration, error) {
	start := time.Now()
	c, err := net.DialTimeout("unix", sock, legitTimeout)
	if err != nil {
		return time.Since(start), err
	}
	defer c.Close()
	c.SetDeadline(start.Add(legitTimeout))
	if _, err := c.Write([]byte("GET /v1/ HTTP/1.1\r\nHost: rump\r\nConnection: close\r\n\r\n")); err != nil {
		return time.Since(start), err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return time.Since(start), fmt.Errorf("no answer: %w", err)
	}
	if len(line) < 12 || line[9:12] != "200" {
		return time.Since(start), fmt.Errorf("answer %q", line)
	}
	return time.Since(start), nil
}

// garbage sends n malformed requests, each on a connection of its own,
// and reads what comes back for a moment.
func garbage(sock string, n int) error {
	templates := []string{
		"GET /v1/node/%s HTTP/1.1\r\nHost: x\r\n\r\n",
		"PUT /v1/node/%s HTTP/1.1\r\nContent-Length: 5\r\n\r\n%s",
		"POST /v1/create/net.link.%s HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n%s",
		"GET %s HTTP/9.9\r\n\r\n",
		"%s\r\n\r\n",
		"PUT /v1/node/kern.hostname HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n%s",
		"GET /v1/list/%s HTTP/1.1\r\nX: %s\r\n\r\n",
		"POST /v1/ping HTTP/1.1\r\nContent-Length: 20\r\n\r\n{\"dst\":\"%s\",\"count\":%s",
	}
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("unix", sock, legitTimeout)
		if err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		t := templates[i%len(templates)]
		msg := fmt.Sprintf(t, junk(i), junk(i+1))
		if i%5 == 4 {
			msg = junk(2000 + i)
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Write([]byte(msg))
		if uc, ok := c.(*net.UnixConn); ok {
			uc.CloseWrite()
		}
		buf := make([]byte, 512)
		c.Read(buf)
		c.Close()
	}
	fmt.Printf("sent %d malformed requests\n", n)
	return nil
}

// junk returns random bytes of a length that grows with i.
func junk(i int) string {
	n := 1 + i%97
	if i > 1000 {
		n = i % 8000
	}
	b := make([]byte, n)
	rand.Read(b)
	return string(b)
}

// noread opens n connections that pipeline requests without ever reading
// their replies, and holds them for d.
func noread(sock string, n int, d time.Duration) error {
	conns := openMany(sock, n)
	req := []byte("GET /v1/list/net HTTP/1.1\r\nHost: rump\r\n\r\n")
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				c.SetWriteDeadline(stop)
				if _, err := c.Write(req); err != nil {
					return // the server gave up on us: what it should do
				}
			}
		}()
	}
	wg.Wait()
	closeAll(conns)
	fmt.Printf("held %d non-reading clients for %v\n", len(conns), d)
	return nil
}

// slow opens n connections that send a request one byte a second.
func slow(sock string, n int, d time.Duration) error {
	conns := openMany(sock, n)
	req := []byte("PUT /v1/node/kern.hostname HTTP/1.1\r\nContent-Length: 4\r\n\r\nslow")
	stop := time.Now().Add(d)
	dropped := 0
	for i := 0; time.Now().Before(stop) && i < len(req); i++ {
		for j, c := range conns {
			if c == nil {
				continue
			}
			c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := c.Write(req[i : i+1]); err != nil {
				c.Close()
				conns[j] = nil
				dropped++
			}
		}
		time.Sleep(time.Second)
	}
	closeAll(conns)
	fmt.Printf("held %d slow clients for up to %v; the server dropped %d\n", n, d, dropped)
	return nil
}

// flood opens n connections as fast as it can, holds them a moment and
// closes them all.
func flood(sock string, n int) error {
	conns := openMany(sock, n)
	time.Sleep(time.Second)
	closeAll(conns)
	fmt.Printf("opened %d of %d connections at once\n", len(conns), n)
	return nil
}

// openMany dials up to n connections, keeping enough descriptors free
// for the legitimate client that runs beside the attack.
func openMany(sock string, n int) []net.Conn {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil && uint64(n)+64 > lim.Cur {
		n = int(lim.Cur) - 64
	}
	var conns []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("unix", sock, time.Second)
		if err != nil {
			continue // refused or timed out: the server's cap at work
		}
		conns = append(conns, c)
	}
	return conns
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// stuck sends a request whose body never comes and holds the connection.
func stuck(sock string, d time.Duration) error {
	c, err := net.DialTimeout("unix", sock, legitTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("PUT /v1/node/kern.hostname HTTP/1.1\r\nContent-Length: 100\r\n\r\nx")); err != nil {
		return err
	}
	time.Sleep(d)
	return nil
}

// rnd returns a random number below n.
func rnd(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}
