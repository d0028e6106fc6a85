# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# End-to-end smoke test of 'xskflow bench': every mode runs about a second on a veth lab and
# its JSON summary has the documented fields and nonzero packets. Speed is never checked.

# bench_bg NAME SIDE ARGS...: 'xskflow bench ARGS' in namespace SIDE in the background, output
# in $T_DIR/NAME.json and NAME.err; waits for the ready line. Sets BENCH_PID.
bench_bg() {
	local name=$1 side=$2
	shift 2
	(exec scripts/lab.sh exec "$LAB_ID" "$side" "$XF" bench "$@" --interval 0 --json) \
		>"$T_DIR/$name.json" 2>"$T_DIR/$name.err" &
	BENCH_PID=$!
	wait_for "$T_DIR/$name.err" "ready on" 15
}

# bench_fields FILE MODE: the documented summary fields are there, packets > 0.
bench_fields() {
	local f=$1
	expect "$2 mode" "$(jget "$f" .mode)" "$2"
	jq -e 'has("packets") and has("bytes") and has("seconds") and has("pps") and has("bps")
		and has("loss") and has("dropped") and has("attach_mode") and has("bind_mode")
		and has("xdp_stats") and has("frames_home")
		and (.cpu | has("user_s") and has("sys_s") and has("napi_s")
			and has("ns_per_packet") and has("ns_per_packet_with_napi"))' "$f" \
		>/dev/null || fail "$2: summary lacks a documented field: $(cat "$f")"
	expect "$2 packets > 0" "$(jq '.packets > 0 and .pps > 0' "$f")" true
	expect "$2 frames home" "$(jget "$f" .frames_home)" true
	expect "$2 bind mode" "$(jget "$f" .bind_mode)" copy
}

# send_for SECONDS: test frames from b to a's port 4242 at a modest rate.
send_for() {
	in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" \
		--dst-port 4242 -n $((20000 * $1)) --rate 20000 -s 64-512 >/dev/null ||
		fail "xskflow send failed"
}

test_bench_modes_smoke() {
	lab_up

	bench_bg rx a rxdrop -i "$IF_A" -t 30 --idle-exit 0.5
	send_for 1
	wait "$BENCH_PID" || fail "bench rxdrop failed: $(cat "$T_DIR/rx.err")"
	bench_fields "$T_DIR/rx.json" rxdrop
	expect "rxdrop attach mode" "$(jget "$T_DIR/rx.json" .attach_mode)" native
	expect "rxdrop got every packet" "$(jget "$T_DIR/rx.json" .packets)" 20000
	expect "rxdrop rings as the kernel has them" "$(jq -c .rings "$T_DIR/rx.json")" \
		'{"rx":8192,"tx":0,"fill":8192,"comp":2048,"frames":16384,"frame_size":2048}'
	no_xdp "$NS_A" "$IF_A"

	in_a "$XF" bench txonly -i "$IF_A" -t 1 -s 128 --interval 0 --json >"$T_DIR/tx.json" \
		2>"$T_DIR/tx.err" || fail "bench txonly failed: $(cat "$T_DIR/tx.err")"
	bench_fields "$T_DIR/tx.json" txonly
	expect "txonly attach mode" "$(jget "$T_DIR/tx.json" .attach_mode)" none
	expect "txonly rings" "$(jq -c .rings "$T_DIR/tx.json")" \
		'{"rx":0,"tx":2048,"fill":2048,"comp":2048,"frames":4096,"frame_size":4096}'

	bench_bg fwd a l2fwd -i "$IF_A" -t 30 --idle-exit 0.5
	send_for 1
	wait "$BENCH_PID" || fail "bench l2fwd failed: $(cat "$T_DIR/fwd.err")"
	bench_fields "$T_DIR/fwd.json" l2fwd
	expect "l2fwd sent back what it got" \
		"$(jq '.tx_packets == .rx_packets and .rx_packets == 20000' "$T_DIR/fwd.json")" true
	no_xdp "$NS_A" "$IF_A"

	# Ping-pong: an l2fwd reflector in b sends every frame back to a.
	bench_bg refl b l2fwd -i "$IF_B" -t 30
	in_a "$XF" bench latency -i "$IF_A" -t 1 --dst-mac "$MAC_B" --src-ip "$IP4_A" \
		--dst-ip "$IP4_B" --hist "$T_DIR/cdf" --interval 0 --json >"$T_DIR/lat.json" \
		2>"$T_DIR/lat.err" || fail "bench latency failed: $(cat "$T_DIR/lat.err")"
	kill -INT "$BENCH_PID"
	wait "$BENCH_PID" || fail "the reflector failed: $(cat "$T_DIR/refl.err")"
	bench_fields "$T_DIR/lat.json" latency
	jq -e '.latency | has("p50_us") and has("p99_us") and has("p999_us") and .samples > 0
		and .p50_us > 0 and .p50_us <= .p99_us and .p99_us <= .p999_us' "$T_DIR/lat.json" \
		>/dev/null || fail "latency summary: $(jq -c .latency "$T_DIR/lat.json")"
	expect "latency CDF lines" "$(grep -vc '^#' "$T_DIR/cdf")" 1001
	no_xdp "$NS_A" "$IF_A"
	no_xdp "$NS_B" "$IF_B"
}

# The kernel UDP baseline of 'bench latency' (tests/bench/udp_rtt.c, run by make bench):
# every ping comes back (a 10 s timeout on a lossless veth), and it reports and writes its
# CDF with the same sample code as 'xskflow bench latency'.
test_bench_udp_rtt_baseline() {
	local rtt=$PWD/$BUILD/bench/udp_rtt
	lab_up
	(exec scripts/lab.sh exec "$LAB_ID" b "$rtt" server -p 4243) 2>"$T_DIR/srv.err" &
	local spid=$!
	wait_for "$T_DIR/srv.err" "server ready" 15
	in_a "$rtt" client -a "$IP4_B" -p 4243 -s 128 -n 300 -t 600 --timeout-ms 10000 \
		--hist "$T_DIR/cdf" --json >"$T_DIR/rtt.json" || fail "udp_rtt client failed"
	kill -INT "$spid"
	wait "$spid" || fail "udp_rtt server failed: $(cat "$T_DIR/srv.err")"
	expect "pings, samples, lost" \
		"$(jq -c '[.packets, .latency.samples, .latency.lost]' "$T_DIR/rtt.json")" "[300,300,0]"
	jq -e '.latency | .min_us > 0 and .min_us <= .p50_us and .p50_us <= .p90_us
		and .p90_us <= .p99_us and .p99_us <= .p999_us and .p999_us <= .max_us
		and .mean_us >= .min_us and .mean_us <= .max_us' "$T_DIR/rtt.json" >/dev/null ||
		fail "latency summary out of order: $(jq -c .latency "$T_DIR/rtt.json")"
	expect "CDF header" "$(head -n 1 "$T_DIR/cdf")" "# rtt_us fraction (300 samples)"
	expect "CDF lines" "$(grep -vc '^#' "$T_DIR/cdf")" 1001
	expect "CDF ends at the max" "$(tail -n 1 "$T_DIR/cdf" | cut -d' ' -f1)" \
		"$(printf '%.3f' "$(jq .latency.max_us "$T_DIR/rtt.json")")"
	local out
	out=$(in_a "$rtt" client -a "$IP4_B" --hist "$T_DIR/no/such/dir" -n 1 -t 0 2>&1) &&
		fail "an unwritable --hist succeeded"
	expect_match "unwritable --hist" "$out" "udp_rtt: --hist: No such file or directory"
}

test_bench_bad_input() {
	lab_up
	local out
	out=$(in_a "$XF" bench turbo -i "$IF_A" 2>&1) && fail "unknown mode accepted"
	expect_match "unknown mode" "$out" "'turbo' is not one of rxdrop, txonly, l2fwd, latency"
	out=$(in_a "$XF" bench rxdrop -i "$IF_A" -b 0 2>&1) && fail "batch 0 accepted"
	expect_match "bad batch" "$out" "--batch: '0'"
	out=$(in_a "$XF" bench txonly -i "$IF_A" -r "udp" 2>&1) && fail "txonly with rules accepted"
	expect_match "txonly rules" "$out" "txonly does not receive"
	out=$(in_a "$XF" bench rxdrop 2>&1) && fail "missing -i accepted"
	expect_match "missing -i" "$out" "-i IFACE is required"
	no_xdp "$NS_A" "$IF_A"
}

# napi_thread: the pid of a's NAPI kernel thread (threaded NAPI on, GRO on so veth has one).
napi_thread() {
	in_a ethtool -K "$IF_A" gro on >/dev/null
	in_a sh -c "echo 1 >/sys/class/net/$IF_A/threaded"
	local i pid
	for ((i = 0; i < 50; i++)); do
		pid=$(pgrep -x "napi/$IF_A-[0-9]*" | head -n 1)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || fail "no NAPI thread for $IF_A after 'threaded' was set"
	echo "$pid"
}

nice_of() { ps -o ni= -p "$1" | tr -d ' '; }

# policy_of PID: "SCHED_X PRIO" of a thread.
policy_of() { chrt -p "$1" | awk -F': ' 'NR == 1 {p = $2} NR == 2 {print p, $2}'; }

# --napi-yield: with the NAPI thread on its CPU the poller runs SCHED_FIFO 1 while the bench
# runs (the NAPI thread keeps its own priority) and every packet arrives; nothing to do on
# another CPU, for a poller that is real-time already, or without threaded NAPI; refused
# for a SCHED_FIFO NAPI thread, without CAP_SYS_NICE, and with a spinning poller.
test_bench_napi_yield() {
	[ "$(nproc)" -ge 2 ] || fail "this test needs 2 CPUs (the NAPI thread on one, then apart)"
	lab_up
	local napi out pid
	napi=$(napi_thread)
	taskset -pc 1 "$napi" >/dev/null
	renice -n 5 -p "$napi" >/dev/null

	bench_bg y a rxdrop -i "$IF_A" --cpu 1 --napi-yield -t 30 --idle-exit 0.5 -v
	pid=$(pgrep -f "xskflow bench rxdrop -i $IF_A --cpu 1 --napi-yield" | head -n 1)
	expect "poller policy while the bench runs" "$(policy_of "$pid")" "SCHED_FIFO 1"
	expect "NAPI thread keeps its nice" "$(nice_of "$napi")" 5
	expect "NAPI thread keeps its policy" "$(policy_of "$napi")" "SCHED_OTHER 0"
	expect_match "says what it did" "$(cat "$T_DIR/y.err")" \
		"now runs SCHED_FIFO 1: it preempts the NAPI thread \\(pid $napi\\)"
	send_for 1
	wait "$BENCH_PID" || fail "bench rxdrop --napi-yield failed: $(cat "$T_DIR/y.err")"
	expect "every packet with the poller yielding" "$(jget "$T_DIR/y.json" .packets)" 20000
	expect "napi_yield in the summary" "$(jget "$T_DIR/y.json" .napi_yield)" "$napi"
	expect "frames home" "$(jget "$T_DIR/y.json" .frames_home)" true

	# Real-time already: it preempts NAPI as it is.
	out=$(chrt -f 7 scripts/lab.sh exec "$LAB_ID" a "$XF" bench rxdrop -i "$IF_A" --cpu 1 \
		--napi-yield -t 0.3 -v --interval 0 --json 2>&1 >"$T_DIR/rt.json") ||
		fail "bench under SCHED_FIFO failed: $out"
	expect_match "real-time already" "$out" "runs SCHED_FIFO already: it preempts the NAPI thread"
	expect "napi_yield when real-time" "$(jget "$T_DIR/rt.json" .napi_yield)" "$napi"

	# On another CPU: nothing to yield.
	taskset -pc 0 "$napi" >/dev/null
	in_a "$XF" bench rxdrop -i "$IF_A" --cpu 1 --napi-yield -t 0.3 -v --interval 0 --json \
		>"$T_DIR/apart.json" 2>"$T_DIR/apart.err" || fail "bench failed: $(cat "$T_DIR/apart.err")"
	expect "napi_yield when apart" "$(jget "$T_DIR/apart.json" .napi_yield)" null
	expect_match "apart" "$(cat "$T_DIR/apart.err")" "NAPI thread pid $napi runs on other CPUs"

	# A real-time NAPI thread is not ours to reorder.
	taskset -pc 1 "$napi" >/dev/null
	chrt -f -p 10 "$napi"
	out=$(in_a "$XF" bench rxdrop -i "$IF_A" --cpu 1 --napi-yield -t 0.3 2>&1) &&
		fail "--napi-yield with a SCHED_FIFO NAPI thread succeeded"
	chrt -o -p 0 "$napi"
	expect "one line" "$(wc -l <<<"$out")" 1
	expect_match "SCHED_FIFO refused" "$out" \
		"NAPI thread pid $napi runs under SCHED_FIFO; NAPI yielding works with a SCHED_OTHER NAPI thread"
	no_xdp "$NS_A" "$IF_A"

	# Without CAP_SYS_NICE the poller cannot become real-time.
	out=$(setpriv --bounding-set -sys_nice --inh-caps -sys_nice \
		scripts/lab.sh exec "$LAB_ID" a "$XF" bench rxdrop -i "$IF_A" --cpu 1 --napi-yield \
		-t 0.3 2>&1) && fail "--napi-yield without CAP_SYS_NICE succeeded"
	expect "one line" "$(wc -l <<<"$out")" 1
	expect_match "CAP_SYS_NICE" "$out" "cannot make this thread SCHED_FIFO .*needs CAP_SYS_NICE"
	no_xdp "$NS_A" "$IF_A"

	out=$(in_a "$XF" bench l2fwd -i "$IF_A" --napi-yield --wait spin 2>&1) &&
		fail "--napi-yield with --wait spin accepted"
	expect_match "spin refused" "$out" "--napi-yield needs --wait poll"

	# Threaded NAPI off: NAPI runs in softirq context, there is no thread to yield to.
	in_a sh -c "echo 0 >/sys/class/net/$IF_A/threaded"
	in_a "$XF" bench rxdrop -i "$IF_A" --cpu 1 --napi-yield -t 0.3 -v --interval 0 --json \
		>"$T_DIR/soft.json" 2>"$T_DIR/soft.err" || fail "bench failed: $(cat "$T_DIR/soft.err")"
	expect "napi_yield without threaded NAPI" "$(jget "$T_DIR/soft.json" .napi_yield)" null
	expect_match "softirq" "$(cat "$T_DIR/soft.err")" "NAPI runs in softirq context"
	no_xdp "$NS_A" "$IF_A"
}

# veth does not link its queues to NAPI instances: with two there is no telling which thread
# serves queue 1, and --napi-yield says so instead of yielding to the wrong one.
test_bench_napi_yield_ambiguous() {
	lab_up -q 2
	local out
	napi_thread >/dev/null
	out=$(in_a "$XF" bench rxdrop -i "$IF_A" -q 1 --cpu 1 --napi-yield -t 0.3 2>&1) &&
		fail "--napi-yield with an unknown NAPI thread succeeded"
	expect "one line" "$(wc -l <<<"$out")" 1
	expect_match "ambiguous NAPI" "$out" \
		"interface '$IF_A' queue 1: the driver does not say which of its NAPI threads serves this queue"
	no_xdp "$NS_A" "$IF_A"
}

# rx_of NS IFACE packets|bytes
rx_of() { ip -n "$1" -s -j link show "$2" | jq ".[0].stats64.rx.$3"; }

# --multi-buffer at MTU 9000: 9014-byte packets as chains, counted as packets, byte-exact
# totals in every mode (rxdrop counts them, txonly's reach the far end whole, l2fwd sends
# them back whole).
test_bench_multi_buffer_jumbo() {
	lab_up
	ip -n "$NS_A" link set dev "$IF_A" mtu 9000 || fail "cannot set MTU 9000 on $IF_A"
	ip -n "$NS_B" link set dev "$IF_B" mtu 9000 || fail "cannot set MTU 9000 on $IF_B"
	# The far end's byte counters must see only our packets: no IPv6 chatter and no ARP
	# from a (b's kernel answers the UDP it gets with ICMP, which would want a reply).
	in_a sysctl -qw "net.ipv6.conf.$IF_A.disable_ipv6=1"
	ip -n "$NS_A" link set dev "$IF_A" arp off
	local jumbo=(--dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" --dst-port 4242
		-s 9014 --multi-buffer --rate 5000)
	local p0 b0 out

	bench_bg mrx a rxdrop -i "$IF_A" --multi-buffer -t 30 --idle-exit 0.5
	in_b "$XF" send -i "$IF_B" "${jumbo[@]}" -n 2000 >/dev/null || fail "jumbo send failed"
	wait "$BENCH_PID" || fail "bench rxdrop --multi-buffer failed: $(cat "$T_DIR/mrx.err")"
	expect "rxdrop jumbo packets, bytes, multi_buffer" \
		"$(jq -c '[.packets, .bytes, .multi_buffer, .frames_home]' "$T_DIR/mrx.json")" \
		"[2000,18028000,true,true]"

	p0=$(rx_of "$NS_B" "$IF_B" packets)
	b0=$(rx_of "$NS_B" "$IF_B" bytes)
	in_a "$XF" bench txonly -i "$IF_A" --multi-buffer -s 9014 --dst-mac "$MAC_B" -n 1500 \
		--interval 0 --json >"$T_DIR/mtx.json" 2>"$T_DIR/mtx.err" ||
		fail "bench txonly --multi-buffer failed: $(cat "$T_DIR/mtx.err")"
	expect "txonly jumbo completed" "$(jq -c '[.packets, .tx_packets]' "$T_DIR/mtx.json")" \
		"[1500,1500]"
	expect "the far end got them whole" \
		"$(($(rx_of "$NS_B" "$IF_B" packets) - p0)) $(($(rx_of "$NS_B" "$IF_B" bytes) - b0))" \
		"1500 13521000"

	p0=$(rx_of "$NS_B" "$IF_B" packets)
	b0=$(rx_of "$NS_B" "$IF_B" bytes)
	bench_bg mfwd a l2fwd -i "$IF_A" --multi-buffer -t 30 --idle-exit 0.5
	in_b "$XF" send -i "$IF_B" "${jumbo[@]}" -n 1000 >/dev/null || fail "jumbo send failed"
	wait "$BENCH_PID" || fail "bench l2fwd --multi-buffer failed: $(cat "$T_DIR/mfwd.err")"
	expect "l2fwd jumbo rx/tx packets" \
		"$(jq -c '[.rx_packets, .tx_packets, .frames_home]' "$T_DIR/mfwd.json")" "[1000,1000,true]"
	expect "sent back whole" \
		"$(($(rx_of "$NS_B" "$IF_B" packets) - p0)) $(($(rx_of "$NS_B" "$IF_B" bytes) - b0))" \
		"1000 9014000"

	out=$(in_a "$XF" bench rxdrop -i "$IF_A" -s 9014 2>&1) && fail "9014 bytes without --multi-buffer"
	expect_match "needs multi-buffer" "$out" "larger packets need --multi-buffer"
	out=$(in_a "$XF" bench rxdrop -i "$IF_A" --multi-buffer -b 8 2>&1) && fail "batch 8 accepted"
	expect_match "batch below a chain" "$out" "--batch: 8 is below 18"
	no_xdp "$NS_A" "$IF_A"
}
