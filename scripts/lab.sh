#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Two-namespace veth lab: "a" and "b" joined by one veth pair, random names, addresses from
# 198.18.0.0/15 and 2001:db8::/32, no default routes. Each lab has its own bpffs, mounted
# on /sys/fs/bpf for every command run through 'exec', so pins survive between commands.
#
#   scripts/lab.sh up [-q QUEUES] [-p] create a lab, print its variables (eval them);
#                                     -p adds a second pair IF_A2 (a) <-> IF_B2 (b)
#   scripts/lab.sh down ID            delete the lab (idempotent)
#   scripts/lab.sh exec ID a|b CMD... run CMD in a namespace with bpffs mounted
set -euo pipefail

usage() {
	sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 1
}

names() {
	NS_A="xf-$1-a"
	NS_B="xf-$1-b"
	IF_A="xfa$1"
	IF_B="xfb$1"
	BPFFS="/run/xskflow-lab/$1"
}

lab_up() {
	local queues=1 pair2=0 id
	while getopts "q:p" opt; do
		case $opt in
		q) queues=$OPTARG ;;
		p) pair2=1 ;;
		*) usage ;;
		esac
	done
	id=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	id=${id:0:8}
	names "$id"
	# Clean up whatever we made if any step fails.
	trap 'lab_down "$id" >/dev/null 2>&1' ERR
	mkdir -p "$BPFFS"
	mount -t bpf bpf "$BPFFS"
	ip netns add "$NS_A"
	ip netns add "$NS_B"
	ip link add "$IF_A" numrxqueues "$queues" numtxqueues "$queues" netns "$NS_A" type veth \
		peer name "$IF_B" numrxqueues "$queues" numtxqueues "$queues" netns "$NS_B"
	ip -n "$NS_A" addr add 198.18.0.1/24 dev "$IF_A"
	ip -n "$NS_B" addr add 198.18.0.2/24 dev "$IF_B"
	ip -n "$NS_A" addr add 2001:db8::1/64 dev "$IF_A" nodad
	ip -n "$NS_B" addr add 2001:db8::2/64 dev "$IF_B" nodad
	ip -n "$NS_A" link set lo up
	ip -n "$NS_B" link set lo up
	ip -n "$NS_A" link set "$IF_A" up
	ip -n "$NS_B" link set "$IF_B" up
	if [ "$pair2" = 1 ]; then
		ip link add "${IF_A}2" numrxqueues "$queues" numtxqueues "$queues" netns "$NS_A" \
			type veth peer name "${IF_B}2" numrxqueues "$queues" numtxqueues "$queues" \
			netns "$NS_B"
		ip -n "$NS_A" addr add 198.18.1.1/24 dev "${IF_A}2"
		ip -n "$NS_B" addr add 198.18.1.2/24 dev "${IF_B}2"
		ip -n "$NS_A" link set "${IF_A}2" up
		ip -n "$NS_B" link set "${IF_B}2" up
	fi
	trap - ERR
	cat <<EOV
LAB_ID=$id
NS_A=$NS_A
NS_B=$NS_B
IF_A=$IF_A
IF_B=$IF_B
MAC_A=$(ip -n "$NS_A" -br link show "$IF_A" | awk '{print $3}')
MAC_B=$(ip -n "$NS_B" -br link show "$IF_B" | awk '{print $3}')
IP4_A=198.18.0.1
IP4_B=198.18.0.2
IP6_A=2001:db8::1
IP6_B=2001:db8::2
EOV
	if [ "$pair2" = 1 ]; then
		cat <<EOV
IF_A2=${IF_A}2
IF_B2=${IF_B}2
MAC_A2=$(ip -n "$NS_A" -br link show "${IF_A}2" | awk '{print $3}')
MAC_B2=$(ip -n "$NS_B" -br link show "${IF_B}2" | awk '{print $3}')
EOV
	fi
}

lab_down() {
	names "$1"
	ip netns pids "$NS_A" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	ip netns pids "$NS_B" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	umount "$BPFFS" 2>/dev/null || true
	rmdir "$BPFFS" 2>/dev/null || true
}

lab_exec() {
	local id=$1 side=$2 ns
	shift 2
	names "$id"
	case $side in
	a) ns=$NS_A ;;
	b) ns=$NS_B ;;
	*) usage ;;
	esac
	# 'ip netns exec' gives every command a fresh /sys: put the lab's bpffs back on it.
	exec ip netns exec "$ns" sh -c 'mount --bind "$0" /sys/fs/bpf; exec "$@"' "$BPFFS" "$@"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
up) lab_up "$@" ;;
down) [ $# -eq 1 ] || usage; lab_down "$1" ;;
exec) [ $# -ge 3 ] || usage; lab_exec "$@" ;;
*) usage ;;
esac
