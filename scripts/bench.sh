#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make bench`: run the benchmark sections, one function each, and collect their results
# under bench-results/RUN/ (one JSON per section, merged into results.json). QUICK=1: short runs.
#
# usage: scripts/bench.sh [SECTION...]     (default: every section in SECTIONS)
# env:   BUILD (build dir), QUICK (1: short runs), BENCH_OUT (default bench-results),
#        BENCH_NICE (default -20), BENCH_RT_PRIO (latency section, default 50; 0: off),
#        BENCH_UPDATE (0: leave ./BENCH.md alone; the report section rewrites its block)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
OUT=${BENCH_OUT:-bench-results}
RUN_ID=$(date +%Y%m%d-%H%M%S)
RUN_DIR=$OUT/$RUN_ID

is_quick() {
	case "${QUICK:-}" in
	"" | 0 | no | false) return 1 ;;
	*) return 0 ;;
	esac
}

# A section returns 0 (done), 77 (skipped: print why first) or anything else (failed).
# It writes its files as $RUN_DIR/NAME.* and its JSON as $RUN_DIR/NAME.json.
SKIP=77

skip() {
	echo "bench: skipped: $*"
	return $SKIP
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "$1 needs root (BPF, namespaces, AF_XDP)"
}

# ---- sections --------------------------------------------------------------------------

# Steering cost vs number of rules, under BPF_PROG_RUN (issue 3): no lab, no traffic.
section_steer_cost() {
	local bin=$BUILD/bench/steer_cost
	local args=(--json "$RUN_DIR/steer_cost.json")

	[ -x "$bin" ] || skip "steer_cost: $bin is not built" || return
	need_root steer_cost || return
	is_quick && args+=(--quick)
	"$bin" "${args[@]}" | tee "$RUN_DIR/steer_cost.txt"
	jq -e .target "$RUN_DIR/steer_cost.json" >/dev/null
}

# ---- the AF_XDP rig (../shared/LAB.md) ---------------------------------------------------
#
# Two namespaces joined by one veth pair (scripts/lab.sh): trafgen in b on GEN_CPU sends to
# the device under test in a on DUT_CPU. GRO on, TSO/GSO off and threaded NAPI on both ends;
# a's NAPI thread is pinned to the DUT's CPU (application and driver share one core), b's to
# the generator's. b runs an XDP_DROP sink for what the DUT sends, counted by 'ip -s link'.
# Every run of xskflow is followed or preceded by the same run of DPDK testpmd (AF_XDP PMD).

GEN_CPU=0
DUT_CPU=1
# The machine may be shared with other work: the generator, every tool under test and the
# NAPI threads run at this nice level (the same for all tools; BENCH_NICE=0: off).
NICE=${BENCH_NICE:--20}
# The latency section sleeps between packets instead of spinning, so its processes and the
# NAPI threads can run SCHED_FIFO at this priority, shielded from other work (0: off).
RT_PRIO=${BENCH_RT_PRIO:-50}
XF=$BUILD/xskflow
BB=$BUILD/bench
BENCH_PKGS=(dpdk dpdk-dev librte-net-af-xdp23 netsniff-ng gnuplot-nox)

if is_quick; then
	REPS=2		# repetitions per tool at 64 bytes
	SWEEP_REPS=1	# the first SWEEP_REPS of them sweep every size
	SIZES=(64 1500 9000)
	RUN_S=1		# seconds of traffic per point
	LAT_S=1.5
else
	REPS=5
	SWEEP_REPS=2
	SIZES=(64 128 256 512 1024 1500 9000)
	RUN_S=2
	LAT_S=3
fi

# The packages the rig needs; installed here so that 'make check' never depends on them.
bench_deps() {
	local missing=() p

	for p in "${BENCH_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "bench: installing ${missing[*]}"
	{ DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null; } ||
		echo "bench: warning: could not install ${missing[*]}" >&2
}

# need_rig NAME: the checks every lab section starts with.
need_rig() {
	need_root "$1" || return
	[ -x "$XF" ] && [ -x "$BB/xdp_sink" ] || skip "$1: $XF or $BB/xdp_sink is not built" ||
		return
	[ "$(nproc)" -ge 2 ] || skip "$1: the rig needs 2 CPUs" || return
	bench_deps
	command -v trafgen >/dev/null || skip "$1: trafgen (netsniff-ng) is not installed" || return
	TMP=$(mktemp -d /tmp/xskflow-bench.XXXXXX)
}

have_testpmd() {
	command -v dpdk-testpmd >/dev/null &&
		ls /usr/lib/*/dpdk/pmds-*/librte_net_af_xdp.so* >/dev/null 2>&1
}

rig_down() {
	local p

	for p in ${DUT_PID:-} ${TP_PID:-} ${AFP_PID:-} ${REF_PID:-} ${SRV_PID:-}; do
		kill -9 "$p" 2>/dev/null || true
	done
	[ -n "${LAB_ID:-}" ] && scripts/lab.sh down "$LAB_ID" >/dev/null 2>&1
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	return 0
}

rig_up() {
	local vars side ns ifc

	vars=$(scripts/lab.sh up) || return 1
	eval "$vars"
	trap rig_down EXIT
	for side in a b; do
		if [ $side = a ]; then ns=$NS_A ifc=$IF_A; else ns=$NS_B ifc=$IF_B; fi
		ip netns exec "$ns" ethtool -K "$ifc" gro on tso off gso off >/dev/null 2>&1 ||
			ip netns exec "$ns" ethtool -K "$ifc" gro on
		ip netns exec "$ns" sh -c "echo 1 >/sys/class/net/$ifc/threaded"
	done
	rig_pin
	mkdir -p "$TMP/gen"
}

# napi_threads: "PID NAME" of every NAPI kernel thread (named napi/IFACE-ID).
napi_threads() {
	local f comm pid

	for f in /proc/[0-9]*/comm; do
		{ read -r comm <"$f"; } 2>/dev/null || continue
		pid=${f#/proc/}
		case $comm in napi/*) echo "${pid%/comm} $comm" ;; esac
	done
}

# Pin the NAPI threads: a's with the DUT, b's with the generator. Done again after every
# XDP attach, as LAB.md says.
rig_pin() {
	local comm pid

	while read -r pid comm; do
		case $comm in
		"napi/$IF_A-"*) taskset -pc "$DUT_CPU" "$pid" >/dev/null ;;
		"napi/$IF_B-"*) taskset -pc "$GEN_CPU" "$pid" >/dev/null ;;
		*) continue ;;
		esac
		renice -n "$NICE" -p "$pid" >/dev/null
		if [ "${RIG_RT:-0}" = 1 ] && [ "$RT_PRIO" != 0 ]; then
			chrt -f -p "$RT_PRIO" "$pid"
		elif chrt -p "$pid" | grep -q SCHED_FIFO; then
			chrt -o -p 0 "$pid"
		fi
	done < <(napi_threads)
}

sink_on() { ip netns exec "$NS_B" "$BB/xdp_sink" attach "$IF_B"; }

# pkts NS IFACE rx|tx: the interface's packet counter.
pkts() { ip -n "$1" -s -j link show "$2" | jq ".[0].stats64.$3.packets"; }

# tx_handed NS IFACE: what the interface transmitted plus what veth dropped on transmit
# (the peer's queue full): everything a sender on it got out.
tx_handed() { ip -n "$1" -s -j link show "$2" | jq '.[0].stats64.tx | .packets + .dropped'; }

now() { date +%s.%N; }

# wait_file FILE PATTERN SECONDS
wait_file() {
	local i

	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: timed out waiting for '$2' in $1: $(tail -n 3 "$1" 2>/dev/null)" >&2
	return 1
}

# gen_cfg SIZE: a trafgen config for SIZE-byte IPv4/UDP frames (without FCS) from b to a's
# port 4242, which both xskflow's default rule and testpmd's redirect-all program take.
gen_cfg() {
	local f=$TMP/gen/$1.cfg

	[ -f "$f" ] || cat >"$f" <<EOC
{
  eth(da=$MAC_A, sa=$MAC_B, type=0x0800),
  ipv4(saddr=$IP4_B, daddr=$IP4_A, proto=17, ttl=64, df),
  udp(sport=10000, dport=4242),
  fill(0x00, $(($1 - 42)))
}
EOC
	echo "$f"
}

# gen_run SIZE SECONDS: trafgen at full speed on the generator CPU. Sets GEN_SENT and GEN_S
# (the time trafgen itself reports having run). Its TX ring is LAB.md's 256 KiB up to 512-byte
# frames and 128 KiB above: trafgen gives up on EAGAIN, which a slow receiver causes once the
# frames in flight outgrow the socket's send buffer (trafgen runs with --no-sock-mem).
gen_run() {
	local out ring=256KiB

	if [ "$1" -gt "$MAX_SINGLE" ]; then
		gen_jumbo "$@"
		return
	fi

	[ "$1" -le 512 ] || ring=128KiB
	out=$(timeout -s INT "$2" nice -n "$NICE" ip netns exec "$NS_B" taskset -c "$GEN_CPU" \
		trafgen --no-sock-mem -Q -P 1 -S "$ring" -i "$(gen_cfg "$1")" -o "$IF_B" 2>&1 |
		tr -d '\r') || true
	GEN_SENT=$(awk '/packets outgoing/ {print $1; exit}' <<<"$out")
	GEN_S=$(awk '/usec on CPU/ {printf "%.6f", $1 + $3 / 1e6; exit}' <<<"$out")
	if [ -z "$GEN_SENT" ] || [ -z "$GEN_S" ]; then
		echo "bench: trafgen failed: $out" >&2
		return 1
	fi
}

# Frames above MAX_SINGLE bytes are the jumbo point: MTU 9000 on both ends, xskflow with
# --multi-buffer (frames of 4096 bytes), no testpmd (the AF_XDP PMD of DPDK 22.11 has no
# multi-buffer: its program cannot attach at that MTU, "veth: Peer MTU is too large to set
# XDP"). trafgen sends ~800 frames/s of 9000 bytes (it is not made for them), so the
# generator there is 'xskflow bench txonly --multi-buffer' in b, on the generator CPU.
MAX_SINGLE=1500

# lab_mtu SIZE: the MTU both ends need for SIZE-byte frames.
lab_mtu() {
	local mtu=1500

	[ "$1" -le "$MAX_SINGLE" ] || mtu=9000
	ip -n "$NS_A" link set dev "$IF_A" mtu "$mtu"
	ip -n "$NS_B" link set dev "$IF_B" mtu "$mtu"
}

# jumbo_args SIZE: what xskflow needs for SIZE-byte frames.
jumbo_args() {
	[ "$1" -le "$MAX_SINGLE" ] || echo "--multi-buffer --frame-size 4096"
}

gen_jumbo() {
	local out=$TMP/gen/jumbo.json t0

	t0=$(tx_handed "$NS_B" "$IF_B")
	nice -n "$NICE" scripts/lab.sh exec "$LAB_ID" b "$XF" bench txonly -i "$IF_B" \
		--cpu "$GEN_CPU" --multi-buffer -s "$1" --dst-mac "$MAC_A" --src-ip "$IP4_B" \
		--dst-ip "$IP4_A" --dst-port 4242 -t "$2" --interval 0 --json >"$out" \
		2>"$TMP/gen/jumbo.err" || {
		echo "bench: the jumbo generator failed: $(cat "$TMP/gen/jumbo.err")" >&2
		return 1
	}
	# What b sent, or tried to (the summary counts completions seen before it stopped,
	# not all of them): TX packets plus what veth dropped, as trafgen counts at the other
	# sizes.
	GEN_SENT=$(($(tx_handed "$NS_B" "$IF_B") - t0))
	GEN_S=$(jq .seconds "$out")
}

# dut_start NAME MODE ARGS...: 'xskflow bench MODE' in a on the DUT CPU, in the background
# until dut_stop; waits for its ready line.
dut_start() {
	local name=$1

	shift
	(exec nice -n "$NICE" scripts/lab.sh exec "$LAB_ID" a "$XF" bench "$@" --cpu "$DUT_CPU" \
		-t 300 --interval 0 --json) >"$TMP/$name.json" 2>"$TMP/$name.err" &
	DUT_PID=$!
	wait_file "$TMP/$name.err" "ready on" 20 || return 1
	rig_pin
}

dut_stop() {
	kill -INT "$DUT_PID" 2>/dev/null || true
	if ! wait "$DUT_PID"; then
		echo "bench: xskflow bench failed: $(cat "$TMP/$1.err")" >&2
		return 1
	fi
	DUT_PID=
}

# testpmd, interactive, fed through a FIFO: one start per (repetition, mode) — it takes
# seconds to come up — then 'start'/'stop' around every point. The command is LAB.md's,
# with -i instead of --stats-period.
tp_start() {
	rm -f "$TMP/tp.fifo"
	mkfifo "$TMP/tp.fifo"
	exec {TP_FD}<>"$TMP/tp.fifo"
	TP_LOG=$TMP/testpmd-$1.log
	(exec nice -n "$NICE" scripts/lab.sh exec "$LAB_ID" a stdbuf -oL dpdk-testpmd -l "$GEN_CPU,$DUT_CPU" \
		--no-huge -m 2048 --no-pci \
		--vdev "net_af_xdp0,iface=$IF_A,start_queue=0,queue_count=1" -- -i \
		--forward-mode="$1" --nb-cores=1 --total-num-mbufs=16384 \
		<&"$TP_FD" >"$TP_LOG" 2>&1) &
	TP_PID=$!
	wait_file "$TP_LOG" 'testpmd> ' 90 || return 1
	rig_pin
}

tp_cmd() { echo "$*" >&"$TP_FD"; }

# tp_stop: stop forwarding; sets TP_RX and TP_TX from the statistics it prints.
tp_stop() {
	local n i out=

	n=$(grep -c 'Accumulated forward statistics' "$TP_LOG" || true)
	tp_cmd stop
	for ((i = 0; i < 100; i++)); do
		out=$(awk -v n="$n" '/Accumulated forward statistics/ {k++; next}
			k > n && /RX-packets/ {rx = $2}
			k > n && /TX-packets/ {print rx, $2; exit}' "$TP_LOG")
		[ -n "$out" ] && break
		sleep 0.1
	done
	[ -n "$out" ] || { echo "bench: testpmd did not stop: $(tail -n 5 "$TP_LOG")" >&2; return 1; }
	read -r TP_RX TP_TX <<<"$out"
}

tp_quit() {
	local i

	tp_cmd quit
	for ((i = 0; i < 150; i++)); do
		kill -0 "$TP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$TP_PID" 2>/dev/null || true
	wait "$TP_PID" 2>/dev/null || true
	TP_PID=
	exec {TP_FD}>&-
}

afp_start() {
	(exec nice -n "$NICE" scripts/lab.sh exec "$LAB_ID" a "$BB/afpacket_rx" -i "$IF_A" --cpu "$DUT_CPU" -t 300 \
		--json) >"$TMP/afp.json" 2>"$TMP/afp.err" &
	AFP_PID=$!
	wait_file "$TMP/afp.err" "ready on" 10 || return 1
	rig_pin
}

afp_stop() {
	kill -INT "$AFP_PID" 2>/dev/null || true
	wait "$AFP_PID" || { echo "bench: afpacket_rx failed: $(cat "$TMP/afp.err")" >&2; return 1; }
	AFP_PID=
}

# The DUT core's receive path without any application: a bare XDP_DROP on a (no socket,
# nothing above XDP). What it takes from the generator is the most any tool can receive
# on this rig; its NAPI thread's run time per packet is the kernel's share of every
# receive mode's cost.
ceil_on() {
	ip netns exec "$NS_A" "$BB/xdp_sink" attach "$IF_A"
	rig_pin
}

ceil_off() { ip netns exec "$NS_A" "$BB/xdp_sink" detach "$IF_A"; }

# napi_ns: nanoseconds a's NAPI threads have run (schedstat).
napi_ns() {
	local pid comm t=0 ns

	while read -r pid comm; do
		case $comm in "napi/$IF_A-"*) ;; *) continue ;; esac
		{ read -r ns _ <"/proc/$pid/schedstat"; } 2>/dev/null && t=$((t + ns))
	done < <(napi_threads)
	echo "$t"
}

# cpu_ticks PID: "user system" clock ticks of process PID (all its threads).
cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }


# record MODE TOOL SIZE REP SENT DELIVERED SECONDS [CPU_NS] [EXTRA_JSON]: one run.
record() {
	jq -cn --arg mode "$1" --arg tool "$2" --argjson size "$3" --argjson rep "$4" \
		--argjson sent "${5:-null}" --argjson delivered "$6" --argjson seconds "$7" \
		--argjson cpu "${8:-null}" --argjson extra "${9:-null}" \
		--argjson load "$(cut -d' ' -f1 /proc/loadavg)" \
		'{mode: $mode, tool: $tool, size: $size, rep: $rep, sent: $sent,
		  delivered: $delivered, seconds: $seconds, cpu_ns: $cpu, load: $load,
		  extra: $extra}' \
		>>"$RUN_DIR/$1.runs.jsonl"
	awk -v m="$1" -v t="$2" -v s="$3" -v r="$4" -v sent="${5/null/0}" -v d="$6" -v secs="$7" \
		'BEGIN { printf "  %-7s rep %d  %-8s %5d B  %7.3f Mpps", m, r, t, s, d / secs / 1e6;
			 # more than sent (a stray packet) is no loss, not a negative one
			 if (sent > 0) printf "  offered %7.3f Mpps  loss %6.2f%%", sent / secs / 1e6,
				d < sent ? 100 * (1 - d / sent) : 0;
			 printf "\n" }'
}

# rx_point MODE TOOL SIZE REP: the generator runs RUN_S seconds; the tool counts what it
# received (rxdrop), or the sink counts what came back (l2fwd).
rx_point() {
	local mode=$1 tool=$2 size=$3 rep=$4 b0 b1 a0 n0 got cpu=null extra=null

	# shellcheck disable=SC2046
	case $tool in
	xskflow) dut_start run "$mode" -i "$IF_A" --napi-yield $(jumbo_args "$size") || return 1 ;;
	testpmd) tp_cmd start ;;
	afpacket) afp_start || return 1 ;;
	xdp-drop)
		ceil_on || return 1
		a0=$(pkts "$NS_A" "$IF_A" rx)
		n0=$(napi_ns)
		;;
	esac
	sleep 0.3
	b0=$(pkts "$NS_B" "$IF_B" rx)
	gen_run "$size" "$RUN_S" || return 1
	sleep 0.3
	b1=$(pkts "$NS_B" "$IF_B" rx)
	case $tool in
	xdp-drop)
		got=$(($(pkts "$NS_A" "$IF_A" rx) - a0))
		cpu=$(awk -v n="$(($(napi_ns) - n0))" -v p="$got" \
			'BEGIN { if (p > 0) printf "%.1f", n / p; else print "null" }')
		ceil_off || return 1
		extra="{\"napi_ns_per_packet\": $cpu}"
		;;
	xskflow)
		dut_stop run || return 1
		got=$(jq .packets "$TMP/run.json")
		cpu=$(jq .cpu.ns_per_packet_with_napi "$TMP/run.json")
		extra=$(jq -c '{dut_loss: .loss, cpu, xdp_stats}' "$TMP/run.json")
		;;
	testpmd)
		tp_stop || return 1
		got=$TP_RX
		extra="{\"rx\": $TP_RX, \"tx\": $TP_TX}"
		;;
	afpacket)
		afp_stop || return 1
		got=$(jq .packets "$TMP/afp.json")
		extra=$(jq -c . "$TMP/afp.json")
		;;
	esac
	[ "$mode" = l2fwd ] && got=$((b1 - b0))
	record "$mode" "$tool" "$size" "$rep" "$GEN_SENT" "$got" "$GEN_S" "$cpu" "$extra"
}

# tx_point TOOL SIZE REP: the tool sends at full speed; the sink counts for RUN_S seconds.
tx_point() {
	local tool=$1 size=$2 rep=$3 b0 b1 t0 t1 s0 s1 c0 c1 pid split cpu=null extra=null

	# shellcheck disable=SC2046
	case $tool in
	xskflow) dut_start run txonly -i "$IF_A" -s "$size" $(jumbo_args "$size") || return 1 ;;
	testpmd)
		tp_cmd "set txpkts $size"
		tp_cmd start
		;;
	esac
	sleep 0.3
	[ "$tool" = xskflow ] && pid=$DUT_PID || pid=$TP_PID
	t0=$(now)
	b0=$(pkts "$NS_B" "$IF_B" rx)
	s0=$(tx_handed "$NS_A" "$IF_A")
	c0=$(cpu_ticks "$pid")
	sleep "$RUN_S"
	c1=$(cpu_ticks "$pid")
	s1=$(tx_handed "$NS_A" "$IF_A")
	t1=$(now)
	b1=$(pkts "$NS_B" "$IF_B" rx)
	# The tool's CPU time per packet it got out, split into user space and kernel (the
	# copy-mode transmit runs inside its sendto() calls), same window for both tools.
	split=$(awk -v c0="$c0" -v c1="$c1" -v n=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" \
		'BEGIN { split(c0, a, " "); split(c1, b, " ");
			 if (n <= 0) { print "null"; exit }
			 printf "{\"user_ns\": %.1f, \"kernel_ns\": %.1f, \"packets\": %d}",
				(b[1] - a[1]) * 1e9 / hz / n, (b[2] - a[2]) * 1e9 / hz / n, n }')
	case $tool in
	xskflow)
		dut_stop run || return 1
		cpu=$(jq .cpu.ns_per_packet "$TMP/run.json")
		extra=$(jq -c --argjson split "$split" \
			'{pps: .pps, dut_loss: .loss, cpu, xdp_stats, cpu_split: $split}' \
			"$TMP/run.json")
		;;
	testpmd)
		tp_stop || return 1
		extra="{\"rx\": $TP_RX, \"tx\": $TP_TX, \"cpu_split\": $split}"
		;;
	esac
	record txonly "$tool" "$size" "$rep" null $((b1 - b0)) "$(echo "$t1 - $t0" | bc)" "$cpu" \
		"$extra"
}

# throughput MODE: REPS repetitions, tools alternating (the order flips every repetition);
# the first SWEEP_REPS repetitions sweep every size.
throughput() {
	local mode=$1 fwd tools=(xskflow) order rep tool size sizes

	need_rig "$mode" || return
	have_testpmd && tools+=(testpmd) ||
		echo "bench: dpdk-testpmd with the AF_XDP PMD is missing: no peer to compare with"
	case $mode in
	rxdrop) fwd=rxonly; tools+=(afpacket xdp-drop) ;;
	txonly) fwd=txonly ;;
	l2fwd) fwd=macswap ;;
	esac
	rig_up
	sink_on
	: >"$RUN_DIR/$mode.runs.jsonl"
	for ((rep = 1; rep <= REPS; rep++)); do
		sizes=("${SIZES[@]}")
		[ "$rep" -le "$SWEEP_REPS" ] || sizes=(64)
		order=("${tools[@]}")
		[ $((rep % 2)) -eq 0 ] && mapfile -t order < <(printf '%s\n' "${tools[@]}" | tac)
		for tool in "${order[@]}"; do
			[ "$tool" = testpmd ] && tp_start "$fwd"
			for size in "${sizes[@]}"; do
				[ "$tool" = testpmd ] && [ "$size" -gt "$MAX_SINGLE" ] && continue
				# QUICK keeps to its 3 minutes: the ceiling at 64 bytes only
				[ "$tool" = xdp-drop ] && is_quick && [ "$size" -ne 64 ] && continue
				lab_mtu "$size"
				if [ "$mode" = txonly ]; then
					tx_point "$tool" "$size" "$rep"
				else
					rx_point "$mode" "$tool" "$size" "$rep"
				fi
			done
			lab_mtu 64
			[ "$tool" = testpmd ] && tp_quit
		done
	done
	python3 scripts/bench-report.py summarise "$mode" "$RUN_DIR/$mode.runs.jsonl" \
		>"$RUN_DIR/$mode.json"
	jq -r '.target | "bench: \(.ratio // "no" | tostring) x testpmd at 64 bytes (target >= \(.min_ratio)), met: \(.met)"' \
		"$RUN_DIR/$mode.json"
}

# Copy bandwidth for the cost model.
section_memcpy() {
	local args=(-c "$DUT_CPU" -j "$RUN_DIR/memcpy.json")

	[ -x "$BB/memcpy_bw" ] || skip "memcpy: $BB/memcpy_bw is not built" || return
	is_quick && args+=(-q)
	"$BB/memcpy_bw" "${args[@]}" | tee "$RUN_DIR/memcpy.txt"
}

section_rxdrop() { throughput rxdrop; }
section_txonly() { throughput txonly; }
section_l2fwd() { throughput l2fwd; }

# Round trips of one 64-byte frame: xskflow latency (a) against an xskflow l2fwd reflector
# (b), and the same over kernel UDP sockets (udp_rtt client in a, echo server in b). Each
# tool runs twice: sleeping while it waits (xskflow poll(), kernel UDP a blocking recv())
# and spinning (xskflow --wait spin, udp_rtt --spin: MSG_DONTWAIT in a loop).
# NAPI runs in softirq context here (the kernel's default), not in threads: a NAPI thread
# adds a wake-up per hop to every tool, and a spinning SCHED_FIFO poller on the same core
# would starve it.
lat_xskflow() { # WAIT OUT CDF
	(exec $RT scripts/lab.sh exec "$LAB_ID" b "$XF" bench l2fwd -i "$IF_B" --wait "$1" \
		--cpu "$GEN_CPU" -t 300 --interval 0 --json) >"$TMP/refl.json" 2>"$TMP/refl.err" &
	REF_PID=$!
	wait_file "$TMP/refl.err" "ready on" 20
	$RT scripts/lab.sh exec "$LAB_ID" a "$XF" bench latency -i "$IF_A" --wait "$1" \
		--cpu "$DUT_CPU" -t "$LAT_S" --interval 0 --json --dst-mac "$MAC_B" \
		--src-ip "$IP4_A" --dst-ip "$IP4_B" --hist "$3" >"$2"
	kill -INT "$REF_PID"
	wait "$REF_PID"
	REF_PID=
}

lat_udp() { # WAIT OUT CDF
	local spin=()

	[ "$1" = spin ] && spin=(--spin)
	(exec $RT scripts/lab.sh exec "$LAB_ID" b "$BB/udp_rtt" server -p 4243 \
		--cpu "$GEN_CPU" "${spin[@]}") 2>"$TMP/srv.err" &
	SRV_PID=$!
	wait_file "$TMP/srv.err" "ready on" 10
	$RT scripts/lab.sh exec "$LAB_ID" a "$BB/udp_rtt" client -a "$IP4_B" -p 4243 \
		-s 64 --cpu "$DUT_CPU" -t "$LAT_S" --json "${spin[@]}" --hist "$3" >"$2"
	kill -INT "$SRV_PID"
	wait "$SRV_PID" || true
	SRV_PID=
}

section_latency() {
	local rep tool order lat cdf RT="nice -n $NICE" ns ifc
	local tools=(xskflow kernel-udp xskflow-spin kernel-udp-spin)

	need_rig latency || return
	[ -x "$BB/udp_rtt" ] || skip "latency: $BB/udp_rtt is not built" || return
	RIG_RT=1
	[ "$RT_PRIO" = 0 ] || RT="chrt -f $RT_PRIO"
	rig_up
	for ns in "$NS_A:$IF_A" "$NS_B:$IF_B"; do
		ifc=${ns#*:}
		ip netns exec "${ns%%:*}" sh -c "echo 0 >/sys/class/net/$ifc/threaded"
	done
	: >"$RUN_DIR/latency.runs.jsonl"
	for ((rep = 1; rep <= REPS; rep++)); do
		order=("${tools[@]}")
		[ $((rep % 2)) -eq 0 ] && order=(kernel-udp-spin xskflow-spin kernel-udp xskflow)
		for tool in "${order[@]}"; do
			lat=$TMP/lat.json
			cdf=$RUN_DIR/latency-$tool-$rep.cdf
			case $tool in
			xskflow) lat_xskflow poll "$lat" "$cdf" ;;
			xskflow-spin) lat_xskflow spin "$lat" "$cdf" ;;
			kernel-udp) lat_udp block "$lat" "$cdf" ;;
			kernel-udp-spin) lat_udp spin "$lat" "$cdf" ;;
			esac
			jq -c --arg tool "$tool" --argjson rep "$rep" \
				--arg cdf "latency-$tool-$rep.cdf" \
				'{mode: "latency", tool: $tool, rep: $rep, cdf: $cdf, latency: .latency}' \
				"$lat" >>"$RUN_DIR/latency.runs.jsonl"
			jq -r --arg tool "$tool" --argjson rep "$rep" \
				'.latency | "  latency rep \($rep)  \($tool)  p50 \(.p50_us) us  p99 \(.p99_us) us  p99.9 \(.p999_us) us  (\(.samples) samples, \(.lost) lost)"' \
				"$lat"
		done
	done
	python3 scripts/bench-report.py summarise latency "$RUN_DIR/latency.runs.jsonl" \
		>"$RUN_DIR/latency.json"
}

# BENCH.md, plots and report.json from what the sections above wrote; the generated block
# of ./BENCH.md is replaced (BENCH_UPDATE=0: leave ./BENCH.md alone).
section_report() {
	local args=(report "$RUN_DIR")

	[ "${BENCH_UPDATE:-1}" = 0 ] || args+=(--update BENCH.md)
	python3 scripts/bench-report.py "${args[@]}"
}

SECTIONS=(steer_cost memcpy rxdrop txonly l2fwd latency report)

# ---- driver ----------------------------------------------------------------------------

machine_json() {
	local quick=false cpu commit

	is_quick && quick=true
	cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p')
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	jq -n --arg run "$RUN_ID" --argjson quick "$quick" --arg commit "$commit" \
		--arg kernel "$(uname -r)" --arg cpu "$cpu" --argjson cpus "$(nproc)" \
		--arg mem "$(free -g | awk '/^Mem:/ {print $2 " GiB"}')" \
		--arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
		--arg dpdk "$(dpkg-query -W -f='${Version}' dpdk 2>/dev/null || true)" \
		--arg trafgen "$(dpkg-query -W -f='${Version}' netsniff-ng 2>/dev/null || true)" \
		--arg rig "two namespaces, one veth pair; trafgen on CPU $GEN_CPU, DUT on CPU $DUT_CPU with its threaded NAPI pinned there; XDP_DROP sink on the far end" \
		'{run: $run, quick: $quick, commit: $commit, kernel: $kernel, cpu_model: $cpu,
		  cpus: $cpus, memory: $mem, load: $load, dpdk: $dpdk, trafgen: $trafgen, rig: $rig}'
}

main() {
	local sections=("$@") name rc failed=() skipped=() finished=() merge=()

	[ ${#sections[@]} -gt 0 ] || sections=("${SECTIONS[@]}")
	for name in "${sections[@]}"; do
		declare -F "section_$name" >/dev/null || {
			echo "bench: no section '$name' (have: ${SECTIONS[*]})" >&2
			exit 1
		}
	done
	mkdir -p "$RUN_DIR"
	ln -sfn "$RUN_ID" "$OUT/latest"
	[ "$(id -u)" -ne 0 ] || bench_deps
	machine_json >"$RUN_DIR/machine.json"
	echo "bench: run $RUN_ID$(is_quick && echo ' (quick)'), results in $RUN_DIR"

	for name in "${sections[@]}"; do
		echo
		echo "==== $name"
		# A subshell outside any || list, so that set -e stops the section at its first
		# failing command (and a section cannot change the driver's variables).
		set +e
		(set -e; "section_$name")
		rc=$?
		set -e
		case $rc in
		0) finished+=("$name") ;;
		"$SKIP") skipped+=("$name") ;;
		*)
			echo "bench: section $name failed (status $rc)" >&2
			failed+=("$name")
			;;
		esac
	done

	# results.json: {machine: ..., SECTION: its JSON, ...} for the sections that finished.
	merge=(--slurpfile machine "$RUN_DIR/machine.json")
	for name in "${finished[@]}"; do
		[ -f "$RUN_DIR/$name.json" ] && merge+=(--slurpfile "$name" "$RUN_DIR/$name.json")
	done
	jq -n "${merge[@]}" '$ARGS.named | map_values(.[0])' >"$RUN_DIR/results.json"

	echo
	echo "bench: done: ${finished[*]:-none}; skipped: ${skipped[*]:-none};" \
		"failed: ${failed[*]:-none}"
	echo "bench: results in $RUN_DIR (also $OUT/latest)"
	[ ${#failed[@]} -eq 0 ]
}

main "$@"
