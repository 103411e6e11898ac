package rump

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

func TestShmifLifecycle(t *testing.T) {
	k := newKernel(t, Options{})
	bus := filepath.Join(t.TempDir(), "bus")
	if err := k.Create("shmif0"); err != nil {
		t.Fatal(err)
	}
	info, _ := k.Interface("shmif0")
	if !strings.HasPrefix(info.Address, "b2:a0:") || info.MTU != 1500 ||
		info.Flags != api.IFF_BROADCAST|api.IFF_SIMPLEX|api.IFF_MULTICAST || info.Kind != "shmif" {
		t.Errorf("new shmif0: got %s mtu %d flags %#x kind %s", info.Address, info.MTU, info.Flags, info.Kind)
	}
	wantErrno(t, k.SetFlags("shmif0", api.IFF_UP), syscall.ENXIO)
	wantErrno(t, k.AddAddr("shmif0", api.IfAddr{Addr: "10.9.0.1/24"}), syscall.ENXIO)
	if err := k.SetLinkstr("shmif0", bus); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, k.SetLinkstr("shmif0", bus), syscall.EBUSY)
	if err := k.SetFlags("shmif0", api.IFF_UP); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, k.SetLinkstr("shmif0", ""), syscall.EBUSY)
	info, _ = k.Interface("shmif0")
	if info.Linkstr != bus || info.Flags&api.IFF_RUNNING == 0 {
		t.Errorf("attached shmif0: linkstr %q flags %#x", info.Linkstr, info.Flags)
	}
	k.SetFlags("shmif0", 0)
	if err := k.SetLinkstr("shmif0", ""); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, k.SetFlags("shmif0", api.IFF_UP), syscall.ENXIO)
	if err := k.SetLinkstr("shmif0", filepath.Join(t.TempDir(), "none", "bus")); err == nil {
		t.Error("attach in a missing directory succeeded")
	}
	if err := k.SetLinkstr("shmif0", bus); err != nil {
		t.Fatal(err)
	}
	if err := k.Destroy("shmif0"); err != nil {
		t.Fatal(err)
	}
}

// busKernels boots n kernels with shmif0 on one bus, addresses
// 10.9.0.(i+1)/24 and fd00::(i+1)/64.
func busKernels(t testing.TB, n int) []*Kernel {
	ks, _ := busKernelsSize(t, n, 0)
	return ks
}

// busKernelsSize is busKernels on a bus of size bytes (0: the default),
// and returns the bus file's path too.
func busKernelsSize(t testing.TB, n int, size int) ([]*Kernel, string) {
	t.Helper()
	bus := filepath.Join(t.TempDir(), "bus")
	var ks []*Kernel
	for i := 0; i < n; i++ {
		k := newKernel(t, Options{})
		if size != 0 {
			if err := k.setBusSize(size); err != nil {
				t.Fatal(err)
			}
		}
		for _, step := range []error{
			k.Create("shmif0"),
			k.SetLinkstr("shmif0", bus),
			k.AddAddr("shmif0", api.IfAddr{Addr: fmt.Sprintf("10.9.0.%d/24", i+1)}),
			k.AddAddr("shmif0", api.IfAddr{Addr: fmt.Sprintf("fd00::%d/64", i+1)}),
		} {
			if step != nil {
				t.Fatal(step)
			}
		}
		ks = append(ks, k)
	}
	for _, k := range ks {
		waitUsable(t, k, "shmif0")
	}
	return ks, bus
}

// waitUsable polls until no IPv6 address of the interface is tentative.
func waitUsable(t testing.TB, k *Kernel, ifname string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, _ := k.Interface(ifname)
		tentative := false
		for _, a := range v.Inet6 {
			tentative = tentative || a.Flags&api.IN6_IFF_TENTATIVE != 0
		}
		for _, a := range v.Inet {
			tentative = tentative || a.Flags&api.IN_IFF_TENTATIVE != 0
		}
		if !tentative {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("addresses still tentative: %+v %+v", v.Inet, v.Inet6)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestShmifKernelsPingEachOther(t *testing.T) {
	ks := busKernels(t, 3)
	for i, k := range ks {
		for j := range ks {
			if i == j {
				continue
			}
			for _, dst := range []string{fmt.Sprintf("10.9.0.%d", j+1), fmt.Sprintf("fd00::%d", j+1)} {
				evs := pingAll(t, k, api.PingRequest{Dst: dst, Count: 1, Interval: 0.01, Wait: 5})
				if got := countTypes(evs); got[api.PingReply] != 1 {
					t.Errorf("kernel %d → %s: got %v, want one reply", i+1, dst, got)
				}
			}
		}
	}
	info, _ := ks[0].Interface("shmif0")
	if info.Stats.IPackets == 0 || info.Stats.OPackets == 0 || info.Stats.IMcasts == 0 {
		t.Errorf("counters not moving: %+v", info.Stats)
	}
}

func TestShmifTCP(t *testing.T) {
	ks := busKernels(t, 2)
	got, want := tcpTransfer(t, ks, 7, bytes.Repeat([]byte("rumpnet "), 1<<14))
	if !bytes.Equal(got, want) {
		t.Errorf("got %d bytes, want %d", len(got), len(want))
	}
}

// tcpTransfer sends msg from ks[0] to ks[1] (10.9.0.2, port) and returns
// what arrived.
func tcpTransfer(t testing.TB, ks []*Kernel, port uint16, msg []byte) (got, want []byte) {
	l, err := gonet.ListenTCP(ks[1].Stack(), tcpip.FullAddress{Port: port}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		done <- b
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gonet.DialContextTCP(ctx, ks[0].Stack(), tcpip.FullAddress{
		Addr: tcpip.AddrFrom4([4]byte{10, 9, 0, 2}), Port: port}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(msg)
	c.Close()
	return <-done, msg
}

// BenchmarkShmifTCP reports TCP throughput between two kernels on one bus.
func BenchmarkShmifTCP(b *testing.B) {
	ks := busKernels(b, 2)
	msg := bytes.Repeat([]byte{'x'}, 64<<20)
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		got, _ := tcpTransfer(b, ks, uint16(1000+i), msg)
		if len(got) != len(msg) {
			b.Fatalf("got %d bytes, want %d", len(got), len(msg))
		}
		b.ReportMetric(float64(len(msg))*8/time.Since(start).Seconds()/1e6, "Mbit/s")
	}
}
