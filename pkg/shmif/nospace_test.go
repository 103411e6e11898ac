package shmif

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// fullFSEnv names the directory a re-executed test binary mounts a tiny
// tmpfs on; see TestBusOnFullFilesystem.
const fullFSEnv = "SHMIF_TEST_FULL_FS"

// A bus that does not fit on its file system is refused with ENOSPC when
// it is attached, instead of faulting at the first write to an unbacked
// page. The file system is a 64 KiB tmpfs in a mount namespace of a child
// process (a user namespace too, so no privilege is needed where the host
// allows unprivileged user namespaces): a real ENOSPC from a real full
// file system, which RLIMIT_FSIZE (EFBIG) would not give.
func TestBusOnFullFilesystem(t *testing.T) {
	if dir := os.Getenv(fullFSEnv); dir != "" {
		fullFSChild(t, dir)
		return
	}
	dir := t.TempDir()
	run := func(attr *syscall.SysProcAttr) ([]byte, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBusOnFullFilesystem$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), fullFSEnv+"="+dir)
		cmd.SysProcAttr = attr
		return cmd.CombinedOutput()
	}
	out, err := run(&syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	})
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) && os.Getuid() == 0 {
		// No user namespaces here; root can make a mount namespace alone.
		out, err = run(&syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS})
	}
	if err != nil && !errors.As(err, &exit) {
		t.Skipf("cannot start a process in a new mount namespace: %v", err)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestBusOnFullFilesystem") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
}

// fullFSChild runs in the child: it mounts the tmpfs and checks attaching.
func fullFSChild(t *testing.T, dir string) {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		t.Fatalf("make mounts private: %v", err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)

	// A new bus of the default size does not fit.
	path := filepath.Join(dir, "bus")
	_, err := Attach(path)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("attach a new bus: got %v, want ENOSPC", err)
	}
	if want := "No space left on device"; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("message %q, want one ending in %q", err, want)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Errorf("after the failure: %v, size %d; want an empty file left", err, st.Size())
	}

	// Nor does a sparse bus made elsewhere (a valid header, a hole for
	// the ring): attaching allocates it, or fails.
	sparse := filepath.Join(dir, "sparse")
	hdr := make([]byte, headerSize)
	binary.NativeEndian.PutUint32(hdr[offMagic:], magic)
	binary.NativeEndian.PutUint32(hdr[offVersion:], version)
	binary.NativeEndian.PutUint32(hdr[offDataSize:], DefaultSize)
	if err := os.WriteFile(sparse, hdr, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, headerSize+DefaultSize); err != nil {
		t.Fatal(err)
	}
	if _, err := Attach(sparse); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("attach a sparse bus: got %v, want ENOSPC", err)
	}

	// A bus that fits works, and keeps working on the full file system.
	small := filepath.Join(dir, "small")
	a, err := openSize(small, 16384)
	if err != nil {
		t.Fatalf("a small bus: %v", err)
	}
	pa := attach(a)
	defer pa.Close()
	b, err := openSize(small, 16384)
	if err != nil {
		t.Fatal(err)
	}
	pb := attach(b)
	defer pb.Close()
	for i := 0; i < 200; i++ {
		if _, err := pa.Write(payload(uint32(i+1), 1000)); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	pa.Write([]byte("last"))
	buf := make([]byte, MaxFrame)
	for {
		n, err := pb.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if string(buf[:n]) == "last" {
			break
		}
	}
}
