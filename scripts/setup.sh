#!/usr/bin/env bash
# Installs what rumpnet's demo, tests and benchmarks need on a fresh Debian
# machine: iproute2 (ip netns, taps), iputils-ping, traceroute, mandoc (man
# page lint), curl (control socket), bc (benchmark arithmetic), tcpdump
# (reading shmif_dumpbus pcap) and the Go modules. Safe to run again.
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
