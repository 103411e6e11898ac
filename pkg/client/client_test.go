package client

import (
	"errors"
	"syscall"
	"testing"
)

func TestZeroClientWithoutServer(t *testing.T) {
	t.Setenv(EnvServer, "")
	var c Client
	_, err := c.Info()
	var ie *InitError
	if !errors.As(err, &ie) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("got %v, want an InitError with ENOENT", err)
	}
}
