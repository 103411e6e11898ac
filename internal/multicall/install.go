package multicall

// Installing. "rumpnet install DIR" makes DIR/TOOL a symbolic link to this
// binary for every tool. The link is relative ("rumpnet") when the binary
// is in DIR, so that the directory can move, and absolute otherwise. Each
// link is made under a temporary name and renamed over the old one, so a
// tool is never missing, not even while a script runs it. A name that is
// already a link to this binary is left alone; any other file there (a
// tool's own binary from an older install) is replaced only with -f.

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/spf13/cobra"
)

// installError is a failed step of install on path.
type installError struct {
	path string
	err  error
}

func (e *installError) Error() string { return e.path + ": " + e.err.Error() }
func (e *installError) Unwrap() error { return e.err }

// installCommand is "install [-f] DIR".
func installCommand(t *cli.Tool) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "install [-f] DIR",
		Short:   "link every tool's name in DIR to this binary",
		GroupID: "own",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find own executable: %w", err)
			}
			exe, err = filepath.EvalSymlinks(exe)
			if err != nil {
				return &installError{exe, err}
			}
			return Install(args[0], exe, force)
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "replace files that are not links to this binary")
	return c
}

// Install links every tool's name in dir to exe, an absolute path.
func Install(dir, exe string, force bool) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return &installError{dir, err}
	}
	if fi, err := os.Stat(abs); err != nil {
		return &installError{dir, err}
	} else if !fi.IsDir() {
		return &installError{dir, syscall.ENOTDIR}
	}
	target := exe
	if filepath.Dir(exe) == abs {
		target = filepath.Base(exe)
	}
	for _, tool := range Tools {
		if err := link(filepath.Join(abs, tool.Name), target, exe, force); err != nil {
			return err
		}
	}
	return nil
}

// link makes path a symbolic link to target (which resolves to exe).
func link(path, target, exe string, force bool) error {
	if fi, err := os.Lstat(path); err == nil {
		if same, _ := filepath.EvalSymlinks(path); same == exe {
			return nil
		}
		if !force {
			return &installError{path, syscall.EEXIST}
		}
		if fi.IsDir() {
			return &installError{path, syscall.EISDIR}
		}
	} else if !os.IsNotExist(err) {
		return &installError{path, err}
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d", filepath.Base(path), os.Getpid()))
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return &installError{path, err}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return &installError{path, err}
	}
	return nil
}
