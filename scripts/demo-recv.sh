#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The demo: a veth lab, 'xskflow recv' steering UDP port 4242 into an AF_XDP socket in one
# namespace while the other sends sequenced datagrams and pings; the summary says which
# modes were obtained and why. The lab is removed whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
XF=$PWD/$BUILD/xskflow
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (BPF, namespaces, AF_XDP)" >&2; exit 1; }

eval "$(scripts/lab.sh up)"
TMP=$(mktemp -d /tmp/xskflow-demo.XXXXXX)
trap 'scripts/lab.sh down "$LAB_ID"; rm -rf "$TMP"' EXIT
N=5000

echo "== lab: $NS_A/$IF_A ($IP4_A) <-> $NS_B/$IF_B ($IP4_B)"
echo "== a: xskflow recv -i $IF_A -r 'udp dport 4242' -n $N --verify"
(exec scripts/lab.sh exec "$LAB_ID" a "$XF" recv -i "$IF_A" -r "udp dport 4242" -n "$N" -t 30 \
	--verify) >"$TMP/recv.out" 2>"$TMP/recv.err" &
RECV=$!
for _ in $(seq 100); do grep -q "receiving on" "$TMP/recv.err" && break; sleep 0.1; done
cat "$TMP/recv.err"

echo "== b: ping $IP4_A (not steered: the kernel answers)"
scripts/lab.sh exec "$LAB_ID" b ping -c 3 -i 0.2 "$IP4_A" | tail -n 2
echo "== b: xskflow send $N sequenced UDP datagrams of 64..1500 bytes to port 4242"
scripts/lab.sh exec "$LAB_ID" b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" \
	--dst-ip "$IP4_A" --dst-port 4242 -n "$N" -s 64-1500 --rate 100000

wait "$RECV" || true
echo "== a: recv summary"
cat "$TMP/recv.out"
if scripts/lab.sh exec "$LAB_ID" a ip -d link show "$IF_A" | grep -q prog/xdp; then
	echo "demo: an XDP program was left on $IF_A" >&2
	exit 1
fi
echo "== no XDP program left on $IF_A; lab removed"
