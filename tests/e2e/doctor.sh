# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# End-to-end tests of `xskflow doctor` on veth labs: every field of its JSON checked against
# what the kernel says through other tools (ip, ethtool, sysfs, /proc, bpftool), and its guards.

# doctor_json FILE ARGS...: doctor in namespace a, JSON into FILE, exit status in DOCTOR_RC.
doctor_json() {
	local f=$1
	shift
	DOCTOR_RC=0
	in_a "$XF" doctor --json "$@" >"$f" 2>"$f.err" || DOCTOR_RC=$?
	jq -e . "$f" >/dev/null || fail "doctor printed no JSON (exit $DOCTOR_RC): $(cat "$f.err")"
}

# chk FILE CHECK JQ: one value of one check, e.g. chk d.json queues .value.rx
chk() { jq -r --arg n "$2" ".checks[] | select(.name == \$n) | $3" "$1"; }

# Every check: a name, a verdict, a value object and one line of advice; the summary adds up.
check_shape() {
	local f=$1 names
	names=$(jq -r '.checks[].name' "$f" | sort | tr '\n' ' ')
	expect "check names" "$names" \
		"bpffs driver drops hugepages iommu kernel libraries locked_memory memlock numa pin_limit queues sockets xdp_features xdp_programs "
	jq -e 'all(.checks[]; (.verdict | test("^(ok|warn|fail)$")) and (.value | type) == "object"
		and (.advice | type) == "string" and (.advice | length) > 10
		and (.advice | contains("\n") | not))' "$f" >/dev/null ||
		fail "a check lacks a verdict, a value or one line of advice: $(cat "$f")"
	for v in ok warn fail; do
		expect "summary $v" "$(jq -r ".summary.$v" "$f")" \
			"$(jq --arg v $v '[.checks[] | select(.verdict == $v)] | length' "$f")"
	done
}

# ethtool -l: the value after LABEL in the "Pre-set maximums" (max) or "Current" (cur) block.
ethtool_l() {
	in_a ethtool -l "$IF_A" | awk -v blk="$1" -v key="$2:" '
		/^Pre-set maximums/ { b = "max" } /^Current hardware/ { b = "cur" }
		b == blk && $1 == key { print ($2 == "n/a" ? 0 : $2) }'
}

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

# The kernel's BTF has MEMBER in struct STRUCT.
btf_member() {
	bpftool btf dump file /sys/kernel/btf/vmlinux format c 2>/dev/null |
		awk -v s="struct $1 {" -v m="$2" '$0 == s { on = 1; next } on && /^};/ { exit }
			on { gsub(/[;\[\]]/, " "); for (i = 1; i <= NF; i++) if ($i == m) f = 1 }
			END { print f ? "true" : "false" }'
}

# Field by field on a 1-queue lab: what ethtool, sysfs, /proc and the kernel report.
test_doctor_one_queue_fields() {
	lab_up
	local f=$T_DIR/d.json v ram
	doctor_json "$f" -i "$IF_A"
	expect "exit status" "$DOCTOR_RC" 0
	check_shape "$f"
	expect "interface" "$(jget "$f" .interface)" "$IF_A"
	expect "ifindex" "$(jget "$f" .ifindex)" "$(in_a ip -j link show "$IF_A" | jq '.[0].ifindex')"
	expect "failures" "$(jget "$f" .summary.fail)" 0

	# driver: ethtool -i
	for k in driver:driver version:version firmware:firmware-version bus:bus-info; do
		v=$(in_a ethtool -i "$IF_A" | awk -F': ' -v k="${k#*:}" '$1 == k { print $2 }')
		expect "driver.${k%%:*}" "$(chk "$f" driver ".value.${k%%:*}")" "$v"
	done
	expect "driver verdict" "$(chk "$f" driver .verdict)" ok

	# queues: ethtool -l and sysfs
	expect "queues.source" "$(chk "$f" queues .value.source)" ethtool
	expect "queues.rx" "$(chk "$f" queues .value.rx)" "$(ethtool_l cur RX)"
	expect "queues.tx" "$(chk "$f" queues .value.tx)" "$(ethtool_l cur TX)"
	expect "queues.combined" "$(chk "$f" queues .value.combined)" "$(ethtool_l cur Combined)"
	expect "queues.max_rx" "$(chk "$f" queues .value.max_rx)" "$(ethtool_l max RX)"
	expect "queues.max_tx" "$(chk "$f" queues .value.max_tx)" "$(ethtool_l max TX)"
	expect "queues.max_combined" "$(chk "$f" queues .value.max_combined)" "$(ethtool_l max Combined)"
	expect "queues.sysfs_rx" "$(chk "$f" queues .value.sysfs_rx)" \
		"$(in_a ls "/sys/class/net/$IF_A/queues" | grep -c '^rx-')"
	expect "queues.sysfs_tx" "$(chk "$f" queues .value.sysfs_tx)" \
		"$(in_a ls "/sys/class/net/$IF_A/queues" | grep -c '^tx-')"
	expect "queues.rx is 1" "$(chk "$f" queues .value.rx)" 1
	expect_match "queues advice" "$(chk "$f" queues .advice)" "one RX queue"

	# sockets, programs: nothing bound, nothing attached (ip link shows no xdp)
	expect "sockets.known" "$(chk "$f" sockets .value.known)" true
	expect "sockets.rx" "$(chk "$f" sockets '.value.rx | length')" 0
	expect "ip link xdp" "$(in_a ip -d -j link show "$IF_A" | jq '.[0].xdp // "none"')" '"none"'
	expect "xdp_programs.mode" "$(chk "$f" xdp_programs .value.mode)" none
	expect "xdp_programs.programs" "$(chk "$f" xdp_programs '.value.programs | length')" 0

	# xdp_features: what veth advertises (no zero-copy), live (see the peer GRO test)
	expect "features.known" "$(chk "$f" xdp_features .value.known)" true
	expect "features.basic" "$(chk "$f" xdp_features .value.basic)" true
	expect "features.redirect" "$(chk "$f" xdp_features .value.redirect)" true
	expect "features.rx_sg" "$(chk "$f" xdp_features .value.rx_sg)" true
	expect "features.xsk_zerocopy" "$(chk "$f" xdp_features .value.xsk_zerocopy)" false
	expect "features.zc_max_segs" "$(chk "$f" xdp_features .value.zc_max_segs)" null
	expect "features verdict" "$(chk "$f" xdp_features .verdict)" warn
	expect_match "features advice" "$(chk "$f" xdp_features .advice)" \
		"driver 'veth' has no AF_XDP zero-copy.*copy mode"

	# iommu: veth has no device behind it
	in_a test -e "/sys/class/net/$IF_A/device" && fail "veth has a device directory"
	ram=$(($(meminfo MemTotal) * 1024))
	expect "iommu.device" "$(chk "$f" iommu .value.device)" false
	expect "iommu.group" "$(chk "$f" iommu .value.group)" null
	expect "iommu.umem_bytes" "$(chk "$f" iommu .value.umem_bytes)" $((4096 * 4096))
	expect "iommu.ram_bytes" "$(chk "$f" iommu .value.ram_bytes)" "$ram"
	expect "iommu.dma_reach_bytes" "$(chk "$f" iommu .value.dma_reach_bytes)" 0
	expect "iommu verdict" "$(chk "$f" iommu .verdict)" ok

	# numa: nodes from sysfs, each poller CPU's node from its nodeN link
	expect "numa.nodes" "$(chk "$f" numa .value.nodes)" \
		"$(ls -d /sys/devices/system/node/node[0-9]* | wc -l)"
	expect "numa.device_node" "$(chk "$f" numa .value.device_node)" null
	expect "numa.cpus_from" "$(chk "$f" numa .value.cpus_from)" all
	expect "numa.cpus count" "$(chk "$f" numa '.value.cpus | length')" "$(in_a nproc)"
	chk "$f" numa '[.value.cpus, .value.cpu_nodes] | transpose[] | "\(.[0]) \(.[1])"' |
		while read -r cpu node; do
			expect "numa node of cpu $cpu" "$node" \
				"$(ls -d /sys/devices/system/cpu/cpu"$cpu"/node[0-9]* | sed 's/.*node//')"
		done || exit 1
	expect "numa.umem_placement" "$(chk "$f" numa .value.umem_placement)" "first touch"

	# memlock: ulimit -l and CapEff as a shell in the namespace sees them
	expect "memlock.rlimit_cur" "$(chk "$f" memlock .value.rlimit_cur)" \
		"$(in_a sh -c 'v=$(ulimit -l); [ "$v" = unlimited ] && echo null || echo $((v * 1024))')"
	expect "memlock.rlimit_max" "$(chk "$f" memlock .value.rlimit_max)" \
		"$(in_a sh -c 'v=$(ulimit -H -l); [ "$v" = unlimited ] && echo null || echo $((v * 1024))')"
	v=$(in_a awk '/^CapEff/ { print $2 }' /proc/self/status)
	expect "memlock.cap_ipc_lock" "$(chk "$f" memlock .value.cap_ipc_lock)" \
		"$( (((0x$v >> 14) & 1)) && echo true || echo false)"
	expect "memlock.kernel_accepts" "$(chk "$f" memlock .value.kernel_accepts)" true

	# locked memory, hugepages: /proc/meminfo (Mlocked moves: within what we saw around it)
	expect "locked.ram" "$(chk "$f" locked_memory .value.ram)" "$ram"
	v=$(chk "$f" locked_memory .value.mlocked)
	# Mlocked is machine-wide and moves with every other process (a DPDK run locks
	# gigabytes): only its range is checked, not a snapshot taken at another moment.
	expect "locked.mlocked within 0..RAM" \
		"$(awk -v a="$v" -v r="$ram" 'BEGIN { print (a >= 0 && a <= r) }')" 1
	expect "hugepages.size" "$(chk "$f" hugepages .value.size)" $(($(meminfo Hugepagesize) * 1024))
	expect "hugepages.total" "$(chk "$f" hugepages .value.total)" "$(meminfo HugePages_Total)"
	expect "hugepages.free" "$(chk "$f" hugepages .value.free)" "$(meminfo HugePages_Free)"
	expect "hugepages.reserved" "$(chk "$f" hugepages .value.reserved)" "$(meminfo HugePages_Rsvd)"
	expect "hugepages.surplus" "$(chk "$f" hugepages .value.surplus)" "$(meminfo HugePages_Surp)"

	# pin limit: the default is 25% of MemTotal
	expect "pin_limit.limit" "$(chk "$f" pin_limit .value.limit)" $((ram * 25 / 100))
	expect "pin_limit.source" "$(chk "$f" pin_limit .value.source)" default
	expect "pin_limit.asked" "$(chk "$f" pin_limit .value.asked)" $((4096 * 4096))
	expect "pin_limit.pinned_now" "$(chk "$f" pin_limit .value.pinned_now)" 0
	expect "pin_limit verdict" "$(chk "$f" pin_limit .verdict)" ok

	# drops: the interface's statistics in sysfs
	for k in rx_dropped rx_missed_errors rx_fifo_errors tx_dropped; do
		expect "drops.$k" "$(chk "$f" drops ".value.$k")" \
			"$(in_a cat "/sys/class/net/$IF_A/statistics/$k")"
	done

	# bpffs, kernel, libraries
	expect "bpffs.mounted" "$(chk "$f" bpffs .value.mounted)" \
		"$([ "$(in_a stat -f -c %T /sys/fs/bpf)" = bpf_fs ] && echo true || echo false)"
	expect "kernel.release" "$(chk "$f" kernel .value.release)" "$(uname -r)"
	expect "kernel.af_xdp" "$(chk "$f" kernel .value.af_xdp)" true
	expect "kernel.need_wakeup" "$(chk "$f" kernel .value.need_wakeup)" true
	expect "kernel.multi_buffer" "$(chk "$f" kernel .value.multi_buffer)" "$(btf_member xdp_sock sg)"
	expect "kernel.tx_metadata" "$(chk "$f" kernel .value.tx_metadata)" \
		"$(btf_member xdp_umem tx_metadata_len)"
	if [ -r /proc/config.gz ]; then
		expect "kernel.busy_poll" "$(chk "$f" kernel .value.busy_poll)" \
			"$(zcat /proc/config.gz | grep -q '^CONFIG_NET_RX_BUSY_POLL=y' && echo true || echo false)"
	else
		expect_match "kernel.busy_poll" "$(chk "$f" kernel .value.busy_poll)" '^(true|false)$'
	fi
	v=$(readlink -f "$(ldd "$XF" | awk '/libbpf\.so/ { print $3 }')")
	expect "libraries.libbpf" "$(chk "$f" libraries .value.libbpf)" \
		"$(echo "${v##*libbpf.so.}" | cut -d. -f1-2)"
	v=$(readlink -f "$(ldd "$XF" | awk '/libxdp\.so/ { print $3 }')")
	expect "libraries.libxdp" "$(chk "$f" libraries .value.libxdp)" "${v##*libxdp.so.}"
	expect "libraries.xskflow" "$(chk "$f" libraries .value.xskflow)" \
		"$("$XF" version | awk '{ print $2 }')"
}

# Four queues, then a socket on queue 3 with the program in native mode, then gone again.
test_doctor_four_queues_socket_native() {
	lab_up -q 4
	local f=$T_DIR/d.json id i
	doctor_json "$f" -i "$IF_A"
	expect "exit status" "$DOCTOR_RC" 0
	check_shape "$f"
	for k in rx tx; do
		expect "queues.$k" "$(chk "$f" queues ".value.$k")" 4
		expect "queues.max_$k" "$(chk "$f" queues ".value.max_$k")" 4
		expect "queues.sysfs_$k" "$(chk "$f" queues ".value.sysfs_$k")" \
			"$(in_a ls "/sys/class/net/$IF_A/queues" | grep -c "^$k-")"
	done
	expect "queues.rx vs ethtool" "$(chk "$f" queues .value.rx)" "$(ethtool_l cur RX)"
	expect_match "queues advice" "$(chk "$f" queues .advice)" "queues 0-3"
	expect "no sockets" "$(chk "$f" sockets '.value.rx | length')" 0

	start_recv r -i "$IF_A" -q 3 --mode native -t 20 --json
	doctor_json "$f" -i "$IF_A"
	expect "sockets.rx" "$(chk "$f" sockets '.value.rx | join(",")')" 3
	expect "sockets.tx" "$(chk "$f" sockets '.value.tx | join(",")')" 3
	expect_match "sockets advice" "$(chk "$f" sockets .advice)" "RX queue\(s\) 3"
	in_a ip -d -j link show "$IF_A" >"$T_DIR/link.json"
	id=$(jq '.[0].xdp.prog.id' "$T_DIR/link.json")
	expect "kernel mode is driver" "$(jq '.[0].xdp.mode' "$T_DIR/link.json")" 1
	expect "xdp_programs.mode" "$(chk "$f" xdp_programs .value.mode)" native
	expect "program id" "$(chk "$f" xdp_programs '.value.programs[0].id')" "$id"
	expect "program name" "$(chk "$f" xdp_programs '.value.programs[0].name')" \
		"$(jq -r '.[0].xdp.prog.name' "$T_DIR/link.json")"
	expect "program mode" "$(chk "$f" xdp_programs '.value.programs[0].mode')" native
	expect "programs verdict" "$(chk "$f" xdp_programs .verdict)" ok
	kill -INT "$RECV_PID"
	wait "$RECV_PID" || fail "recv failed: $(cat "$T_DIR/r.err")"

	# The kernel lets go of the queue shortly after the socket is closed.
	for i in $(seq 50); do
		doctor_json "$f" -i "$IF_A"
		[ "$(chk "$f" sockets '.value.rx | length')" = 0 ] && break
		sleep 0.1
	done
	expect "socket gone" "$(chk "$f" sockets '.value.rx | length')" 0
	expect "program gone" "$(chk "$f" xdp_programs .value.mode)" none
}

# The steering program in generic mode: doctor reports it, its id and the mode, and warns.
test_doctor_generic_attach() {
	lab_up
	local f=$T_DIR/d.json
	start_recv r -i "$IF_A" --mode generic -t 5 --json
	doctor_json "$f" -i "$IF_A"
	in_a ip -d -j link show "$IF_A" >"$T_DIR/link.json"
	expect "kernel mode is generic" "$(jq '.[0].xdp.mode' "$T_DIR/link.json")" 2
	expect "xdp_programs.mode" "$(chk "$f" xdp_programs .value.mode)" generic
	expect "program count" "$(chk "$f" xdp_programs '.value.programs | length')" 1
	expect "program id" "$(chk "$f" xdp_programs '.value.programs[0].id')" \
		"$(jq '.[0].xdp.prog.id' "$T_DIR/link.json")"
	expect "program name" "$(chk "$f" xdp_programs '.value.programs[0].name')" xskflow_steer
	expect "program mode" "$(chk "$f" xdp_programs '.value.programs[0].mode')" generic
	expect "programs verdict" "$(chk "$f" xdp_programs .verdict)" warn
	expect_match "programs advice" "$(chk "$f" xdp_programs .advice)" "generic \(SKB\) mode"
	expect "sockets.rx" "$(chk "$f" sockets '.value.rx | join(",")')" 0
	expect "exit status (warnings only)" "$DOCTOR_RC" 0
	wait "$RECV_PID" || fail "recv failed: $(cat "$T_DIR/r.err")"
	expect "recv attach mode" "$(jget "$T_DIR/r.json" .attach_mode)" generic
}

# veth offers redirect-target support (ndo_xmit) only while its peer has GRO or an XDP
# program: doctor must follow the kernel, not a table.
test_doctor_features_follow_peer() {
	lab_up
	local f=$T_DIR/d.json
	in_b ethtool -K "$IF_B" gro off
	doctor_json "$f" -i "$IF_A"
	expect "ndo_xmit with peer GRO off" "$(chk "$f" xdp_features .value.ndo_xmit)" false
	in_b ethtool -K "$IF_B" gro on
	doctor_json "$f" -i "$IF_A"
	expect "ndo_xmit with peer GRO on" "$(chk "$f" xdp_features .value.ndo_xmit)" true
	expect "ndo_xmit_sg with peer GRO on" "$(chk "$f" xdp_features .value.ndo_xmit_sg)" true

	# A veth whose peer has more TX than RX queues loses native XDP altogether.
	ip -n "$NS_A" link add xfdm0 numrxqueues 1 numtxqueues 1 type veth \
		peer name xfdm1 numrxqueues 1 numtxqueues 2 || fail "cannot create the odd veth"
	doctor_json "$f" -i xfdm0
	expect "basic" "$(chk "$f" xdp_features .value.basic)" false
	expect "redirect" "$(chk "$f" xdp_features .value.redirect)" false
	expect "verdict" "$(chk "$f" xdp_features .verdict)" warn
	expect_match "advice" "$(chk "$f" xdp_features .advice)" "only generic \(SKB\) mode.*more TX than RX"
	# ... and the kernel agrees: native attach is refused there, auto falls back to generic,
	# and doctor then reports the program in generic mode.
	in_a "$XF" recv -i xfdm0 --mode native -t 0.2 >/dev/null 2>&1 &&
		fail "native attach worked on a veth doctor says has no native XDP"
	echo "ok: native attach refused on xfdm0"
	ip -n "$NS_A" link set xfdm1 up
	ip -n "$NS_A" link set xfdm0 up
	start_recv r -i xfdm0 -t 20 --json
	doctor_json "$f" -i xfdm0
	expect "generic-only: program mode" "$(chk "$f" xdp_programs '.value.programs[0].mode')" generic
	expect "generic-only: kernel mode" \
		"$(in_a ip -d -j link show xfdm0 | jq '.[0].xdp.mode')" 2
	expect "generic-only: socket" "$(chk "$f" sockets '.value.rx | join(",")')" 0
	kill -INT "$RECV_PID"
	wait "$RECV_PID" || fail "recv on xfdm0 failed: $(cat "$T_DIR/r.err")"
	expect_match "recv fallback" "$(jget "$T_DIR/r.json" '.fallbacks | join("|")')" \
		"native XDP attach refused"
}

test_doctor_unknown_interface() {
	lab_up
	local out rc=0
	out=$(in_a "$XF" doctor -i nosuchif0 --json 2>"$T_DIR/err") || rc=$?
	expect "exit status" "$rc" 1
	expect "no report on stdout" "$out" ""
	expect "one error line" "$(wc -l <"$T_DIR/err")" 1
	expect_match "error" "$(cat "$T_DIR/err")" \
		"^xskflow: interface 'nosuchif0' not found in this network namespace; check 'ip link'$"
	out=$(in_a "$XF" doctor --json 2>&1) && fail "doctor without -i succeeded"
	expect_match "missing -i" "$out" "-i IFACE is required"
	out=$(in_a "$XF" doctor -i "$IF_A" --frames 1 2>&1) && fail "--frames 1 accepted"
	expect_match "bad frames" "$out" "--frames: '1' is not a number"
	out=$(in_a "$XF" doctor -i "$IF_A" --frame-size 3000 2>&1) && fail "--frame-size 3000 accepted"
	expect_match "bad frame size" "$out" "--frame-size"
}

# The pinned-memory guard at its boundary, in doctor and in the library under recv.
test_doctor_pin_limit_boundary() {
	lab_up
	local f=$T_DIR/d.json out
	XSKFLOW_PIN_LIMIT=1048576 doctor_json "$f" -i "$IF_A" --frames 256 --frame-size 4096
	expect "exit at the limit" "$DOCTOR_RC" 0
	expect "asked" "$(chk "$f" pin_limit .value.asked)" 1048576
	expect "limit" "$(chk "$f" pin_limit .value.limit)" 1048576
	expect "source" "$(chk "$f" pin_limit .value.source)" XSKFLOW_PIN_LIMIT
	expect "verdict at the limit" "$(chk "$f" pin_limit .verdict)" ok

	XSKFLOW_PIN_LIMIT=1048575 doctor_json "$f" -i "$IF_A" --frames 256 --frame-size 4096
	expect "exit one byte over" "$DOCTOR_RC" 1
	expect "verdict one byte over" "$(chk "$f" pin_limit .verdict)" fail
	expect "summary.fail" "$(jget "$f" .summary.fail)" 1
	expect_match "advice" "$(chk "$f" pin_limit .advice)" "would refuse.*raise XSKFLOW_PIN_LIMIT"

	XSKFLOW_PIN_LIMIT=1M doctor_json "$f" -i "$IF_A" --frames 512 --frame-size 2048
	expect "2048-byte frames at the limit" "$(chk "$f" pin_limit .verdict)" ok

	# The library agrees: recv with the same numbers.
	XSKFLOW_PIN_LIMIT=1M in_a "$XF" recv -i "$IF_A" --frames 256 -t 0.3 --json >"$T_DIR/r.json" \
		2>"$T_DIR/r.err" || fail "recv refused a UMEM exactly at the limit: $(cat "$T_DIR/r.err")"
	out=$(XSKFLOW_PIN_LIMIT=1048575 in_a "$XF" recv -i "$IF_A" --frames 256 -t 0.3 2>&1) &&
		fail "recv accepted a UMEM one byte over the limit"
	echo "$out"
	expect "one error line" "$(echo "$out" | wc -l)" 1
	expect_match "guard error" "$out" \
		"pinning 1048576 more bytes would pass the pinned-memory limit: 0 pinned now by this process, limit 1048575 \(from XSKFLOW_PIN_LIMIT\); raise XSKFLOW_PIN_LIMIT"
	no_xdp "$NS_A" "$IF_A"
}

# Without CAP_IPC_LOCK the kernel charges UMEMs to RLIMIT_MEMLOCK: doctor's verdict must
# match what the kernel then does when recv registers the same UMEM.
# nolock LIM_KIB CMD...: CMD in namespace a without CAP_IPC_LOCK and with ulimit -l LIM_KIB.
nolock() {
	local lim=$1
	shift
	in_a setpriv --bounding-set=-ipc_lock -- sh -c 'ulimit -l "$0" && exec "$@"' "$lim" "$@"
}

test_doctor_memlock_matches_kernel() {
	lab_up
	local f=$T_DIR/d.json lim=8192 hard frames rc
	hard=$(in_a sh -c 'ulimit -H -l')
	[ "$hard" != unlimited ] && [ "$hard" -lt "$lim" ] && lim=$hard
	# 4096-byte frames: lim/4 of them are exactly RLIMIT_MEMLOCK.
	for frames in 256 $((lim / 4)) $((lim / 4 + 1)) $((lim / 2)); do
		nolock "$lim" "$XF" doctor -i "$IF_A" --frames "$frames" --json >"$f" 2>"$f.err"
		expect "cap_ipc_lock dropped" "$(chk "$f" memlock .value.cap_ipc_lock)" false
		expect "rlimit seen" "$(chk "$f" memlock .value.rlimit_cur)" $((lim * 1024))
		rc=0
		nolock "$lim" "$XF" recv -i "$IF_A" --bind copy --frames "$frames" -t 0.2 \
			>/dev/null 2>"$T_DIR/r.err" || rc=$?
		if [ "$(chk "$f" memlock .verdict)" = ok ]; then
			expect "kernel accepts $frames frames as doctor said ($(cat "$T_DIR/r.err"))" \
				"$rc" 0
		else
			expect "kernel refuses $frames frames as doctor said" "$rc" 1
			expect_match "kernel's reason" "$(cat "$T_DIR/r.err")" "No buffer space"
		fi
	done
	# A page more than the limit can never fit, whatever else this user has locked.
	nolock "$lim" "$XF" doctor -i "$IF_A" --frames $((lim / 4 + 1)) --json >"$f" 2>/dev/null &&
		fail "doctor exited 0 with a failing memlock check"
	expect "over the rlimit" "$(chk "$f" memlock .verdict)" fail
	expect "kernel_accepts" "$(chk "$f" memlock .value.kernel_accepts)" false
	expect_match "advice" "$(chk "$f" memlock .advice)" "raise it \(ulimit -l.*CAP_IPC_LOCK"
	# With the capability the limit does not apply.
	doctor_json "$f" -i "$IF_A" --frames $((lim / 2))
	expect "with CAP_IPC_LOCK" "$(chk "$f" memlock .verdict)" ok
}

test_doctor_text_output() {
	lab_up
	local out rc=0
	out=$(in_a "$XF" doctor -i "$IF_A") || rc=$?
	echo "$out"
	expect "exit status" "$rc" 0
	expect_match "first line" "$(echo "$out" | head -n 1)" "^$IF_A \(ifindex [0-9]+\)$"
	expect "verdict lines" "$(echo "$out" | grep -cE '^(ok|warn|fail) +[a-z_]+ ')" 15
	expect "advice lines" "$(echo "$out" | grep -cE '^ {20} [^ ]')" 15
	doctor_json "$T_DIR/d.json" -i "$IF_A"
	expect "summary line" "$(echo "$out" | tail -n 1)" \
		"$(jq -r '"\(.summary.ok) ok, \(.summary.warn) warn, \(.summary.fail) fail"' "$T_DIR/d.json")"
	expect_match "driver line" "$(echo "$out" | grep '^ok    driver')" "driver=veth"
}

test_doctor_cpus() {
	lab_up
	local f=$T_DIR/d.json last out node
	node=$(ls -d /sys/devices/system/cpu/cpu0/node[0-9]* | sed 's/.*node//')
	doctor_json "$f" -i "$IF_A" --cpus 0
	expect "cpus" "$(chk "$f" numa '.value.cpus | join(",")')" 0
	expect "cpu_nodes" "$(chk "$f" numa '.value.cpu_nodes | join(",")')" "$node"
	expect "cpus_from" "$(chk "$f" numa .value.cpus_from)" given
	last=$(($(in_a nproc) - 1))
	doctor_json "$f" -i "$IF_A" --cpus "0-$last"
	expect "cpu range" "$(chk "$f" numa '.value.cpus | length')" $((last + 1))
	out=$(in_a "$XF" doctor -i "$IF_A" --cpus 4095 2>&1) && fail "CPU 4095 accepted"
	expect_match "offline cpu" "$out" "^xskflow: --cpus: CPU 4095 is not online"
	out=$(in_a "$XF" doctor -i "$IF_A" --cpus 1-0 2>&1) && fail "--cpus 1-0 accepted"
	expect_match "bad list" "$out" "'1-0' is not a CPU list"
}

# 'ip netns exec' alone gives a fresh /sys without bpffs.
test_doctor_bpffs_missing() {
	lab_up
	local f=$T_DIR/d.json
	[ "$(ip netns exec "$NS_A" stat -f -c %T /sys/fs/bpf)" = bpf_fs ] &&
		fail "bpffs is mounted in a fresh 'ip netns exec'"
	ip netns exec "$NS_A" "$XF" doctor -i "$IF_A" --json >"$f" || fail "doctor failed"
	expect "bpffs.mounted" "$(chk "$f" bpffs .value.mounted)" false
	expect "bpffs verdict" "$(chk "$f" bpffs .verdict)" warn
	expect_match "bpffs advice" "$(chk "$f" bpffs .advice)" "mount -t bpf bpf /sys/fs/bpf"
}

test_doctor_interface_down() {
	lab_up
	local f=$T_DIR/d.json
	ip -n "$NS_A" link set "$IF_A" down
	doctor_json "$f" -i "$IF_A"
	expect "sockets.known" "$(chk "$f" sockets .value.known)" false
	expect "sockets verdict" "$(chk "$f" sockets .verdict)" warn
	expect_match "sockets advice" "$(chk "$f" sockets .advice)" "is down.*ip link set $IF_A up"
}
