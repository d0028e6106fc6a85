# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Faults aimed at xskflowd (helpers from daemon.sh): its control socket flooded with garbage
# and with many clients at once, a forward target deleted under traffic. Expected: every bad
# request gets an error reply or a closed connection, the daemon keeps serving and echoing,
# and stops cleanly afterwards with every frame home.

test_daemon_fault_ctl_flood() {
	lab_up
	reflect_conf d
	start_daemon d
	in_a python3 - "$T_DIR/ctl.sock" <<'EOF2' || fail "flood client failed"
import os, random, socket, sys, threading
path = sys.argv[1]
rnd = random.Random(7)
def garbage(i):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(path)
        kind = i % 4
        if kind == 0:
            s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 4096))) + b"\n")
        elif kind == 1:
            s.sendall(b"x" * 100000)            # one endless line
        elif kind == 2:
            s.sendall(b"stats\nstatus\nrules\n" * 20)   # pipelined requests
        s.recv(65536)                         # kind 3: connect and say nothing
        s.close()
    except OSError:
        pass                                  # the daemon may hang up on garbage
threads = [threading.Thread(target=garbage, args=(i,)) for i in range(200)]
for t in threads: t.start()
for t in threads: t.join()
# 64 clients at once: each gets an answer, "ok" or "busy, retry", none hangs
results = []
def ask(i):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect(path)
    c.sendall(b"status\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    c.close()
    results.append("ok" if b'"ok":true' in data else "busy" if b"busy" in data else "other")
askers = [threading.Thread(target=ask, args=(i,)) for i in range(64)]
for t in askers: t.start()
for t in askers: t.join()
ok, busy = results.count("ok"), results.count("busy")
print("ok", ok, "busy", busy, "other", len(results) - ok - busy)
sys.exit(0 if ok + busy == 64 and ok >= 8 else 1)
EOF2
	expect "daemon alive" "$(kill -0 "$DPID" && echo yes)" yes
	expect "still answers" "$(ctl status | jq -r .ok)" true
	expect "still echoes (ok bad lost)" "$(echo_client "$IP4_A" 4242 50)" "50 0 0"
	stop_daemon d
}

# busy_poll in the config reaches the sockets (the library sets SO_PREFER_BUSY_POLL,
# SO_BUSY_POLL and the budget) and the echo path works with it.
test_daemon_busy_poll() {
	lab_up
	reflect_conf d
	sed -i "s/^\[interface $IF_A\]$/[interface $IF_A]\nbusy_poll = 50\nbusy_poll_budget = 16/" \
		"$T_DIR/d.conf"
	grep -q '^busy_poll = 50$' "$T_DIR/d.conf" || fail "config not edited"
	start_daemon d
	expect "echo with busy polling (ok bad lost)" "$(echo_client "$IP4_A" 4242 100)" "100 0 0"
	stop_daemon d
}

# The forward target deleted under traffic: the daemon keeps running and echoing, what it
# can no longer forward is counted as dropped, and every frame still comes home at stop.
test_daemon_fault_forward_target_deleted() {
	lab_up -p
	forward_conf d "$IF_A2"
	cat >>"$T_DIR/d.conf" <<EOF
[handler echo]
type = reflect
[rule echo]
interface = $IF_A
match = udp dport 4243
handler = echo
EOF
	start_daemon d
	raw_send "$IF_B" "$MAC_A" 50 "$T_DIR/sent1" || fail "raw_send failed"
	wait_stat '.interfaces[0].queues[0].forward[0].tx_completed' 50
	ip -n "$NS_A" link del "$IF_A2"
	raw_send "$IF_B" "$MAC_A" 100 "$T_DIR/sent2" || fail "raw_send failed"
	expect "daemon alive" "$(kill -0 "$DPID" && echo yes)" yes
	expect "still echoes (ok bad lost)" "$(echo_client "$IP4_A" 4243 50)" "50 0 0"
	wait_stat '.handlers[] | select(.name == "fwd") | .packets' 150
	ctl stats >"$T_DIR/stats.json" || fail "ctl stats failed"
	local fwd dropped
	fwd=$(jq '.handlers[] | select(.name == "fwd") | .forwarded' "$T_DIR/stats.json")
	dropped=$(jq '.handlers[] | select(.name == "fwd") | .dropped' "$T_DIR/stats.json")
	expect "every packet to fwd forwarded or dropped" "$((fwd + dropped))" 150
	expect "handed to fwd" "$(jq '.handlers[] | select(.name == "fwd") | .packets' \
		"$T_DIR/stats.json")" 150
	# Only what went out before the delete was sent; the rest waits in a dead TX ring.
	expect "sent (completions)" "$(jq '.interfaces[0].queues[0].forward[0].tx_completed' \
		"$T_DIR/stats.json")" 50
	expect "frames on the dead TX ring" "$(jq '.interfaces[0].queues[0].frames.tx' \
		"$T_DIR/stats.json")" $((fwd - 50))
	echo "ok: forwarded $fwd, dropped $dropped"
	stop_daemon d
	if grep -q "did not come home" "$T_DIR/d.log"; then
		fail "frames lost: $(grep "did not come home" "$T_DIR/d.log")"
	fi
}
