package ifconfig

import (
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/hosttap"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// TestCreateWithLinkstr checks that "virt0 create linkstr NAME" never
// touches tap0, so a kernel can have a virt0 while tap0 is another's, and
// that the refusal of a busy tap0 says so and what to do.
func TestCreateWithLinkstr(t *testing.T) {
	var opened []string
	k, err := rump.New(rump.Options{OpenTap: func(name string) (rump.FrameDevice, error) {
		opened = append(opened, name)
		if name == "tap0" {
			return nil, &hosttap.OpenError{Name: name, Err: syscall.EBUSY, Reason: "tap0 is held open by another process"}
		}
		a, _ := framepipe.New()
		return a, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	c := ktest.Serve(t, k)
	steps := []struct {
		args       string
		wantOut    string
		wantErr    string
		wantStatus int
	}{
		{"virt0 create", "", "rifconfig: virt0: cannot open tap0: Device busy (tap0 is held open by another process; name another tap with linkstr)\n", 1},
		{"virt0 create linkstr tap7", "", "", 0},
		{"virt0", "virt0: flags=0x8802<BROADCAST,SIMPLEX,MULTICAST> mtu 1500\n", "", 0},
		{"virt1 create up linkstr tap8", "", "rifconfig: SIOCSLINKSTR: Device busy\n", 1},
		{"virt2 create linkstr tap0", "", "rifconfig: virt2: cannot open tap0: Device busy (tap0 is held open by another process)\n", 1},
		{"-l", "lo0 virt0\n", "", 0},
	}
	for _, s := range steps {
		out, errs, st := runMain(c, strings.Fields(s.args)...)
		if s.args == "virt0" && len(out) > len(s.wantOut) {
			out = out[:len(s.wantOut)]
		}
		if st != s.wantStatus || out != s.wantOut || errs != s.wantErr {
			t.Errorf("rifconfig %s: got status %d, stdout %q, stderr %q; want %d, %q, %q",
				s.args, st, out, errs, s.wantStatus, s.wantOut, s.wantErr)
		}
	}
	if out, _, _ := runMain(c, "virt0"); !contains(out, "\tlinkstr: tap7\n") {
		t.Errorf("rifconfig virt0: got %q, want a linkstr: tap7 line", out)
	}
	want := []string{"tap0", "tap7", "tap1", "tap0"}
	if len(opened) != len(want) {
		t.Fatalf("taps opened: got %q, want %q", opened, want)
	}
	for i := range want {
		if opened[i] != want[i] {
			t.Errorf("taps opened: got %q, want %q", opened, want)
			break
		}
	}
}

// TestKernelSentences checks that a failure the kernel explains in a
// sentence reaches the person as that sentence, not as "op: strerror".
func TestKernelSentences(t *testing.T) {
	c := kernelClient(t)
	steps := []struct {
		args    string
		wantErr string
	}{
		{"bridge0 create", ""},
		{"bridge0 inet 10.0.0.1/24", "rifconfig: bridge0: a bridge carries no addresses; configure them on a member\n"},
		{"bridge0 mtu 1496", ""}, // settable, as in NetBSD
	}
	for _, s := range steps {
		_, errs, _ := runMain(c, strings.Fields(s.args)...)
		if errs != s.wantErr {
			t.Errorf("rifconfig %s: got stderr %q, want %q", s.args, errs, s.wantErr)
		}
	}
}
