package tcpdump

import (
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
)

func TestQuietEnd(t *testing.T) {
	live := context.Background()
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"no error", live, nil, true},
		{"interface gone", live, io.EOF, true},
		{"tcpdump gone", live, syscall.EPIPE, true},
		{"canceled", live, context.Canceled, true},
		{"cut block after ^C", stopped, syscall.EPROTO, true},
		{"malformed stream", live, syscall.EPROTO, false},
		{"other error", live, errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := quietEnd(tt.ctx, tt.err); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
