# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Helpers for end-to-end tests. Every test runs in its own subshell: it builds its lab with
# lab_up (cleaned up by an EXIT trap), asserts with fail/expect, and returns 0, or 77 to skip.

fail() {
	echo "FAIL: $*"
	exit 1
}

skip() {
	echo "skipped: $*"
	exit 77
}

# lab_up [-q QUEUES]: create a lab, export its variables, delete it when the test ends.
lab_up() {
	local vars
	vars=$(scripts/lab.sh up "$@") || fail "cannot create the veth lab"
	eval "$vars"
	[ -n "${XF_LAB_LOG:-}" ] && echo "$LAB_ID" >>"$XF_LAB_LOG"
	T_DIR=$(mktemp -d /tmp/xskflow-t.XXXXXX)
	# shellcheck disable=SC2064
	trap "scripts/lab.sh down $LAB_ID; rm -rf $T_DIR" EXIT
}

in_a() { scripts/lab.sh exec "$LAB_ID" a "$@"; }
in_b() { scripts/lab.sh exec "$LAB_ID" b "$@"; }

# wait_for FILE PATTERN [SECONDS]: wait until FILE contains PATTERN.
wait_for() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "timed out waiting for '$2' in $1: $(tail -n 3 "$1" 2>/dev/null)"
}

# start_recv NAME ARGS...: run 'xskflow recv' in namespace a in the background with output
# in $T_DIR/NAME.json and NAME.err; waits until the socket is ready. Sets RECV_PID.
start_recv() {
	local name=$1
	shift
	# exec all the way down, so that RECV_PID is xskflow itself (signals reach it).
	(exec scripts/lab.sh exec "$LAB_ID" a "$XF" recv "$@") >"$T_DIR/$name.json" \
		2>"$T_DIR/$name.err" &
	RECV_PID=$!
	wait_for "$T_DIR/$name.err" "receiving on" 15
}

# jget FILE JQ-EXPR: one value from a JSON report.
jget() { jq -r "$2" "$1"; }

# expect WHAT ACTUAL EXPECTED
expect() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
	echo "ok: $1 = $3"
}

# expect_match WHAT TEXT REGEX
expect_match() {
	[[ $2 =~ $3 ]] || fail "$1: '$2' does not match /$3/"
	echo "ok: $1 ~ /$3/"
}

# no_xdp NS IFACE: the interface has no XDP program attached.
no_xdp() {
	if ip -n "$1" -d link show "$2" | grep -q 'prog/xdp'; then
		fail "an XDP program is still attached to $2: $(ip -n "$1" -d link show "$2" | grep xdp)"
	fi
	echo "ok: no XDP program on $2"
}

# udp_counter PORT IDLE: in the background, a kernel UDP socket in namespace a counts the
# datagrams to PORT (the kernel checks their checksums) until IDLE seconds of silence, and
# writes the count to $T_DIR/udp.count. Returns once it listens; sets UDP_PID.
udp_counter() {
	(exec scripts/lab.sh exec "$LAB_ID" a python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE: past rmem_max
s.bind(("0.0.0.0", int(sys.argv[2]))); s.settimeout(float(sys.argv[3])); n = 0
open(sys.argv[1], "w").write("listening\n")
try:
    while True:
        s.recv(2048); n += 1
except socket.timeout:
    pass
print(n)' "$T_DIR/udp.ready" "$1" "$2") >"$T_DIR/udp.count" &
	UDP_PID=$!
	wait_for "$T_DIR/udp.ready" listening
}
