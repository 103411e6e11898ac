#!/usr/bin/env bash
# Installs what rumpnet's demo, tests and benchmarks need on a fresh Debian
# machine: iproute2 (ip netns, taps), iputils-ping, traceroute, mandoc (man
# page lint), curl (control socket), bc (benchmark arithmetic), tcpdump
# (reading shmif_dumpbus pcap), util-linux and mount (setpriv, unshare and
# mount for the other-user tests), python3, netcat-openbsd, iperf3,
# dnsmasq-base, dnsutils and socat (programs run under rumphijack),
# wireguard-tools (wg, for the wg interop test), the Go
# modules and staticcheck. Every tool a test looks for is here, so the tests
# run with RUMPNET_REQUIRE_ALL=1 (a missing tool fails instead of skipping)
# on a fresh machine. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# sudo's secure_path usually lacks Go's directory.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || { echo "setup: Go 1.26 or newer is needed (go not found)" >&2; exit 1; }

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v mandoc >/dev/null 2>&1 || need+=(mandoc)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v traceroute >/dev/null 2>&1 || need+=(traceroute)
command -v bc >/dev/null 2>&1 || need+=(bc)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
{ command -v setpriv && command -v unshare; } >/dev/null 2>&1 || need+=(util-linux)
command -v mount >/dev/null 2>&1 || need+=(mount)
{ command -v stat && command -v timeout; } >/dev/null 2>&1 || need+=(coreutils)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# rumphijack's tests run iperf3, dnsmasq (the binary only, no system
# service), dig and socat.
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
command -v dig >/dev/null 2>&1 || need+=(dnsutils)
command -v socat >/dev/null 2>&1 || need+=(socat)
# wg(4)'s interop test configures a wireguard-go peer with wg.
command -v wg >/dev/null 2>&1 || need+=(wireguard-tools)
# rumphijack's tests run netcat-openbsd's nc, which has -N and -U.
case "$(nc -h 2>&1)" in *-N*) ;; *) need+=(netcat-openbsd) ;; esac
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing ${need[*]}; run as root to install them" >&2
		exit 1
	fi
	echo "setup: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "${need[@]}" >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi
go mod download

# staticcheck, pinned: a newer release may report new findings and fail the
# tests on a tree that passed.
staticcheck_version=v0.8.2
gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
if ! "$gobin/staticcheck" -version 2>/dev/null | grep -q "(${staticcheck_version#v})"; then
	echo "setup: installing staticcheck $staticcheck_version"
	go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
