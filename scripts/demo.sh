#!/usr/bin/env bash
# rumpnet demo: build the tools, start a rump kernel inside a private network
# namespace, give it a virt interface on a host tap, ping it from the host
# side in both address families, show rifconfig -a, bridge it to a second
# kernel on a shmif bus, run an HTTP server on the second kernel and curl on
# the first under rumphijack, and clean everything up.
# Run as root: sudo scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it makes a network namespace and a tap)" >&2; exit 1; }
scripts/setup.sh
if ! command -v go >/dev/null 2>&1; then export PATH="/usr/local/go/bin:$PATH"; fi

bin=$(mktemp -d /tmp/rumpnet-demo.XXXXXX)
ns=rumpnet-demo-$$
sock=$bin/k1
sock2=$bin/k2
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	for s in "$sock" "$sock2"; do
		[ -S "$s" ] && ip netns exec "$ns" env RUMP_SERVER="unix://$s" "$bin/rhalt" 2>/dev/null || true
	done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$bin"
}
trap cleanup EXIT

echo "== building rump_server, rifconfig, rhalt, rumphijack and the other tools"
CGO_ENABLED=0 go build -o "$bin/" ./cmd/...

ip netns add "$ns"
run() { ip netns exec "$ns" env PATH="$bin:$PATH" RUMP_SERVER="unix://$sock" "$@"; }
run2() { ip netns exec "$ns" env PATH="$bin:$PATH" RUMP_SERVER="unix://$sock2" "$@"; }
say() { printf '\n$ %s\n' "$*"; }

run ip link set lo up
say "rump_server unix://$sock"
run rump_server "unix://$sock"
say "rifconfig virt0 create; rifconfig virt0 inet 10.0.0.2/24 up"
run rifconfig virt0 create
run rifconfig virt0 inet 10.0.0.2/24 up
say "rifconfig virt0 inet6 fc00::2/64"
run rifconfig virt0 inet6 fc00::2/64
say "(host side) ip addr add 10.0.0.1/24 dev tap0; ip addr add fc00::1/64 dev tap0; ip link set tap0 up"
run ip addr add 10.0.0.1/24 dev tap0
run ip addr add fc00::1/64 dev tap0 nodad
run ip link set tap0 up
say "rifconfig -w 10    (wait for duplicate address detection to finish)"
run rifconfig -w 10
say "ping -c 3 10.0.0.2"
run ping -c 3 -i 0.2 -W 2 10.0.0.2
say "ping -6 -c 3 fc00::2"
run ping -6 -c 3 -i 0.2 -W 2 fc00::2
say "rifconfig -a -v"
run rifconfig -a -v

echo
echo "== a second kernel on a shmif bus, bridged to tap0 by the first"
say "RUMP_SERVER=unix://$sock2: rump_server; rifconfig shmif0 create; rifconfig shmif0 linkstr $bin/bus; rifconfig shmif0 inet 10.0.0.3/24 up; rifconfig -w 10"
run2 rump_server "unix://$sock2"
run2 rifconfig shmif0 create
run2 rifconfig shmif0 linkstr "$bin/bus"
run2 rifconfig shmif0 inet 10.0.0.3/24 up
run2 rifconfig -w 10
say "rifconfig shmif0 create; rifconfig shmif0 linkstr $bin/bus; rifconfig shmif0 up; rifconfig bridge0 create; rbrconfig bridge0 add virt0 shmif0 up"
run rifconfig shmif0 create
run rifconfig shmif0 linkstr "$bin/bus"
run rifconfig shmif0 up
run rifconfig bridge0 create
run rbrconfig bridge0 add virt0 shmif0 up
say "ping -c 3 10.0.0.3    (host -> tap0 -> virt0 -> bridge0 -> shmif0 -> bus -> second kernel)"
run ping -c 3 -i 0.2 -W 2 10.0.0.3
say "rbrconfig bridge0"
run rbrconfig bridge0
say "RUMP_SERVER=unix://$sock2 rsysctl -w net.inet.tcp.small_servers=1; echo 'hello, rump kernel' to its TCP echo port"
run2 rsysctl -w net.inet.tcp.small_servers=1
run bash -c 'exec 3<>/dev/tcp/10.0.0.3/7; echo "hello, rump kernel" >&3; head -1 <&3'
say "shmif_dumpbus -p - $bin/bus | tcpdump -n -r - | tail -4"
run bash -c "shmif_dumpbus -p - '$bin/bus' 2>/dev/null | tcpdump -n -r - 2>/dev/null | tail -4"
echo
echo "== unmodified programs on the kernels: an HTTP server on the second, curl on the first"
mkdir "$bin/www"
echo "hello from python3 on the second rump kernel" >"$bin/www/hello.txt"
say "RUMP_SERVER=unix://$sock2 rumphijack python3 -m http.server 8080 --directory $bin/www &"
# Not through run2: $! must be rumphijack itself (ip and env exec it), not a
# subshell that would leave it running when killed.
ip netns exec "$ns" env PATH="$bin:$PATH" RUMP_SERVER="unix://$sock2" \
	rumphijack python3 -m http.server 8080 --directory "$bin/www" >"$bin/http.log" 2>&1 &
server_pid=$!
# Wait until the server listens on the kernel's stack.
for _ in $(seq 100); do
	grep -q '[.]8080 .*LISTEN' <<<"$(run2 rnetstat -an)" && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$bin/http.log" >&2; echo "demo: the HTTP server exited" >&2; exit 1; }
	sleep 0.1
done
say "RUMP_SERVER=unix://$sock2 rnetstat -an | grep 8080    (the server's socket is the second kernel's)"
run2 rnetstat -an | grep 8080
say "RUMP_SERVER=unix://$sock rumphijack curl -sS http://10.0.0.3:8080/hello.txt    (first kernel -> bridge0 -> shmif0 -> bus -> second kernel)"
run rumphijack curl -sS -m 10 http://10.0.0.3:8080/hello.txt
say "(the server's log: its client is the first kernel's 10.0.0.2)"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
grep GET "$bin/http.log"

say "rhalt (both kernels)"
run2 rhalt
run rhalt
echo
echo "demo: the rump kernel answered over tap0 in IPv4 and IPv6, bridged the host to"
echo "a second kernel on a shmif bus, carried HTTP between python3 and curl running"
echo "on the two kernels, and both kernels have shut down."
