#!/usr/bin/env bash
# walkthrough.sh BINDIR NETNS
#
# The rumpnet walk-through written the way a user's script would be: start a
# rump kernel, give it a virt interface on a host tap, ping it over IPv4 and
# IPv6, knock on a closed TCP port, add and remove a second interface, halt.
# Everything runs inside the network namespace NETNS, which must exist; the
# script never touches the host's own interfaces. Exits 0 when every step
# behaved, non-zero with a message otherwise. Needs root (ip netns exec).
set -eu

if [ $# -ne 2 ]; then
	echo "usage: walkthrough.sh BINDIR NETNS" >&2
	exit 2
fi
bin=$1
ns=$2

in_ns() { ip netns exec "$ns" "$@"; }
fail() {
	echo "walkthrough: $*" >&2
	exit 1
}

dir=$(mktemp -d /tmp/rntsh.XXXXXX)
export RUMP_SERVER=unix://$dir/ctl

cleanup() {
	status=$?
	if [ -S "$dir/ctl" ]; then
		in_ns "$bin/rhalt" || echo "walkthrough: cleanup: rhalt failed" >&2
	fi
	rm -rf "$dir"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "+ $*"; }

step "rump_server $RUMP_SERVER"
in_ns "$bin/rump_server" "$RUMP_SERVER"

step "rifconfig -a"
out=$(in_ns "$bin/rifconfig" -a)
want=$(printf '%s\n' \
	'lo0: flags=0x8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 33624' \
	'	status: active' \
	'	inet6 ::1/128 flags 0x20<NODAD>' \
	'	inet6 fe80::1%lo0/64 flags 0 scopeid 0x1' \
	'	inet 127.0.0.1/8 flags 0')
[ "$out" = "$want" ] || fail "rifconfig -a: got [$out], want [$want]"

step "rifconfig virt0 create"
in_ns "$bin/rifconfig" virt0 create
in_ns ip link show dev tap0 >/dev/null || fail "tap0 did not appear"

step "rifconfig virt0 inet 10.0.0.2/24 up"
in_ns "$bin/rifconfig" virt0 inet 10.0.0.2/24 up
in_ns ip addr add 10.0.0.1/24 dev tap0
in_ns ip link set tap0 up

# The interface came up before the address was set (flags first, as
# NetBSD's ifconfig does), so 10.0.0.2 does DAD (net.inet.ip.dad_count 3)
# first; -w waits until no address is tentative.
step "rifconfig -w 10"
in_ns "$bin/rifconfig" -w 10

step "ping 10.0.0.2"
in_ns ping -c 3 -i 0.2 -W 2 10.0.0.2

step "TCP to a closed port of 10.0.0.2"
if out=$(in_ns timeout 20 bash -c 'exec 3<>/dev/tcp/10.0.0.2/9' 2>&1); then
	fail "TCP port 9: got a connection, want Connection refused"
fi
case $out in
*"Connection refused"*) ;;
*) fail "TCP port 9: got [$out], want Connection refused" ;;
esac

step "rifconfig virt0 inet6 fc00::2/64"
in_ns "$bin/rifconfig" virt0 inet6 fc00::2/64
in_ns ip addr add fc00::1/64 dev tap0 nodad
tries=0
while in_ns "$bin/rifconfig" virt0 | grep -q TENTATIVE; do
	tries=$((tries + 1))
	[ "$tries" -le 300 ] || fail "fc00::2 still TENTATIVE"
	sleep 0.1
done

step "ping -6 fc00::2"
in_ns ping -6 -c 3 -i 0.2 -W 2 fc00::2

step "rifconfig virt1 create; rifconfig -l"
in_ns "$bin/rifconfig" virt1 create
in_ns ip link show dev tap1 >/dev/null || fail "tap1 did not appear"
out=$(in_ns "$bin/rifconfig" -l)
[ "$out" = "lo0 virt0 virt1" ] || fail "rifconfig -l: got [$out], want [lo0 virt0 virt1]"

step "rifconfig virt1 destroy"
in_ns "$bin/rifconfig" virt1 destroy
if in_ns ip link show dev tap1 >/dev/null 2>&1; then
	fail "tap1 still there after destroy"
fi

step "rhalt"
in_ns "$bin/rhalt"
[ ! -e "$dir/ctl" ] || fail "socket still there after rhalt"
if in_ns ip link show dev tap0 >/dev/null 2>&1; then
	fail "tap0 still there after rhalt"
fi
if in_ns "$bin/rifconfig" -l 2>/dev/null; then
	fail "rifconfig still answered after rhalt"
fi
echo "walkthrough: ok"
