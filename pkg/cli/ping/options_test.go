package ping

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestParse(t *testing.T) {
	v4 := func(o options) options { o.family = Inet; return o }
	v6 := func(o options) options { o.family = Inet6; return o }
	tests := []struct {
		family  Family
		args    string
		want    options
		wantErr string // "usage" for a usage error
	}{
		{Inet, "10.0.0.1", v4(options{host: "10.0.0.1", size: 56, names: true}), ""},
		{Inet, "-nq -c3 -i 0.5 -s 100 -T 7 -t 0x10 -w 5 -W 2 -I virt0 -o h", v4(options{host: "h", count: 3, interval: 0.5, size: 100,
			ttl: 7, tos: 16, deadline: 5, wait: 2, src: "virt0", quiet: true, once: true}), ""},
		{Inet, "-QRv -g 10.0.0.2 h", v4(options{host: "h", size: 56, names: true, semiquiet: true, recordRoute: true,
			verbose: true, gateway: "10.0.0.2"}), ""},
		{Inet, "-D h", v4(options{host: "h", size: 56, names: true, dontFrag: true}), ""},
		{Inet6, "-v h", v6(options{host: "h", size: 8, verbose: true}), ""},
		{Inet, "-c 0x10 -s 0 -h h", v4(options{host: "h", count: 16, size: 0, names: true}), ""},
		{Inet, "-c 0 h", options{}, "Bad/invalid number of packets: 0"},
		{Inet, "-c x h", options{}, "Bad/invalid number of packets: x"},
		{Inet, "-i 0 h", options{}, "Bad/invalid interval: 0"},
		{Inet, "-i -1 h", options{}, "Bad/invalid interval: -1"},
		{Inet, "-s -1 h", options{}, "Bad/invalid packet size: -1"},
		{Inet, "-s 65468 h", options{}, "packet size is too large"},
		{Inet, "-T 0 h", options{}, "ttl out of range: 0"},
		{Inet, "-T 256 h", options{}, "ttl out of range: 256"},
		{Inet, "-t 256 h", options{}, "bad tos value: 256"},
		{Inet, "-w 0 h", options{}, "Bad/invalid maxwait time: 0"},
		{Inet, "-W nan h", options{}, "Bad/invalid waittime: nan"},
		{Inet, "", options{}, "usage"},
		{Inet, "a b", options{}, "usage"},
		{Inet, "-h a b", options{}, "usage"},
		{Inet, "-X 1 h", options{}, "usage"},
		{Inet, "-c", options{}, "usage"},
		{Inet6, "fc00::1", v6(options{host: "fc00::1", size: 8}), ""},
		{Inet6, "-Hnoq -c 2 -h 5 -I virt0 -i 0.5 -S fc00::1 -s 56 -X 3 fc00::2", v6(options{host: "fc00::2", count: 2, ttl: 5,
			ifname: "virt0", interval: 0.5, src: "fc00::1", size: 56, deadline: 3, quiet: true, once: true}), ""},
		{Inet6, "-H h", v6(options{host: "h", size: 8, names: true}), ""},
		{Inet6, "-h -1 -i 0 h", v6(options{host: "h", size: 8, interval: minInterval, raised: true}), ""},
		{Inet6, "-c 0x10 h", options{}, "illegal number of packets -- 0x10"},
		{Inet6, "-h 0 h", options{}, "illegal hoplimit -- 0"},
		{Inet6, "-i x h", options{}, "illegal timing interval x"},
		{Inet6, "-s 0 h", options{}, "illegal datalen value -- 0"},
		{Inet6, "-s 65528 h", options{}, "datalen value too large, maximum is 65527"},
		{Inet6, "-X 0 h", options{}, "illegal deadline -- 0"},
		{Inet6, "-T 5 h", options{}, "usage"},
	}
	for _, tt := range tests {
		got, err := parse(tt.family, strings.Fields(tt.args))
		var ue *cli.UsageError
		switch {
		case tt.wantErr == "usage" && !errors.As(err, &ue):
			t.Errorf("parse(%d, %q): got %+v, %v; want a usage error", tt.family, tt.args, got, err)
		case tt.wantErr != "" && tt.wantErr != "usage" && (err == nil || err.Error() != tt.wantErr || errors.As(err, &ue)):
			t.Errorf("parse(%d, %q): got error %v, want %q", tt.family, tt.args, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || !reflect.DeepEqual(got, tt.want)):
			t.Errorf("parse(%d, %q):\ngot  %+v, %v\nwant %+v", tt.family, tt.args, got, err, tt.want)
		}
	}
}

func TestRequest(t *testing.T) {
	tests := []struct {
		family Family
		args   string
		want   api.PingRequest
	}{
		{Inet, "-n 10.0.0.1", api.PingRequest{Dst: "10.0.0.1", Size: 56, TTL: 255}},
		{Inet, "-n -s 3 -T 9 -t 4 -c 2 -i 0.5 -w 3 -W 1 -I 10.0.0.2 10.0.0.1", api.PingRequest{Dst: "10.0.0.1", Src: "10.0.0.2",
			Size: 8, TTL: 9, TOS: 4, Count: 2, Interval: 0.5, Deadline: 3, Wait: 1}},
		{Inet, "-n -I virt0 10.0.0.1", api.PingRequest{Dst: "10.0.0.1", Interface: "virt0", Size: 56, TTL: 255}},
		{Inet6, "fe80::1%virt0", api.PingRequest{Dst: "fe80::1%virt0", Size: 8}},
		{Inet6, "-s 1 -h 3 -S fc00::1 -I virt0 -X 2 fc00::2", api.PingRequest{Dst: "fc00::2", Src: "fc00::1",
			Interface: "virt0", Size: 1, TTL: 3, Deadline: 2}},
	}
	for _, tt := range tests {
		o, err := parse(tt.family, strings.Fields(tt.args))
		if err != nil {
			t.Fatal(err)
		}
		tg, err := resolveTarget(o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := o.request(tg)
		if err != nil || got != tt.want {
			t.Errorf("%q: got %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}
