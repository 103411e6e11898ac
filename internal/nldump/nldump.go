// Package nldump retries netlink dumps that the kernel interrupted, for
// the host backends (pkg/hostif, pkg/hostbr). It only retries; it must not
// interpret what the dump returns.
package nldump

import (
	"errors"

	"github.com/vishvananda/netlink"
)

// attempts bounds the retries of a dump that the kernel reports as
// interrupted by a concurrent change (NLM_F_DUMP_INTR).
const attempts = 5

// Retry runs dump again while the kernel says a concurrent change
// interrupted it, at most a few times, and returns its last error.
func Retry(dump func() error) error {
	var err error
	for i := 0; i < attempts; i++ {
		if err = dump(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return err
		}
	}
	return err
}
