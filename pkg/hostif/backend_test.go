package hostif_test

import (
	"github.com/rumpnet/rumpnet/pkg/cli/ifconfig"
	"github.com/rumpnet/rumpnet/pkg/hostif"
)

// Host is rifconfig's backend for the Linux host.
var _ ifconfig.Backend = (*hostif.Host)(nil)
