# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# End-to-end tests of xskflowd on veth labs: config checking, UDP echo through reflect with
# kernel sockets (IPv4, IPv6), pcap files, plugins, reloads under traffic, signals, control.

XFD=${XFD:-$PWD/${BUILD:-build}/xskflowd}

# dconf NAME: write stdin to $T_DIR/NAME.conf, mode 0600.
dconf() {
	cat >"$T_DIR/$1.conf"
	chmod 600 "$T_DIR/$1.conf"
}

# start_daemon NAME [ARGS]: xskflowd in namespace a with $T_DIR/NAME.conf, log in NAME.log;
# returns once it is running. Sets DPID (the daemon itself: exec all the way down).
start_daemon() {
	local name=$1
	shift
	(exec scripts/lab.sh exec "$LAB_ID" a "$XFD" -c "$T_DIR/$name.conf" "$@") \
		>"$T_DIR/$name.log" 2>&1 &
	DPID=$!
	wait_for "$T_DIR/$name.log" "running with" 15
}

# stop_daemon NAME [SIGNAL]: the daemon exits 0, says so, and leaves nothing on IF_A.
stop_daemon() {
	kill -"${2:-TERM}" "$DPID"
	wait "$DPID" || fail "xskflowd exited with $? after SIG${2:-TERM}: $(tail -n 3 "$T_DIR/$1.log")"
	grep -q "stopped; nothing left attached" "$T_DIR/$1.log" || fail "no 'stopped' line"
	no_xdp "$NS_A" "$IF_A"
	[ ! -e "$T_DIR/ctl.sock" ] || fail "the control socket was left behind"
	if in_a test -e "/sys/fs/bpf/xskflow/$IF_A"; then
		fail "pins left in /sys/fs/bpf/xskflow/$IF_A"
	fi
	echo "ok: stopped cleanly"
}

ctl() { "$XF" ctl -s "$T_DIR/ctl.sock" "$@"; }

# The header every daemon config of these tests shares.
daemon_section() {
	printf '[daemon]\ncontrol_socket = %s\nstats_interval = 0\nlog_level = info\n' \
		"$T_DIR/ctl.sock"
}

# echo_client HOST PORT COUNT: a connected kernel UDP socket in b sends COUNT datagrams
# one by one and waits for each echo (only HOST:PORT can answer a connected socket, and
# the kernel drops bad checksums). Prints "ok bad lost".
echo_client() {
	in_b python3 -c '
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.connect((host, port))
ok = bad = lost = 0
for i in range(n):
    msg = b"xfd %d " % i + bytes((i + k) & 0xff for k in range(i * 7 % 1400))
    s.send(msg)
    try:
        ok, bad = (ok + 1, bad) if s.recv(2048) == msg else (ok, bad + 1)
    except (socket.timeout, ConnectionRefusedError):
        lost += 1
print(ok, bad, lost)' "$@"
}

# udp_sink PORT FILE: a kernel UDP socket in a records the first word of every datagram
# to FILE, one per line, until 2 s of silence after FILE.go appears.
udp_sink() {
	in_a python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(2)
out = open(sys.argv[2], "w")
open(sys.argv[2] + ".ready", "w").write("ready\n")
while True:
    try:
        out.write(s.recv(2048).split()[0].decode() + "\n"); out.flush()
    except socket.timeout:
        if os.path.exists(sys.argv[2] + ".go"):
            break' "$@"
}

# send_seq_udp PORT FIRST LAST [PPS]: datagrams "S<seq> ..." from b to a's PORT.
send_seq_udp() {
	in_b python3 -c '
import socket, sys, time
port, first, last = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
gap = 1.0 / float(sys.argv[4]) if len(sys.argv) > 4 else 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(first, last + 1):
    s.sendto(b"S%d payload" % i, ("198.18.0.1", port))
    if gap:
        time.sleep(gap)' "$@"
}

# pcap_seqs FILE...: the "S<seq>" words of the UDP payloads in pcap files, one per line.
pcap_seqs() {
	python3 -c '
import gzip, struct, sys
for name in sys.argv[1:]:
    data = (gzip.open if name.endswith(".gz") else open)(name, "rb").read()
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        ihl = (pkt[14] & 15) * 4
        print(pkt[14 + ihl + 8:].split()[0].decode())' "$@"
}

test_daemon_config_check() {
	lab_up
	{ daemon_section; cat <<EOF; } | dconf good
[interface $IF_A]
queues = 0
[handler echo]
type = reflect
[rule echo]
interface = $IF_A
match = udp dport 4242
handler = echo
EOF
	expect "check a good config" "$("$XFD" -n -c "$T_DIR/good.conf" 2>&1)" "configuration OK"

	cat >"$T_DIR/bad.conf" <<EOF
[daemon]
log_level = chatty
[interface $IF_A]
frames = many
queues = 0-3
turbo = yes
[rule r]
interface = $IF_A
match = udp dport 99999
handler = nowhere
[handler h]
type = pcap
EOF
	chmod 600 "$T_DIR/bad.conf"
	local out rc
	out=$("$XFD" -n -c "$T_DIR/bad.conf" 2>&1) && fail "a bad config passed: $out"
	rc=$?
	echo "$out"
	expect "exit status" "$rc" 1
	expect "error lines" "$(echo "$out" | wc -l)" 6
	expect_match "line 2" "$out" "bad.conf:2: log_level: 'chatty' is not one of"
	expect_match "line 4" "$out" "bad.conf:4: frames: 'many' is not a whole number"
	expect_match "line 6" "$out" "bad.conf:6: turbo: unknown key in a \[interface\] section"
	expect_match "line 9" "$out" "bad.conf:9: match: rule 'udp dport 99999': at 'dport'"
	expect_match "line 10" "$out" "bad.conf:10: handler: 'nowhere' is not defined"
	expect_match "line 11" "$out" "bad.conf:11: file: required in \[handler h\]"
	if echo "$out" | grep -v -E "^$T_DIR/bad.conf:[0-9]+: [a-z_]+: "; then
		fail "a line is not 'file:line: key: reason'"
	fi

	chmod 664 "$T_DIR/good.conf"
	out=$("$XFD" -n -c "$T_DIR/good.conf" 2>&1) && fail "a group-writable config passed"
	expect_match "group-writable" "$out" "writable by group or others.*chmod go-w"
	chmod 600 "$T_DIR/good.conf"

	# The daemon refuses to start on the same errors, leaving nothing behind.
	out=$(in_a "$XFD" -c "$T_DIR/bad.conf" 2>&1) && fail "xskflowd started on a bad config"
	expect_match "start refused" "$out" "log_level: 'chatty'"
	no_xdp "$NS_A" "$IF_A"
}

# Setup errors at start: one line naming the thing, and nothing left attached.
test_daemon_start_errors() {
	lab_up
	{ daemon_section; printf '[interface nosuch0]\n'; } | dconf noif
	local out
	out=$(in_a "$XFD" -c "$T_DIR/noif.conf" 2>&1) && fail "started on a missing interface"
	echo "$out"
	expect_match "missing interface" "$out" "interface 'nosuch0' not found"
	{ daemon_section; printf '[interface %s]\nqueues = 0,5\n' "$IF_A"; } | dconf noq
	out=$(in_a "$XFD" -c "$T_DIR/noq.conf" 2>&1) && fail "started on a missing queue"
	echo "$out"
	expect_match "missing queue" "$out" "queue 5: .*has 1 RX queue"
	no_xdp "$NS_A" "$IF_A"
	[ ! -e "$T_DIR/ctl.sock" ] || fail "control socket left after a failed start"
	{ daemon_section; printf '[interface %s]\nbind = zero-copy\n' "$IF_A"; } | dconf zc
	out=$(in_a "$XFD" -c "$T_DIR/zc.conf" 2>&1) && fail "zero-copy bind on veth succeeded"
	expect_match "zero-copy refused" "$out" \
		"error: \[interface $IF_A\] queue 0: .*driver 'veth'.*zero-copy bind refused.*try bind = copy"
	no_xdp "$NS_A" "$IF_A"
}

reflect_conf() {
	{ daemon_section; cat <<EOF; } | dconf "$1"
[interface $IF_A]
queues = ${2:-0}
[handler echo]
type = reflect
[rule echo]
interface = $IF_A
match = udp dport 4242
handler = echo
[rule echo6]
interface = $IF_A
match = ip6 udp dport 4242
handler = echo
EOF
}

test_daemon_reflect_echo_ipv4_ipv6() {
	lab_up
	reflect_conf d
	start_daemon d
	expect "IPv4 echo (ok bad lost)" "$(echo_client "$IP4_A" 4242 300)" "300 0 0"
	expect "IPv6 echo (ok bad lost)" "$(echo_client "$IP6_A" 4242 300)" "300 0 0"
	# Not steered: the kernel still answers ping and owns other ports.
	in_b ping -c 2 -i 0.2 -W 2 "$IP4_A" >/dev/null || fail "ping through the kernel failed"
	in_b ping -6 -c 2 -i 0.2 -W 2 "$IP6_A" >/dev/null || fail "ping -6 failed"
	expect "port 4243 is the kernel's (no echo)" "$(echo_client "$IP4_A" 4243 2)" "0 0 2"

	ctl stats >"$T_DIR/stats.json" || fail "ctl stats failed"
	local q='.interfaces[0].queues[0]'
	expect "attach mode" "$(jget "$T_DIR/stats.json" '.interfaces[0].attach_mode')" native
	expect "bind mode" "$(jget "$T_DIR/stats.json" "$q.bind_mode")" copy
	expect_match "fallback reason" "$(jget "$T_DIR/stats.json" "$q.fallbacks[0]")" \
		"zero-copy bind refused by driver 'veth'"
	expect "rule echo (IPv4) hits" "$(jget "$T_DIR/stats.json" '.interfaces[0].rules[0].hits')" 300
	expect "rule echo6 hits" "$(jget "$T_DIR/stats.json" '.interfaces[0].rules[1].hits')" 300
	expect "rule echo dispatched" \
		"$(jget "$T_DIR/stats.json" '.interfaces[0].rules[0].dispatched')" 300
	expect "reflect tx" "$(jget "$T_DIR/stats.json" '.handlers[0].tx')" 600
	expect "queue tx_packets" "$(jget "$T_DIR/stats.json" "$q.tx_packets")" 600
	expect "unclassified" "$(jget "$T_DIR/stats.json" "$q.unclassified")" 0
	expect "rx_dropped" "$(jget "$T_DIR/stats.json" "$q.xdp_stats.rx_dropped")" 0
	jq -e "$q.xdp_stats | has(\"rx_ring_full\") and has(\"tx_ring_empty_descs\")" \
		"$T_DIR/stats.json" >/dev/null || fail "xdp_stats incomplete"
	expect "frames add up" "$(jq "$q.frames | .free + .fill + .app + .tx == .total" \
		"$T_DIR/stats.json")" true
	stop_daemon d
}

# ICMP echo requests answered from userspace: the replies are the daemon's, not the kernel's.
test_daemon_reflect_answers_ping() {
	lab_up
	{ daemon_section; cat <<EOF; } | dconf d
[interface $IF_A]
[handler echo]
type = reflect
[rule ping]
interface = $IF_A
match = ip icmp
handler = echo
EOF
	start_daemon d
	local before after
	before=$(in_a nstat -az IcmpInEchos | awk '/IcmpInEchos/ {print $2}')
	in_b ping -c 5 -i 0.2 -W 2 -s 300 "$IP4_A" >"$T_DIR/ping.out" ||
		fail "ping through reflect failed: $(cat "$T_DIR/ping.out")"
	after=$(in_a nstat -az IcmpInEchos | awk '/IcmpInEchos/ {print $2}')
	expect "echo requests seen by a's kernel" "$((after - before))" 0
	ctl stats >"$T_DIR/stats.json"
	expect "rule hits" "$(jget "$T_DIR/stats.json" '.interfaces[0].rules[0].hits')" 5
	expect "replies sent" "$(jget "$T_DIR/stats.json" '.handlers[0].tx')" 5
	stop_daemon d
}

# One poller per queue: traffic on queue 1 is answered on queue 1.
test_daemon_two_queues() {
	lab_up -q 2
	reflect_conf d 0-1
	start_daemon d
	expect "status queues" "$(ctl status | jq -c '.interfaces[0].queues')" "[0,1]"
	for q in 0 1; do
		in_b "$XF" send -i "$IF_B" -q "$q" --dst-mac "$MAC_A" --src-ip "$IP4_B" \
			--dst-ip "$IP4_A" --dst-port 4242 -n 200 -s 64-1000 >/dev/null ||
			fail "send on queue $q failed"
	done
	sleep 0.3
	ctl stats >"$T_DIR/stats.json"
	for q in 0 1; do
		expect "queue $q rx" "$(jget "$T_DIR/stats.json" ".interfaces[0].queues[$q].rx_packets")" 200
		expect "queue $q tx" "$(jget "$T_DIR/stats.json" ".interfaces[0].queues[$q].tx_packets")" 200
	done
	stop_daemon d INT
}

test_daemon_pcap_file_and_rotation() {
	lab_up
	{ daemon_section; cat <<EOF; } | dconf d
[interface $IF_A]
[handler cap]
type = pcap
file = $T_DIR/cap.pcap
[handler rot]
type = pcap
file = $T_DIR/rot.pcap
rotate_size = 4K
rotate_count = 3
compress = yes
[rule cap]
interface = $IF_A
match = udp dport 4243
handler = cap
[rule rot]
interface = $IF_A
match = udp dport 4244
handler = rot
EOF
	start_daemon d
	send_seq_udp 4243 1 37 || fail "sending to 4243 failed"
	send_seq_udp 4244 1 300 2000 || fail "sending to 4244 failed"
	sleep 0.5
	# Readable while the daemon runs: every burst is flushed.
	expect "tcpdump count while running" \
		"$(tcpdump -r "$T_DIR/cap.pcap" -n 2>/dev/null | grep -c '198.18.0.1.4243: UDP')" 37
	ctl stats >"$T_DIR/stats.json"
	stop_daemon d
	expect "tcpdump count" "$(tcpdump -r "$T_DIR/cap.pcap" -n 2>/dev/null | wc -l)" 37
	expect "captured in order" "$(pcap_seqs "$T_DIR/cap.pcap" | tr -d S | paste -sd,)" \
		"$(seq -s, 1 37)"
	expect "pcap written" "$(jq '.handlers[] | select(.name == "cap") | .written' \
		"$T_DIR/stats.json")" 37
	# Rotation: 300 records of ~60 bytes in 4 KiB files, 3 rotated files kept, compressed.
	ls -l "$T_DIR"/rot.pcap*
	local gz n
	gz=$(ls "$T_DIR"/rot.pcap.*.gz | wc -l)
	expect "rotated files kept" "$gz" 3
	[ -z "$(ls "$T_DIR"/rot.pcap.[0-9]* | grep -v '\.gz$')" ] || fail "uncompressed rotated file left"
	for f in "$T_DIR"/rot.pcap.*.gz; do
		gzip -t "$f" || fail "$f is not valid gzip"
		zcat "$f" >"$T_DIR/unz.pcap"
		n=$(tcpdump -r "$T_DIR/unz.pcap" -n 2>/dev/null | wc -l)
		[ "$n" -gt 0 ] || fail "$f holds no packets"
	done
	# What is kept is the newest packets, in order, ending with the last one sent.
	pcap_seqs $(ls "$T_DIR"/rot.pcap.*.gz | sort -t. -k3 -n) "$T_DIR/rot.pcap" | tr -d S \
		>"$T_DIR/rot.seqs"
	expect "last captured" "$(tail -n 1 "$T_DIR/rot.seqs")" 300
	expect "consecutive" "$(awk 'NR > 1 && $1 != prev + 1 { bad++ } { prev = $1 } END { print bad + 0 }' \
		"$T_DIR/rot.seqs")" 0
}

test_daemon_plugin() {
	lab_up
	cc -shared -fPIC -O2 -Wall -Werror -I include -o "$T_DIR/upper.so" \
		user/daemon/examples/upper_echo.c || fail "cannot build the example plugin"
	cc -shared -fPIC -o "$T_DIR/empty.so" -x c /dev/null || fail "cannot build an empty .so"
	# The same plugin declaring ABI 1 (before multi-buffer chains) and a future ABI 3.
	local abi
	for abi in 1 3; do
		sed "s/^const __u32 xskflowd_plugin_abi = XSKFLOWD_PLUGIN_ABI;/const __u32 xskflowd_plugin_abi = $abi;/" \
			user/daemon/examples/upper_echo.c >"$T_DIR/abi$abi.c"
		grep -q "xskflowd_plugin_abi = $abi;" "$T_DIR/abi$abi.c" || fail "no ABI line to change"
		cc -shared -fPIC -O2 -Wall -Werror -I include -I user/daemon/examples \
			-o "$T_DIR/abi$abi.so" "$T_DIR/abi$abi.c" || fail "cannot build the ABI $abi plugin"
	done
	{ daemon_section; cat <<EOF; } | dconf d
[interface $IF_A]
[handler up]
type = plugin
path = $T_DIR/upper.so
args = upper
[rule up]
interface = $IF_A
match = udp dport 7777
handler = up
EOF
	start_daemon d
	expect "plugin reply" "$(in_b python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(("198.18.0.1", 7777)); s.send(b"hello, plugin 42")
print(s.recv(100).decode())')" "HELLO, PLUGIN 42"
	ctl stats >"$T_DIR/stats.json"
	expect "plugin stats" "$(jq -c '.handlers[0].plugin' "$T_DIR/stats.json")" \
		'{"answered":1,"ignored":0}'
	# A reload with a plugin that lacks the entry points fails and changes nothing.
	sed -i "s|$T_DIR/upper.so|$T_DIR/empty.so|" "$T_DIR/d.conf"
	ctl reload >"$T_DIR/reload.json" && fail "a reload with a broken plugin succeeded"
	expect_match "reload error" "$(jget "$T_DIR/reload.json" '.errors[0]')" \
		"does not export 'xskflowd_plugin_abi'"
	expect "still answering" "$(in_b python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(("198.18.0.1", 7777)); s.send(b"again")
print(s.recv(100).decode())')" "AGAIN"
	# A plugin built for a newer ABI is refused; one built for ABI 1 still loads and works.
	sed -i "s|$T_DIR/empty.so|$T_DIR/abi3.so|" "$T_DIR/d.conf"
	ctl reload >"$T_DIR/reload.json" && fail "a reload with an ABI 3 plugin succeeded"
	expect_match "ABI refused" "$(jget "$T_DIR/reload.json" '.errors[0]')" \
		"was built for plugin ABI 3, this daemon has ABI 1 to 2; rebuild it"
	sed -i "s|$T_DIR/abi3.so|$T_DIR/abi1.so|" "$T_DIR/d.conf"
	ctl reload >"$T_DIR/reload.json" || fail "reload with an ABI 1 plugin: $(cat "$T_DIR/reload.json")"
	expect "ABI 1 plugin answering" "$(in_b python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(("198.18.0.1", 7777)); s.send(b"old abi")
print(s.recv(100).decode())')" "OLD ABI"
	stop_daemon d
	sed -i "s|$T_DIR/abi1.so|$T_DIR/empty.so|" "$T_DIR/d.conf"
	# Refused arguments stop the start, with the plugin's reason.
	sed -i -e "s|$T_DIR/empty.so|$T_DIR/upper.so|" -e 's|args = upper|args = sideways|' "$T_DIR/d.conf"
	local out
	out=$(in_a "$XFD" -c "$T_DIR/d.conf" 2>&1) && fail "started with refused plugin args"
	expect_match "init refused" "$out" "refused to start \(args 'sideways'\): Invalid argument"
	no_xdp "$NS_A" "$IF_A"
}

# Rules added and removed by reloads while traffic flows: the kept echo rule never misses
# a packet, and every datagram to 4243 is handled exactly once, by the kernel or the pcap.
test_daemon_reload_under_traffic() {
	lab_up
	reflect_conf d
	cp "$T_DIR/d.conf" "$T_DIR/base.conf"
	cat >>"$T_DIR/d.conf" <<EOF
[handler cap]
type = pcap
file = $T_DIR/cap.pcap
[rule cap]
interface = $IF_A
match = udp dport 4243
handler = cap
EOF
	cp "$T_DIR/d.conf" "$T_DIR/with-cap.conf"
	cp "$T_DIR/base.conf" "$T_DIR/d.conf"
	start_daemon d
	udp_sink 4243 "$T_DIR/kernel.seqs" &
	local sink=$!
	wait_for "$T_DIR/kernel.seqs.ready" ready 10
	echo_client "$IP4_A" 4242 3000 >"$T_DIR/echo.out" &
	local echo=$!
	send_seq_udp 4243 1 4000 2000 &
	local sender=$!
	for i in 1 2 3 4 5 6; do
		sleep 0.25
		if [ $((i % 2)) = 1 ]; then
			cp "$T_DIR/with-cap.conf" "$T_DIR/d.conf"
		else
			cp "$T_DIR/base.conf" "$T_DIR/d.conf"
		fi
		if [ "$i" = 3 ]; then
			kill -HUP "$DPID"
			sleep 0.3
		else
			ctl reload >"$T_DIR/reload.json" || fail "reload $i failed: $(cat "$T_DIR/reload.json")"
		fi
	done
	# A broken config changes nothing.
	echo "bogus = 1" >>"$T_DIR/d.conf"
	ctl reload >"$T_DIR/reload.json" && fail "a broken reload succeeded"
	expect_match "reload error" "$(jget "$T_DIR/reload.json" '.errors[0]')" "bogus: unknown key"
	wait "$sender"
	wait "$echo"
	touch "$T_DIR/kernel.seqs.go"
	wait "$sink"
	expect "echo during reloads (ok bad lost)" "$(cat "$T_DIR/echo.out")" "3000 0 0"
	ctl status >"$T_DIR/status.json"
	expect "reloads" "$(jget "$T_DIR/status.json" .reloads)" 6
	expect "failed reloads" "$(jget "$T_DIR/status.json" .reload_failures)" 1
	ctl stats >"$T_DIR/stats.json"
	expect "echo rule dispatched all" \
		"$(jget "$T_DIR/stats.json" '.interfaces[0].rules[0].dispatched')" 3000
	expect "unclassified" "$(jget "$T_DIR/stats.json" '.interfaces[0].queues[0].unclassified')" 0
	stop_daemon d
	local k p both
	pcap_seqs "$T_DIR/cap.pcap" >"$T_DIR/pcap.seqs"
	k=$(wc -l <"$T_DIR/kernel.seqs")
	p=$(wc -l <"$T_DIR/pcap.seqs")
	echo "kernel $k, pcap $p"
	[ "$k" -gt 100 ] && [ "$p" -gt 100 ] || fail "both paths should have seen traffic"
	expect "every datagram once" "$(sort "$T_DIR/kernel.seqs" "$T_DIR/pcap.seqs" | uniq | wc -l)" 4000
	both=$(sort "$T_DIR/kernel.seqs" "$T_DIR/pcap.seqs" | uniq -d | wc -l)
	expect "none handled twice" "$both" 0
}

test_daemon_reload_adds_and_removes_queues() {
	lab_up -q 2
	reflect_conf d 0
	start_daemon d
	expect "queues at start" "$(ctl status | jq -c '.interfaces[0].queues')" "[0]"
	reflect_conf d 0-1
	ctl reload >/dev/null || fail "reload adding queue 1 failed"
	expect "queue added" "$(ctl status | jq -c '.interfaces[0].queues')" "[0,1]"
	expect "echo after adding" "$(echo_client "$IP4_A" 4242 50)" "50 0 0"
	reflect_conf d 1
	ctl reload >/dev/null || fail "reload removing queue 0 failed"
	expect "queue removed" "$(ctl status | jq -c '.interfaces[0].queues')" "[1]"
	# A changed socket setting restarts the interface's sockets, and they work. (Both
	# queues: which one b's flow hashes to is not ours to choose.)
	reflect_conf d 0-1
	sed -i 's/^queues = 0-1$/queues = 0-1\nframes = 2048/' "$T_DIR/d.conf"
	ctl reload >/dev/null || fail "reload changing frames failed"
	expect_match "restart logged" "$(cat "$T_DIR/d.log")" "settings changed, restarting"
	expect "echo after restart" "$(echo_client "$IP4_A" 4242 50)" "50 0 0"
	expect "frames after restart" "$(ctl stats | jq '.interfaces[0].queues[0].frames.total')" 2048
	stop_daemon d
}

# Reloads that fail while being applied, not while being parsed: everything that ran
# before runs after, including an interface that had to be stopped to try the change.
test_daemon_reload_failure_keeps_old() {
	lab_up -p
	reflect_conf d
	cp "$T_DIR/d.conf" "$T_DIR/base.conf"
	start_daemon d
	# A second interface that works, and a third that does not exist.
	printf '[interface %s]\n[interface nosuch0]\n' "$IF_A2" >>"$T_DIR/d.conf"
	ctl reload >"$T_DIR/r1.json" && fail "a reload with a missing interface succeeded"
	expect_match "reload error" "$(jget "$T_DIR/r1.json" '.errors | join("|")')" \
		"interface 'nosuch0' not found"
	no_xdp "$NS_A" "$IF_A2"
	expect "echo after failed reload 1" "$(echo_client "$IP4_A" 4242 20)" "20 0 0"
	# A change that needs the sockets re-created, and that the driver refuses.
	cp "$T_DIR/base.conf" "$T_DIR/d.conf"
	sed -i 's/^queues = 0$/queues = 0\nbind = zero-copy/' "$T_DIR/d.conf"
	ctl reload >"$T_DIR/r2.json" && fail "a zero-copy reload on veth succeeded"
	expect_match "reload error" "$(jget "$T_DIR/r2.json" '.errors | join("|")')" \
		"zero-copy bind refused"
	expect "echo after failed reload 2" "$(echo_client "$IP4_A" 4242 20)" "20 0 0"
	expect "status after failures" "$(ctl status | jq -c '[.reloads, .reload_failures, .queues]')" \
		"[0,2,1]"
	stop_daemon d
	no_xdp "$NS_A" "$IF_A2"
}

test_daemon_sigterm_leaves_nothing() {
	lab_up
	reflect_conf d
	start_daemon d
	in_a test -d "/sys/fs/bpf/xskflow/$IF_A" || fail "no pins while running"
	echo_client "$IP4_A" 4242 20 >/dev/null
	stop_daemon d TERM
	# Nothing steers any more: the port is the kernel's again.
	expect "no echo after stop" "$(echo_client "$IP4_A" 4242 2)" "0 0 2"
}

test_daemon_kill9_restart_recovers() {
	lab_up
	reflect_conf d
	start_daemon d
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	ip -n "$NS_A" -d link show "$IF_A" | grep -q prog/xdp || fail "kill -9 detached the program?"
	start_daemon d
	expect_match "stale program replaced" "$(cat "$T_DIR/d.log")" "replac"
	expect "echo after restart" "$(echo_client "$IP4_A" 4242 50)" "50 0 0"
	stop_daemon d
}

test_daemon_ctl_refuses_other_users() {
	lab_up
	reflect_conf d
	start_daemon d
	expect "socket mode" "$(stat -c %a "$T_DIR/ctl.sock")" 600
	chmod 755 "$T_DIR"
	local out
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$XF" ctl -s "$T_DIR/ctl.sock" status 2>&1) &&
		fail "uid 65534 was served: $out"
	expect_match "refused by the file mode" "$out" "Permission denied"
	# Even if the mode is loosened, the daemon checks who is asking.
	chmod 666 "$T_DIR/ctl.sock"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$XF" ctl -s "$T_DIR/ctl.sock" status 2>&1) &&
		fail "uid 65534 was served through a 0666 socket: $out"
	expect_match "refused by the daemon" "$out" "permission denied: uid 65534"
	expect "root still served" "$(ctl status | jq -r .ok)" true
	out=$(ctl frobnicate 2>&1) && fail "unknown request accepted"
	expect_match "unknown request" "$out" "unknown request 'frobnicate'"
	stop_daemon d
}

# raw_sink IFACE FILE: in b, an AF_PACKET socket on IFACE writes every IPv4 UDP frame it
# receives (not ones it sends), as hex, one per line, to FILE, until 2 s of silence after
# FILE.go appears. The buffer holds every frame of a test.
raw_sink() {
	in_b python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
s.bind((sys.argv[1], 0))
s.settimeout(2)
out = open(sys.argv[2], "w")
open(sys.argv[2] + ".ready", "w").write("ready\n")
while True:
    try:
        data, addr = s.recvfrom(65536)
    except socket.timeout:
        if os.path.exists(sys.argv[2] + ".go"):
            break
        continue
    if addr[2] != socket.PACKET_OUTGOING and data[12:14] == b"\x08\x00" and data[23] == 17:
        out.write(data.hex() + "\n"); out.flush()' "$@"
}

# raw_send IFACE DST_MAC COUNT FILE: from b, COUNT Ethernet frames 198.18.0.2 -> 198.18.0.1
# UDP 5555 -> 4242 of sizes 50-1500 (valid IPv4 header checksum, UDP checksum 0), paced,
# through an AF_PACKET socket on IFACE; each frame is written as hex to FILE.
raw_send() {
	in_b python3 -c '
import socket, struct, sys, time
ifname, dst, n = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
src = s.getsockname()[4]
out = open(sys.argv[4], "w")
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
for i in range(n):
    payload = b"XFWD" + struct.pack("!I", i) + bytes((i + k) & 0xff for k in range(i * 37 % 1450))
    udp = struct.pack("!HHHH", 5555, 4242, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                     socket.inet_aton("198.18.0.2"), socket.inet_aton("198.18.0.1"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frame = dst + src + b"\x08\x00" + ip + udp
    s.send(frame)
    out.write(frame.hex() + "\n")
    time.sleep(0.001)' "$@"
}

forward_conf() {
	{ daemon_section; cat <<EOF; } | dconf "$1"
[interface $IF_A]
frames = 1024
[handler fwd]
type = forward
interface = $2
[rule fwd]
interface = $IF_A
match = udp dport 4242
handler = fwd
EOF
}

# wait_stat JQ VALUE: wait (up to 10 s) until 'ctl stats' | jq JQ prints VALUE: the pollers
# publish their counters after each pass.
wait_stat() {
	local i v
	for ((i = 0; i < 200; i++)); do
		v=$(ctl stats | jq "$1")
		[ "$v" = "$2" ] && return 0
		sleep 0.05
	done
	fail "timed out waiting for stats $1 = $2 (last: $v)"
}

# forward: b sends on pair 1, the daemon in a forwards what the rule selects out of pair 2
# from the frame it was received in, b finds every frame on pair 2, unchanged and in order.
test_daemon_forward() {
	lab_up -p
	forward_conf d "$IF_A2"
	start_daemon d
	raw_sink "$IF_B2" "$T_DIR/got" &
	local sink=$! n=400
	wait_for "$T_DIR/got.ready" ready
	raw_send "$IF_B" "$MAC_A" $n "$T_DIR/sent" || fail "raw_send failed"
	# Not selected: the kernel's, on pair 1, and never forwarded.
	udp_counter 4243 3
	send_seq_udp 4243 1 100 1000
	in_b ping -c 2 -i 0.2 -W 2 "$IP4_A" >/dev/null || fail "ping through the kernel failed"
	wait "$UDP_PID"
	expect "datagrams to 4243 received by a's kernel" "$(cat "$T_DIR/udp.count")" 100
	touch "$T_DIR/got.go"
	wait "$sink"
	expect "frames on pair 2" "$(wc -l <"$T_DIR/got")" $n
	cmp -s "$T_DIR/sent" "$T_DIR/got" || fail "forwarded frames differ from those sent"
	echo "ok: $n frames forwarded byte-exact and in order"

	wait_stat '.interfaces[0].queues[0].forward[0].tx_completed' $n
	ctl stats >"$T_DIR/stats.json" || fail "ctl stats failed"
	local q='.interfaces[0].queues[0]'
	expect "handler forwarded" "$(jget "$T_DIR/stats.json" '.handlers[0].forwarded')" $n
	expect "handler dropped" "$(jget "$T_DIR/stats.json" '.handlers[0].dropped')" 0
	expect "rule dispatched" "$(jget "$T_DIR/stats.json" '.interfaces[0].rules[0].dispatched')" $n
	expect "TX socket on pair 2" "$(jget "$T_DIR/stats.json" "$q.forward[0].interface")" "$IF_A2"
	expect "its tx_packets" "$(jget "$T_DIR/stats.json" "$q.forward[0].tx_packets")" $n
	expect "its bind mode" "$(jget "$T_DIR/stats.json" "$q.forward[0].bind_mode")" copy
	expect "its completions" "$(jget "$T_DIR/stats.json" "$q.forward[0].tx_completed")" $n
	expect "queue tx (the reflect path)" "$(jget "$T_DIR/stats.json" "$q.tx_packets")" 0
	# No copy: sockets on two interfaces, one UMEM pinned (1024 frames of 4096 bytes). A
	# UMEM of its own for the target would double this.
	expect "pinned bytes: one UMEM" "$(jget "$T_DIR/stats.json" .pinned_bytes)" $((1024 * 4096))
	expect "frames add up" "$(jq "$q.frames | .free + .fill + .app + .tx == .total" \
		"$T_DIR/stats.json")" true
	expect "frames held by the daemon" "$(jget "$T_DIR/stats.json" "$q.frames.app")" 0
	stop_daemon d
	if grep -q "did not come home" "$T_DIR/d.log"; then
		fail "frames lost: $(grep "did not come home" "$T_DIR/d.log")"
	fi
	no_xdp "$NS_A" "$IF_A2"
}

# A forward target that does not exist, or that is the receiving interface: one line each,
# nothing left behind.
test_daemon_forward_errors() {
	lab_up -p
	forward_conf d nosuch0
	local out
	out=$(in_a "$XFD" -c "$T_DIR/d.conf" 2>&1) && fail "started forwarding to a missing interface"
	echo "$out"
	expect_match "missing target" "$out" \
		"\[interface $IF_A\] queue 0: forward to 'nosuch0': .*not found"
	no_xdp "$NS_A" "$IF_A"
	forward_conf same "$IF_A"
	out=$("$XFD" -n -c "$T_DIR/same.conf" 2>&1) && fail "-n accepted forwarding to the same interface"
	expect_match "same interface" "$out" "same.conf:13: handler: .*use a reflect handler"
}

# cap_hex CAP...: the capability mask /proc/PID/status shows for exactly these (numbers).
cap_hex() {
	local m=0 c
	for c in "$@"; do m=$((m | (1 << c))); done
	printf '%016x' "$m"
}

# Privilege drop: a throwaway system user runs the daemon after setup with only
# CAP_NET_ADMIN(12), CAP_NET_RAW(13), CAP_IPC_LOCK(14), CAP_PERFMON(38), CAP_BPF(39) — no
# CAP_SYS_ADMIN(21), and no CAP_SYS_NICE(23) without napi_yield (test_daemon_napi_yield_user);
# traffic flows, a reload that re-creates the sockets (a 16 MiB UMEM, past the 8 MiB
# memlock limit) and adds a rule works, a reload that adds an interface attaches as the
# user, one whose stale program cannot be identified is refused in one line saying what
# to do, and SIGTERM still detaches (by the program's fd) and unpins everything.
test_daemon_user_drops_privileges() {
	lab_up -p
	local user="xfd$LAB_ID" uid
	useradd --system --no-create-home --shell /usr/sbin/nologin "$user" ||
		fail "cannot create a user"
	# shellcheck disable=SC2064
	# The lab first: it kills the daemon, and a user with a process cannot be deleted.
	trap "scripts/lab.sh down $LAB_ID; userdel $user 2>/dev/null; rm -rf $T_DIR" EXIT
	uid=$(id -u "$user")
	# The control socket lives in a directory the user owns (systemd: RuntimeDirectory=).
	mkdir "$T_DIR/run"
	chown "$user" "$T_DIR/run"
	chmod 711 "$T_DIR"
	{ printf '[daemon]\ncontrol_socket = %s\nstats_interval = 0\nuser = %s\n' \
		"$T_DIR/run/ctl.sock" "$user"; cat <<EOF; } | dconf d
[interface $IF_A]
queues = 0
[handler echo]
type = reflect
[rule echo]
interface = $IF_A
match = udp dport 4242
handler = echo
EOF
	# Reloads read the config as the user.
	chgrp "$user" "$T_DIR/d.conf"
	chmod 640 "$T_DIR/d.conf"
	start_daemon d
	expect_match "drop logged" "$(cat "$T_DIR/d.log")" "running as user '$user' \(uid $uid"
	local want t
	want=$(cap_hex 12 13 14 38 39)
	# Every thread: the control thread and the poller it started after the drop.
	for t in /proc/"$DPID"/task/*; do
		expect "uid of $(cat "$t/comm")" \
			"$(awk '/^Uid:/ {print $2 $3 $4 $5}' "$t/status")" "$uid$uid$uid$uid"
		expect "CapEff of $(cat "$t/comm")" "$(awk '/^CapEff:/ {print $2}' "$t/status")" "$want"
		expect "CapPrm of $(cat "$t/comm")" "$(awk '/^CapPrm:/ {print $2}' "$t/status")" "$want"
		expect "CapBnd of $(cat "$t/comm")" "$(awk '/^CapBnd:/ {print $2}' "$t/status")" "$want"
		expect "CapInh of $(cat "$t/comm")" "$(awk '/^CapInh:/ {print $2}' "$t/status")" \
			0000000000000000
	done
	expect "threads" "$(find /proc/"$DPID"/task -mindepth 1 -maxdepth 1 | wc -l)" 2
	expect "socket owner" "$(stat -c %U:%a "$T_DIR/run/ctl.sock")" "$user:600"
	expect "pins owner" "$(in_a stat -c %U "/sys/fs/bpf/xskflow/$IF_A")" "$user"
	expect "IPv4 echo (ok bad lost)" "$(echo_client "$IP4_A" 4242 100)" "100 0 0"
	# root and the daemon's user are served; others are not.
	expect "ctl as root" "$("$XF" ctl -s "$T_DIR/run/ctl.sock" status | jq -r .ok)" true
	expect "ctl as the user" "$(setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		"$XF" ctl -s "$T_DIR/run/ctl.sock" status | jq -r .ok)" true

	# Reload as the user: new UMEM (16 MiB > RLIMIT_MEMLOCK: CAP_IPC_LOCK), new socket,
	# new rule set, program and pins kept.
	sed -i 's/^queues = 0$/queues = 0\nframes = 4096/' "$T_DIR/d.conf"
	cat >>"$T_DIR/d.conf" <<EOF
[rule echo2]
interface = $IF_A
match = udp dport 4244
handler = echo
EOF
	local out
	out=$("$XF" ctl -s "$T_DIR/run/ctl.sock" reload) || fail "reload failed: $out"
	expect "reload ok" "$(echo "$out" | jq -r .ok)" true
	expect "echo on the new rule" "$(echo_client "$IP4_A" 4244 50)" "50 0 0"
	expect "echo on the old rule" "$(echo_client "$IP4_A" 4242 50)" "50 0 0"
	expect "pinned after reload" "$("$XF" ctl -s "$T_DIR/run/ctl.sock" stats | jq .pinned_bytes)" \
		$((4096 * 4096))

	# A stale xskflow program (its owner killed) on a second interface: telling it from
	# someone else's takes its fd by id, i.e. CAP_SYS_ADMIN. Refused, nothing changes.
	(exec scripts/lab.sh exec "$LAB_ID" a "$XF" recv -i "$IF_A2" -r "udp dport 4250" -t 60) \
		>/dev/null 2>"$T_DIR/stale.err" &
	local rpid=$!
	wait_for "$T_DIR/stale.err" "receiving on" 15
	kill -9 "$rpid"
	wait "$rpid" 2>/dev/null
	local stale
	stale=$(ip -n "$NS_A" -j link show "$IF_A2" | jq '.[0].xdp.prog.id')
	printf '[interface %s]\nqueues = 0\n' "$IF_A2" >>"$T_DIR/d.conf"
	out=$("$XF" ctl -s "$T_DIR/run/ctl.sock" reload)
	expect "reload with a stale program refused" "$(echo "$out" | jq -r .ok)" false
	expect "one error" "$(echo "$out" | jq '.errors | length')" 1
	expect_match "why and what to do" "$(echo "$out" | jq -r '.errors[0]')" \
		"\\[interface $IF_A2\\]: interface '$IF_A2' already has an XDP program attached \\(id $stale\\) that this process cannot identify without CAP_SYS_ADMIN; detach it first .*; or restart xskflowd"
	expect "stale program untouched" "$(ip -n "$NS_A" -j link show "$IF_A2" | jq '.[0].xdp.prog.id')" \
		"$stale"
	expect "echo after the refused reload" "$(echo_client "$IP4_A" 4242 20)" "20 0 0"
	# Removed as the message says: the same reload now attaches as the user.
	ip -n "$NS_A" link set dev "$IF_A2" xdp off
	in_a rm -rf "/sys/fs/bpf/xskflow/$IF_A2"
	out=$("$XF" ctl -s "$T_DIR/run/ctl.sock" reload) || fail "reload failed: $out"
	expect "reload adding an interface" "$(echo "$out" | jq -r .ok)" true
	ip -n "$NS_A" -d link show "$IF_A2" | grep -q prog/xdp || fail "nothing attached to $IF_A2"
	expect "its pins owner" "$(in_a stat -c %U "/sys/fs/bpf/xskflow/$IF_A2")" "$user"
	expect "echo after adding an interface" "$(echo_client "$IP4_A" 4242 20)" "20 0 0"

	# The user cannot be changed without a restart.
	sed -i "s/^user = .*/user = nobody/" "$T_DIR/d.conf"
	out=$("$XF" ctl -s "$T_DIR/run/ctl.sock" reload)
	expect "user change refused" "$(echo "$out" | jq -r .ok)" false
	expect_match "why" "$(echo "$out" | jq -r '.errors[0]')" \
		"d.conf:4: user: changed from '$user' to 'nobody'; restart the daemon"

	kill -TERM "$DPID"
	wait "$DPID" || fail "xskflowd exited with $? after SIGTERM: $(tail -n 3 "$T_DIR/d.log")"
	grep -q "stopped; nothing left attached" "$T_DIR/d.log" || fail "no 'stopped' line"
	# No warning or error but the refused reloads'.
	if grep -E "warning|error" "$T_DIR/d.log" | grep -v -E "user: changed|reload failed|cannot identify without CAP_SYS_ADMIN"; then
		fail "warnings or errors while running as '$user'"
	fi
	no_xdp "$NS_A" "$IF_A"
	no_xdp "$NS_A" "$IF_A2"
	[ ! -e "$T_DIR/run/ctl.sock" ] || fail "the control socket was left behind"
	if in_a test -e "/sys/fs/bpf/xskflow/$IF_A" || in_a test -e "/sys/fs/bpf/xskflow/$IF_A2"
	then
		fail "pins left in /sys/fs/bpf/xskflow"
	fi
	echo "ok: stopped cleanly as '$user'"
}

# user: a name that does not exist is one config line; a control socket the user could not
# remove at exit is refused at start, before anything is dropped, and nothing is left.
test_daemon_user_errors() {
	lab_up
	{ daemon_section; printf 'user = no-such-user-xf\n[interface %s]\n' "$IF_A"; } | dconf bad
	local out
	out=$("$XFD" -n -c "$T_DIR/bad.conf" 2>&1) && fail "-n accepted an unknown user"
	expect "one line" "$(echo "$out" | wc -l)" 1
	expect_match "unknown user" "$out" \
		"bad.conf:5: user: no user 'no-such-user-xf' on this system; create it or leave"
	{ daemon_section; printf 'user = nobody\n[interface %s]\n' "$IF_A"; } | dconf dir
	out=$(in_a "$XFD" -c "$T_DIR/dir.conf" 2>&1) && fail "started with a socket nobody can remove"
	expect "one line" "$(echo "$out" | wc -l)" 1
	expect_match "socket directory" "$out" "user: 'nobody' cannot write to $T_DIR, so the control socket"
	# A config the user cannot read: refused before setup as well.
	{ daemon_section; printf 'user = nobody\n[interface %s]\n' "$IF_A"; } | dconf cfg
	sed -i "s|^control_socket = .*|control_socket = /tmp/xfd-$LAB_ID.sock|" "$T_DIR/cfg.conf"
	out=$(in_a "$XFD" -c "$T_DIR/cfg.conf" 2>&1) && fail "started with a config nobody can read"
	expect "one line" "$(echo "$out" | wc -l)" 1
	expect_match "unreadable config" "$out" "user: 'nobody' cannot read $T_DIR/cfg.conf, so reloads"
	# A pcap file in a directory the user cannot write: no rotation after the drop.
	{ daemon_section; printf 'user = nobody\n[interface %s]\n' "$IF_A"
	  printf '[handler p]\ntype = pcap\nfile = %s/cap.pcap\n' "$T_DIR"
	  printf '[rule r]\ninterface = %s\nmatch = udp dport 4243\nhandler = p\n' "$IF_A"; } |
		dconf pcap
	sed -i "s|^control_socket = .*|control_socket = /tmp/xfd-$LAB_ID.sock|" "$T_DIR/pcap.conf"
	chmod 644 "$T_DIR/pcap.conf"
	out=$(in_a "$XFD" -c "$T_DIR/pcap.conf" 2>&1) && fail "started with a pcap directory nobody can write"
	expect "one line" "$(echo "$out" | wc -l)" 1
	expect_match "pcap directory" "$out" \
		"user: 'nobody' cannot write to $T_DIR, so .handler p. could not rotate or re-create"
	[ ! -e "$T_DIR/cap.pcap" ] || fail "pcap file created by a start refused before setup"
	no_xdp "$NS_A" "$IF_A"
	[ ! -e "$T_DIR/ctl.sock" ] || fail "control socket left after a failed start"
}

# prom_check FILE: a strict reader of the Prometheus text format (version 0.0.4): every line
# a HELP, a TYPE or a sample; names and label names well formed, label values with only
# the three escapes; one HELP and one TYPE per family, before its samples, which are
# contiguous; no series twice; counters end in _total; values are numbers.
prom_check() {
	python3 -c '
import re, sys
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LVAL = r"\"(?:[^\"\\\n]|\\[\\\"n])*\""
SAMPLE = re.compile(r"^(%s)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*=%s)(?:,[a-zA-Z_][a-zA-Z0-9_]*=%s)*)\})? (\S+)$" % (NAME, LVAL, LVAL))
text = open(sys.argv[1]).read()
assert text.endswith("\n"), "no final newline"
helped, typed, done, series = {}, {}, set(), set()
cur = None
def bad(n, msg):
    sys.exit("line %d: %s" % (n, msg))
for n, line in enumerate(text.split("\n")[:-1], 1):
    if line.startswith("# HELP "):
        name = line.split(" ")[2]
        if not re.fullmatch(NAME, name) or name in helped: bad(n, "bad or repeated HELP")
        if name in done: bad(n, "family %s split" % name)
        helped[name] = n
        if cur and cur != name: done.add(cur)
        cur = name
    elif line.startswith("# TYPE "):
        parts = line.split(" ")
        if len(parts) != 4 or parts[3] not in ("counter", "gauge", "untyped"): bad(n, "bad TYPE")
        if parts[2] in typed or parts[2] != cur: bad(n, "TYPE without its HELP just before")
        typed[parts[2]] = parts[3]
    elif line.startswith("#") or not line:
        bad(n, "unexpected line %r" % line)
    else:
        m = SAMPLE.match(line)
        if not m: bad(n, "not a sample: %r" % line)
        name, labels, value = m.groups()
        if name != cur or name not in typed: bad(n, "sample of %s outside its family" % name)
        if typed[name] == "counter" and not name.endswith("_total"): bad(n, "counter without _total")
        float(value)
        if (name, labels) in series: bad(n, "series twice: %s{%s}" % (name, labels))
        series.add((name, labels))
print(len(series))' "$1"
}

# prom_value FILE SERIES: the value of one series, written as in the exposition.
prom_value() {
	# From the environment: awk -v would undo the escapes.
	S="$2" awk 'substr($0, 1, length(ENVIRON["S"]) + 1) == ENVIRON["S"] " " { print $2 }' "$1"
}

# Prometheus exposition: scraped with curl in the daemon's namespace, valid text format,
# the same numbers as 'ctl stats', moving with traffic; label values escaped.
test_daemon_metrics() {
	lab_up
	# A name with a quote and a backslash: label values must be escaped.
	ip -n "$NS_A" link set "$IF_A" down
	ip -n "$NS_A" link set "$IF_A" name "m\"$LAB_ID\\"
	IF_A="m\"$LAB_ID\\"
	ip -n "$NS_A" link set "$IF_A" up
	reflect_conf d
	sed -i 's/^\[daemon\]$/[daemon]\nmetrics = 127.0.0.1:9464/' "$T_DIR/d.conf"
	start_daemon d
	expect_match "listening" "$(cat "$T_DIR/d.log")" "metrics: serving http://127.0.0.1:9464/metrics"
	in_a curl -sf http://127.0.0.1:9464/metrics >"$T_DIR/m0.txt" || fail "scrape failed"
	local n
	n=$(prom_check "$T_DIR/m0.txt") || fail "invalid exposition: $n"
	echo "ok: $n series in valid text format"
	local esc="m\\\"$LAB_ID\\\\"
	local q="interface=\"$esc\",queue=\"0\""
	expect "rx before traffic" "$(prom_value "$T_DIR/m0.txt" "xskflowd_rx_packets_total{$q}")" 0

	expect "IPv4 echo (ok bad lost)" "$(echo_client "$IP4_A" 4242 200)" "200 0 0"
	in_a curl -sf http://127.0.0.1:9464/metrics >"$T_DIR/m1.txt" || fail "scrape failed"
	ctl stats >"$T_DIR/stats.json"
	n=$(prom_check "$T_DIR/m1.txt") || fail "invalid exposition: $n"
	local i='.interfaces[0]' qj='.interfaces[0].queues[0]'
	expect "rx after traffic" "$(prom_value "$T_DIR/m1.txt" "xskflowd_rx_packets_total{$q}")" 200
	expect "tx after traffic" "$(prom_value "$T_DIR/m1.txt" "xskflowd_tx_packets_total{$q}")" 200
	# The same numbers as ctl stats, family by family (traffic has stopped).
	expect "rx bytes = ctl" "$(prom_value "$T_DIR/m1.txt" "xskflowd_rx_bytes_total{$q}")" \
		"$(jget "$T_DIR/stats.json" "$qj.rx_bytes")"
	expect "rule hits = ctl" \
		"$(prom_value "$T_DIR/m1.txt" "xskflowd_rule_hits_total{interface=\"$esc\",rule=\"echo\"}")" \
		"$(jget "$T_DIR/stats.json" "$i.rules[0].hits")"
	expect "rule hits" "$(jget "$T_DIR/stats.json" "$i.rules[0].hits")" 200
	expect "steering xsk = ctl" \
		"$(prom_value "$T_DIR/m1.txt" "xskflowd_steering_xsk_total{interface=\"$esc\"}")" \
		"$(jget "$T_DIR/stats.json" "$i.steering.xsk")"
	expect "handler tx = ctl" \
		"$(prom_value "$T_DIR/m1.txt" 'xskflowd_handler_tx_total{handler="echo",type="reflect"}')" \
		"$(jget "$T_DIR/stats.json" '.handlers[0].tx')"
	expect "XDP rx_dropped = ctl" \
		"$(prom_value "$T_DIR/m1.txt" "xskflowd_xdp_rx_dropped_total{$q}")" \
		"$(jget "$T_DIR/stats.json" "$qj.xdp_stats.rx_dropped")"
	expect "pinned bytes = ctl" "$(prom_value "$T_DIR/m1.txt" xskflowd_pinned_bytes)" \
		"$(jget "$T_DIR/stats.json" .pinned_bytes)"
	expect "frames free = ctl" \
		"$(prom_value "$T_DIR/m1.txt" "xskflowd_frames{$q,place=\"free\"}")" \
		"$(jget "$T_DIR/stats.json" "$qj.frames.free")"
	expect "bind mode" "$(prom_value "$T_DIR/m1.txt" "xskflowd_queue_info{$q,bind_mode=\"copy\"}")" 1
	# Other paths and methods are refused.
	expect "404" "$(in_a curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9464/)" 404
	expect "405" "$(in_a curl -s -o /dev/null -w '%{http_code}' -X POST \
		http://127.0.0.1:9464/metrics)" 405

	# Reload to a new address: the old one stops, the new one serves.
	sed -i 's/^metrics = .*/metrics = [::1]:9465/' "$T_DIR/d.conf"
	expect "reload" "$(ctl reload | jq -r .ok)" true
	in_a curl -sf 'http://[::1]:9465/metrics' >"$T_DIR/m2.txt" || fail "no metrics on [::1]:9465"
	n=$(prom_check "$T_DIR/m2.txt") || fail "invalid exposition: $n"
	expect "reloads" "$(prom_value "$T_DIR/m2.txt" xskflowd_reloads_total)" 1
	if in_a curl -sf http://127.0.0.1:9464/metrics >/dev/null; then
		fail "the old address still answers"
	fi
	stop_daemon d
	if in_a curl -sf 'http://[::1]:9465/metrics' >/dev/null; then
		fail "metrics still served after stop"
	fi
}

# metrics: a bad address is one config line; a port in use is one line at start.
test_daemon_metrics_errors() {
	lab_up
	{ daemon_section; printf 'metrics = localhost:99999\n[interface %s]\n' "$IF_A"; } | dconf bad
	local out
	out=$("$XFD" -n -c "$T_DIR/bad.conf" 2>&1) && fail "-n accepted a bad metrics address"
	expect "one line" "$(echo "$out" | wc -l)" 1
	expect_match "bad address" "$out" \
		"bad.conf:5: metrics: 'localhost:99999' is not ADDRESS:PORT with a numeric address"
	{ daemon_section; printf 'metrics = 127.0.0.1:9464\n[interface %s]\n' "$IF_A"; } | dconf busy
	in_a python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 9464)); s.listen()
open(sys.argv[1], "w").write("ready\n"); time.sleep(30)' "$T_DIR/busy.ready" &
	local holder=$!
	wait_for "$T_DIR/busy.ready" ready
	out=$(in_a "$XFD" -c "$T_DIR/busy.conf" 2>&1) && fail "started on a busy metrics port"
	kill "$holder"
	expect_match "busy port" "$out" \
		"error: metrics: cannot listen on 127.0.0.1:9464: Address already in use"
	# An address that is not on this host.
	{ daemon_section; printf 'metrics = 192.0.2.7:9464\n[interface %s]\n' "$IF_A"; } |
		dconf gone
	out=$(in_a "$XFD" -c "$T_DIR/gone.conf" 2>&1) && fail "started on a foreign address"
	expect_match "foreign address" "$out" \
		"error: metrics: cannot listen on 192.0.2.7:9464: Cannot assign requested address"
	no_xdp "$NS_A" "$IF_A"
	[ ! -e "$T_DIR/ctl.sock" ] || fail "control socket left after a failed start"
}

# A reload that adds forwarding to a running interface gives its pollers the TX socket
# (the queues restart); one that removes it closes the socket; frames all come home.
test_daemon_forward_reload() {
	lab_up -p
	reflect_conf d
	start_daemon d
	expect "echo before" "$(echo_client "$IP4_A" 4242 20)" "20 0 0"
	cat >>"$T_DIR/d.conf" <<EOF
[handler fwd]
type = forward
interface = $IF_A2
[rule fwd]
interface = $IF_A
match = udp dport 4250
handler = fwd
EOF
	expect "reload adding forward" "$(ctl reload | jq -r .ok)" true
	expect_match "restart logged" "$(cat "$T_DIR/d.log")" "interface '$IF_A': settings changed"
	raw_sink "$IF_B2" "$T_DIR/got" &
	local sink=$!
	wait_for "$T_DIR/got.ready" ready
	raw_send "$IF_B" "$MAC_A" 50 "$T_DIR/sent.all" || fail "raw_send failed"
	touch "$T_DIR/got.go"
	wait "$sink"
	# raw_send aims at 4242 (echoed back on pair 1, not forwarded): nothing on pair 2 yet.
	expect "frames on pair 2 for 4242" "$(wc -l <"$T_DIR/got")" 0
	sed -i 's/^match = udp dport 4250$/match = udp dport 4242 prio 1/' "$T_DIR/d.conf"
	expect "reload moving 4242 to forward" "$(ctl reload | jq -r .ok)" true
	rm -f "$T_DIR/got.go" "$T_DIR/got.ready"
	raw_sink "$IF_B2" "$T_DIR/got" &
	sink=$!
	wait_for "$T_DIR/got.ready" ready
	raw_send "$IF_B" "$MAC_A" 50 "$T_DIR/sent" || fail "raw_send failed"
	touch "$T_DIR/got.go"
	wait "$sink"
	expect "forwarded after reload" "$(wc -l <"$T_DIR/got")" 50
	cmp -s "$T_DIR/sent" "$T_DIR/got" || fail "forwarded frames differ from those sent"
	expect "handler forwarded" "$(ctl stats | jq '.handlers[] | select(.name == "fwd") | .forwarded')" 50
	# Forwarding removed: the TX socket goes with it.
	reflect_conf d
	expect "reload removing forward" "$(ctl reload | jq -r .ok)" true
	expect "no TX socket left" "$(ctl stats | jq '.interfaces[0].queues[0].forward | length')" 0
	expect "echo after" "$(echo_client "$IP4_A" 4242 20)" "20 0 0"
	stop_daemon d
	if grep -q "did not come home" "$T_DIR/d.log"; then
		fail "frames lost: $(grep "did not come home" "$T_DIR/d.log")"
	fi
}

# Multi-buffer on a veth with MTU 9000 (frames of 4096 bytes: a jumbo packet arrives as a
# chain of two or three). reflect: kernel UDP sockets in b get every datagram up to 8000
# bytes back intact (IPv4 and IPv6; the kernel checks the UDP checksum computed over the
# whole chain). pcap: one record per jumbo packet, the whole chain, read back by tcpdump
# with its length; a second file with snaplen 5000 cuts it there (past the first
# segment). count: 500 frames of 60..9014 bytes from 'xskflow send --multi-buffer', and
# the handler's bytes are the bytes sent. Then every frame is home.
test_daemon_multi_buffer_jumbo() {
	lab_up
	ip -n "$NS_A" link set dev "$IF_A" mtu 9000 || fail "cannot set MTU 9000 on $IF_A"
	ip -n "$NS_B" link set dev "$IF_B" mtu 9000 || fail "cannot set MTU 9000 on $IF_B"
	{ daemon_section; cat <<EOF; } | dconf d
[interface $IF_A]
queues = 0
multi_buffer = yes
[handler echo]
type = reflect
[handler cap]
type = pcap
file = $T_DIR/full.pcap
[handler cut]
type = pcap
file = $T_DIR/cut.pcap
snaplen = 5000
[handler cnt]
type = count
[rule echo]
interface = $IF_A
match = udp dport 4242
handler = echo
[rule cap]
interface = $IF_A
match = udp dport 4243
handler = cap
[rule cut]
interface = $IF_A
match = udp dport 4245
handler = cut
[rule cnt]
interface = $IF_A
match = udp dport 4244
handler = cnt
EOF
	start_daemon d
	local sizes="8000 1 1400 3800 3900 4096 5000 7777 8000 8952"
	jumbo_echo() {
		in_b python3 -c '
import socket, sys
host, sizes = sys.argv[1], [int(x) for x in sys.argv[2:]]
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((host, 4242))
ok = bad = lost = 0
for i, n in enumerate(sizes):
    msg = bytes((i * 31 + k * 7) & 0xff for k in range(n))
    s.send(msg)
    try:
        ok, bad = (ok + 1, bad) if s.recv(9100) == msg else (ok, bad + 1)
    except socket.timeout:
        lost += 1
print(ok, bad, lost)' "$@"
	}
	# shellcheck disable=SC2086
	expect "IPv4 jumbo echoes (ok bad lost)" "$(jumbo_echo "$IP4_A" $sizes)" "10 0 0"
	# An IPv6 datagram of 8952 bytes is a 9000-byte IP packet: the largest the MTU takes.
	# shellcheck disable=SC2086
	expect "IPv6 jumbo echoes (ok bad lost)" "$(jumbo_echo "$IP6_A" $sizes)" "10 0 0"

	# pcap: one 8000-byte datagram (an 8042-byte frame) whose payload byte k is k*13 & 0xff,
	# to each file.
	in_b python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in (4243, 4245):
    s.sendto(bytes((k * 13) & 0xff for k in range(8000)), (sys.argv[1], port))' "$IP4_A"
	wait_stat '.handlers[] | select(.name == "cut") | .written' 1
	wait_stat '.handlers[] | select(.name == "cap") | .written' 1
	local out
	out=$(tcpdump -r "$T_DIR/full.pcap" -nn 2>&1) || fail "tcpdump cannot read it: $out"
	expect "records" "$(echo "$out" | grep -c "UDP")" 1
	expect_match "tcpdump sees" "$out" "$IP4_B\.[0-9]+ > $IP4_A\.4243: UDP, length 8000"
	out=$(tcpdump -r "$T_DIR/cut.pcap" -nn 2>&1) || fail "tcpdump cannot read it: $out"
	expect_match "tcpdump sees the cut one" "$out" "$IP4_A\.4245: UDP, length 8000"
	# Record lengths, and the payload bytes against what was sent.
	expect "full record (caplen len payload-ok)" "$(python3 -c '
import struct, sys
for name in sys.argv[1:]:
    d = open(name, "rb").read()
    caplen, length = struct.unpack("<II", d[24 + 8:24 + 16])
    pkt = d[40:40 + caplen]
    want = bytes((k * 13) & 0xff for k in range(8000))
    print(caplen, length, pkt[42:] == want[:caplen - 42], len(d) == 40 + caplen, end=" ")' \
		"$T_DIR/full.pcap" "$T_DIR/cut.pcap")" "8042 8042 True True 5000 8042 True True "

	# count: frames as chains from AF_XDP, sizes drawn in 60..9014.
	in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" \
		--dst-port 4244 -n 500 -s 60-9014 --seed 7 --multi-buffer --rate 20000 --json \
		>"$T_DIR/send.json" || fail "xskflow send failed: $(cat "$T_DIR/send.json")"
	expect "sent" "$(jget "$T_DIR/send.json" .packets)" 500
	wait_stat '.handlers[] | select(.name == "cnt") | .packets' 500
	ctl stats >"$T_DIR/stats.json" || fail "ctl stats failed"
	expect "count bytes = frame bytes sent" \
		"$(jq '.handlers[] | select(.name == "cnt") | .bytes' "$T_DIR/stats.json")" \
		"$(jget "$T_DIR/send.json" .bytes)"
	expect "rule dispatched bytes" \
		"$(jq '.interfaces[0].rules[] | select(.name == "cnt") | .dispatched_bytes' \
		"$T_DIR/stats.json")" "$(jget "$T_DIR/send.json" .bytes)"
	expect "echoes transmitted" \
		"$(jq '.handlers[] | select(.name == "echo") | .tx' "$T_DIR/stats.json")" 20
	expect "nothing dropped by the kernel" \
		"$(jget "$T_DIR/stats.json" '.interfaces[0].queues[0].xdp_stats.rx_dropped')" 0
	expect "frames held by the daemon" \
		"$(jget "$T_DIR/stats.json" '.interfaces[0].queues[0].frames.app')" 0
	stop_daemon d
	if grep -q "did not come home" "$T_DIR/d.log"; then
		fail "frames lost: $(grep "did not come home" "$T_DIR/d.log")"
	fi
}

# forward with multi_buffer: 300 frames of 60..9014 bytes, sent as chains, leave out of the
# second pair (MTU 9000 on both) as the whole packets they were: the far end counts every
# one and every byte.
test_daemon_multi_buffer_forward() {
	lab_up -p
	local i n=300
	for i in "$NS_A $IF_A" "$NS_B $IF_B" "$NS_A $IF_A2" "$NS_B $IF_B2"; do
		set -- $i
		ip -n "$1" link set dev "$2" mtu 9000 || fail "cannot set MTU 9000 on $2"
	done
	forward_conf d "$IF_A2"
	sed -i 's/^frames = 1024$/frames = 1024\nmulti_buffer = yes/' "$T_DIR/d.conf"
	start_daemon d
	raw_sink "$IF_B2" "$T_DIR/got" &
	local sink=$!
	wait_for "$T_DIR/got.ready" ready
	in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" \
		--dst-port 4242 -n $n -s 60-9014 --seed 3 --multi-buffer --rate 5000 --json \
		>"$T_DIR/send.json" || fail "xskflow send failed: $(cat "$T_DIR/send.json")"
	# Completions count frames (a chain completes frame by frame): wait for every
	# packet to be on the TX ring, and for the ring to be empty.
	wait_stat '.handlers[0].forwarded' $n
	wait_stat '.interfaces[0].queues[0].frames.tx' 0
	touch "$T_DIR/got.go"
	wait "$sink"
	expect "frames on pair 2" "$(wc -l <"$T_DIR/got")" $n
	expect "their bytes" "$(awk '{ b += length($0) / 2 } END { print b }' "$T_DIR/got")" \
		"$(jget "$T_DIR/send.json" .bytes)"
	expect "jumbo frames among them" "$(awk 'length($0) / 2 > 4096' "$T_DIR/got" | wc -l | \
		awk '$1 > 100 { print "many" }')" many
	ctl stats >"$T_DIR/stats.json" || fail "ctl stats failed"
	expect "handler forwarded" "$(jget "$T_DIR/stats.json" '.handlers[0].forwarded')" $n
	expect "handler dropped" "$(jget "$T_DIR/stats.json" '.handlers[0].dropped')" 0
	expect "handler bytes" "$(jget "$T_DIR/stats.json" '.handlers[0].bytes')" \
		"$(jget "$T_DIR/send.json" .bytes)"
	expect "socket tx_packets" \
		"$(jget "$T_DIR/stats.json" '.interfaces[0].queues[0].forward[0].tx_packets')" $n
	[ "$(jget "$T_DIR/stats.json" '.interfaces[0].queues[0].forward[0].tx_completed')" -gt $n ] ||
		fail "completions are not counted per frame"
	stop_daemon d
	if grep -q "did not come home" "$T_DIR/d.log"; then
		fail "frames lost: $(grep "did not come home" "$T_DIR/d.log")"
	fi
	no_xdp "$NS_A" "$IF_A2"
}

# napi_conf NAME CPU YIELD: reflect_conf with the poller of queue 0 on CPU and napi_yield.
napi_conf() {
	reflect_conf "$1"
	sed -i "s/^queues = 0$/queues = 0\ncpus = $2\nnapi_yield = $3/" "$T_DIR/$1.conf"
}

# poller_policy: "SCHED_X PRIO" of the daemon's poller of $IF_A queue 0 (policy_of is
# bench.sh's).
poller_policy() {
	local t
	for t in /proc/"$DPID"/task/*; do
		if [ "$(cat "$t/comm")" = "xf:${IF_A:0:8}:0" ]; then
			policy_of "${t##*/}"
			return
		fi
	done
	echo "no poller thread"
}

# napi_yield: threaded NAPI on CPU 1 (napi_thread and nice_of are bench.sh's), the poller
# pinned there. The poller runs SCHED_FIFO 1 while the NAPI thread keeps its own priority,
# every echo is answered, stats show the thread; a reload that changes only rules leaves it
# so. The poller is an ordinary thread again when a reload turns napi_yield off, or moves it
# to CPU 0 (where it shares nothing); removing the interface, bringing it back (with
# busy_poll as well) and SIGTERM leave the NAPI thread as it was.
test_daemon_napi_yield() {
	[ "$(nproc)" -ge 2 ] || fail "this test needs 2 CPUs (the NAPI thread on one, then apart)"
	lab_up -p
	local napi
	napi=$(napi_thread)
	taskset -pc 1 "$napi" >/dev/null
	renice -n 5 -p "$napi" >/dev/null
	napi_conf d 1 yes
	start_daemon d
	expect "poller policy" "$(poller_policy)" "SCHED_FIFO 1"
	expect "NAPI thread nice while the daemon runs" "$(nice_of "$napi")" 5
	expect_match "yielding logged" "$(cat "$T_DIR/d.log")" \
		"interface '$IF_A' queue 0: this thread \\(tid [0-9]+\\) now runs SCHED_FIFO 1: it preempts the NAPI thread \\(pid $napi\\)"
	expect "echo with the poller yielding (ok bad lost)" \
		"$(echo_client "$IP4_A" 4242 300)" "300 0 0"
	ctl stats >"$T_DIR/stats.json"
	expect "napi_thread in stats" \
		"$(jget "$T_DIR/stats.json" '.interfaces[0].queues[0].napi_thread')" "$napi"
	expect "poller CPU" "$(jget "$T_DIR/stats.json" '.interfaces[0].queues[0].cpu')" 1
	expect "reflect tx" "$(jget "$T_DIR/stats.json" '.handlers[0].tx')" 300
	printf '[rule other]\ninterface = %s\nmatch = udp dport 4250\naction = drop\n' "$IF_A" \
		>>"$T_DIR/d.conf"
	expect "reload changing rules" "$(ctl reload | jq -r .ok)" true
	expect "queue kept running" "$(grep -c "settings changed" "$T_DIR/d.log")" 0
	expect "poller policy after it" "$(poller_policy)" "SCHED_FIFO 1"

	napi_conf d 1 no
	expect "reload turning napi_yield off" "$(ctl reload | jq -r .ok)" true
	expect "poller policy with napi_yield = no" "$(poller_policy)" "SCHED_OTHER 0"
	expect "no napi_thread" "$(ctl stats | jq '.interfaces[0].queues[0].napi_thread')" null
	napi_conf d 1 yes
	expect "reload turning napi_yield on" "$(ctl reload | jq -r .ok)" true
	expect "poller policy with napi_yield = yes" "$(poller_policy)" "SCHED_FIFO 1"
	napi_conf d 0 yes
	expect "reload moving the poller" "$(ctl reload | jq -r .ok)" true
	expect "poller policy on CPU 0" "$(poller_policy)" "SCHED_OTHER 0"
	expect_match "apart logged" "$(cat "$T_DIR/d.log")" \
		"NAPI thread pid $napi runs on other CPUs than this thread"
	expect "echo after the moves (ok bad lost)" "$(echo_client "$IP4_A" 4242 50)" "50 0 0"
	napi_conf d 1 yes
	expect "reload moving it back" "$(ctl reload | jq -r .ok)" true
	expect "poller policy back on CPU 1" "$(poller_policy)" "SCHED_FIFO 1"
	{ daemon_section; printf '[interface %s]\n' "$IF_A2"; } | dconf d
	expect "reload removing the interface" "$(ctl reload | jq -r .ok)" true
	expect "interfaces left" "$(ctl stats | jq -c '[.interfaces[].name]')" "[\"$IF_A2\"]"
	# Back, with busy polling: the poller still sleeps in poll() when idle, so the two go
	# together.
	napi_conf d 1 yes
	sed -i 's/^napi_yield = yes$/napi_yield = yes\nbusy_poll = 50/' "$T_DIR/d.conf"
	expect "reload adding it again" "$(ctl reload | jq -r .ok)" true
	expect "poller policy with it back" "$(poller_policy)" "SCHED_FIFO 1"
	expect "echo with busy polling too (ok bad lost)" "$(echo_client "$IP4_A" 4242 50)" \
		"50 0 0"
	stop_daemon d
	expect "NAPI thread untouched after SIGTERM" "$(nice_of "$napi") $(policy_of "$napi")" \
		"5 SCHED_OTHER 0"
	no_xdp "$NS_A" "$IF_A2"
}

# napi_yield errors: a bad value is one config line. A NAPI thread under SCHED_FIFO fails
# the start (the reason in one line, nothing left behind) and a reload that turns
# napi_yield on, while the previous configuration keeps running; put back to SCHED_OTHER
# as the message says, the same reload works.
test_daemon_napi_yield_errors() {
	[ "$(nproc)" -ge 2 ] || fail "this test needs 2 CPUs (the NAPI thread on CPU 1)"
	lab_up
	local napi out
	napi_conf bad 1 maybe
	out=$("$XFD" -n -c "$T_DIR/bad.conf" 2>&1) && fail "-n accepted napi_yield = maybe"
	expect "one line" "$(echo "$out" | wc -l)" 1
	expect_match "bad value" "$out" "bad.conf:8: napi_yield: 'maybe' is not yes or no"

	napi=$(napi_thread)
	taskset -pc 1 "$napi" >/dev/null
	renice -n 5 -p "$napi" >/dev/null
	chrt -f -p 10 "$napi"
	napi_conf d 1 yes
	out=$(in_a "$XFD" -c "$T_DIR/d.conf" 2>&1) && fail "started with a SCHED_FIFO NAPI thread"
	expect "error lines" "$(grep -c 'error:' <<<"$out")" 2
	expect_match "start refused" "$(grep -m1 'error:' <<<"$out")" \
		"error: \[interface $IF_A\] queue 0: napi_yield: NAPI thread pid $napi runs under SCHED_FIFO; NAPI yielding works with a SCHED_OTHER NAPI thread: put it back \(chrt -o -p 0 $napi\) or turn yielding off$"
	no_xdp "$NS_A" "$IF_A"
	[ ! -e "$T_DIR/ctl.sock" ] || fail "control socket left after a failed start"

	napi_conf d 1 no
	start_daemon d
	napi_conf d 1 yes
	ctl reload >"$T_DIR/r.json" && fail "a reload with a SCHED_FIFO NAPI thread succeeded"
	expect "one error" "$(jget "$T_DIR/r.json" '.errors | length')" 1
	expect_match "reload error" "$(jget "$T_DIR/r.json" '.errors[0]')" \
		"^\[interface $IF_A\] queue 0: napi_yield: NAPI thread pid $napi runs under SCHED_FIFO"
	expect "echo after the failed reload (ok bad lost)" "$(echo_client "$IP4_A" 4242 20)" \
		"20 0 0"
	expect "poller policy after the failed reload" "$(poller_policy)" "SCHED_OTHER 0"
	chrt -o -p 0 "$napi"
	expect "the same reload" "$(ctl reload | jq -r .ok)" true
	expect "poller policy after it" "$(poller_policy)" "SCHED_FIFO 1"
	expect "reloads, failures" "$(ctl status | jq -c '[.reloads, .reload_failures]')" "[1,1]"
	stop_daemon d
	expect "NAPI thread nice after SIGTERM" "$(nice_of "$napi")" 5
}

# napi_yield after the privilege drop: CAP_SYS_NICE is kept (and only with napi_yield: see
# test_daemon_user_drops_privileges) and the poller becomes SCHED_FIFO as the user. Started
# without napi_yield, the daemon has given CAP_SYS_NICE up and refuses a reload that turns
# it on, in one line saying to restart.
test_daemon_napi_yield_user() {
	[ "$(nproc)" -ge 2 ] || fail "this test needs 2 CPUs (the NAPI thread on CPU 1)"
	lab_up
	local user="xfd$LAB_ID" napi t out
	useradd --system --no-create-home --shell /usr/sbin/nologin "$user" ||
		fail "cannot create a user"
	# shellcheck disable=SC2064
	trap "scripts/lab.sh down $LAB_ID; userdel $user 2>/dev/null; rm -rf $T_DIR" EXIT
	mkdir "$T_DIR/run"
	chown "$user" "$T_DIR/run"
	chmod 711 "$T_DIR"
	napi=$(napi_thread)
	taskset -pc 1 "$napi" >/dev/null
	renice -n 5 -p "$napi" >/dev/null
	{ printf '[daemon]\ncontrol_socket = %s\nstats_interval = 0\nuser = %s\n' \
		"$T_DIR/run/ctl.sock" "$user"
	  printf '[interface %s]\ncpus = 1\nnapi_yield = yes\n' "$IF_A"; } | dconf d
	chgrp "$user" "$T_DIR/d.conf"
	chmod 640 "$T_DIR/d.conf"
	start_daemon d
	expect_match "kept, and why" "$(cat "$T_DIR/d.log")" \
		"interface '$IF_A': napi_yield makes its pollers .* SCHED_FIFO, which needs CAP_SYS_NICE: keeping it"
	for t in /proc/"$DPID"/task/*; do
		expect "CapEff of $(cat "$t/comm")" "$(awk '/^CapEff:/ {print $2}' "$t/status")" \
			"$(cap_hex 12 13 14 23 38 39)"
	done
	expect "poller policy as the user" "$(poller_policy)" "SCHED_FIFO 1"
	stop_daemon d

	sed -i 's/^napi_yield = yes$/napi_yield = no/' "$T_DIR/d.conf"
	start_daemon d
	expect "CapEff without napi_yield" "$(awk '/^CapEff:/ {print $2}' /proc/"$DPID"/status)" \
		"$(cap_hex 12 13 14 38 39)"
	sed -i 's/^napi_yield = no$/napi_yield = yes/' "$T_DIR/d.conf"
	out=$("$XF" ctl -s "$T_DIR/run/ctl.sock" reload)
	expect "reload refused" "$(echo "$out" | jq -r .ok)" false
	expect "one error" "$(echo "$out" | jq '.errors | length')" 1
	expect_match "why and what to do" "$(echo "$out" | jq -r '.errors[0]')" \
		"d.conf:7: napi_yield: \[interface $IF_A\] turns it on, but xskflowd gave up CAP_SYS_NICE when it switched to user '$user' .*; restart the daemon to apply$"
	expect "NAPI thread nice untouched" "$(nice_of "$napi")" 5
	stop_daemon d
}
