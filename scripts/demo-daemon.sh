#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The daemon demo: a veth lab, xskflowd running configs/demo.conf in namespace a (UDP 4242
# echoed by reflect, 4243 written to pcap), ordinary kernel sockets and ping from namespace
# b, the daemon's stats, then a clean stop. The lab is removed whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
XF=$PWD/$BUILD/xskflow
XFD=$PWD/$BUILD/xskflowd
RUN=/run/xskflow-demo
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (BPF, namespaces, AF_XDP)" >&2; exit 1; }
[ -x "$XFD" ] || { echo "demo: $XFD is missing; run 'make' first" >&2; exit 1; }

eval "$(scripts/lab.sh up)"
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	scripts/lab.sh down "$LAB_ID"
	rm -rf "$RUN"
}
trap cleanup EXIT
in_a() { scripts/lab.sh exec "$LAB_ID" a "$@"; }
in_b() { scripts/lab.sh exec "$LAB_ID" b "$@"; }
ctl() { "$XF" ctl -s "$RUN/ctl.sock" "$@"; }

# The config names the interface 'xfdemo0': give the lab's end in a that name.
ip -n "$NS_A" link set "$IF_A" down
ip -n "$NS_A" link set "$IF_A" name xfdemo0
ip -n "$NS_A" link set xfdemo0 up
ip -n "$NS_A" addr add 2001:db8::1/64 dev xfdemo0 nodad 2>/dev/null || true
mkdir -p -m 0700 "$RUN"
install -m 0600 configs/demo.conf "$RUN/demo.conf"

echo "== lab: $NS_A/xfdemo0 ($IP4_A, $IP6_A) <-> $NS_B/$IF_B ($IP4_B)"
echo "== configs/demo.conf:"
grep -v '^;' configs/demo.conf | grep -v '^$' | sed 's/^/   /'
echo "== xskflowd -n: $("$XFD" -n -c "$RUN/demo.conf" 2>&1)"
echo "== a: xskflowd -c configs/demo.conf"
(exec scripts/lab.sh exec "$LAB_ID" a "$XFD" -c "$RUN/demo.conf") 2>"$RUN/daemon.log" &
DPID=$!
for _ in $(seq 100); do grep -q "running with" "$RUN/daemon.log" && break; sleep 0.1; done
sed 's/^/   /' "$RUN/daemon.log"
grep -q "running with" "$RUN/daemon.log" || { echo "demo: xskflowd did not start" >&2; exit 1; }

echo "== b: UDP datagrams to port 4242 through ordinary kernel sockets, echoed by reflect"
in_b python3 -c '
import socket
for host in ("198.18.0.1", "2001:db8::1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((host, 4242))
    for i in range(1, 4):
        msg = "hello %d over IPv%d" % (i, 6 if ":" in host else 4)
        s.send(msg.encode())
        try:
            data, peer = s.recvfrom(2048)
            print("   sent %-22r echo %r from [%s]:%d" % (msg, data.decode(), peer[0], peer[1]))
        except socket.timeout:
            print("   sent %-22r no echo" % msg)'

echo "== b: 20 datagrams to port 4243, written to $RUN/demo.pcap by the pcap handler"
in_b python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b"capture me %d" % i, ("198.18.0.1", 4243))'
sleep 0.3
echo "   tcpdump -r demo.pcap: $(tcpdump -r "$RUN/demo.pcap" -n 2>/dev/null | wc -l) packets, first and last:"
tcpdump -r "$RUN/demo.pcap" -n 2>/dev/null | sed -n '1p;$p' | sed 's/^/   /'

echo "== b: everything else is still the kernel's: ping, and UDP port 5000"
in_b ping -c 2 -i 0.2 -W 1 "$IP4_A" | tail -n 2 | sed 's/^/   /'
in_a python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5000)); s.settimeout(3)
open("'"$RUN"'/k.ready", "w").close()
print("   kernel socket on a:5000 got %r" % s.recv(100).decode())' &
KPID=$!
for _ in $(seq 50); do [ -e "$RUN/k.ready" ] && break; sleep 0.1; done
in_b python3 -c '
import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"not steered", ("198.18.0.1", 5000))'
wait "$KPID" || true

echo "== xskflow ctl stats (modes, why, counters)"
ctl stats | jq -r '
  .interfaces[] |
  "   \(.name): XDP \(.attach_mode), driver \(.driver)",
  (.fallbacks[] | "     fallback: \(.)"),
  (.queues[] | "   queue \(.queue): bind \(.bind_mode), rx \(.rx_packets), tx \(.tx_packets), " +
     "xdp_stats rx_dropped \(.xdp_stats.rx_dropped), frames free \(.frames.free)/\(.frames.total)",
   (.fallbacks[] | "     fallback: \(.)")),
  "   steering: \(.steering.packets) packets seen, \(.steering.xsk) to sockets, " +
     "\(.steering.unmatched) to the kernel",
  (.rules[] | "   rule \(.name) [\(.rule)] -> \(.handler // .action): \(.hits) hits")'
ctl stats | jq -r '.handlers[] | "   handler \(.name) (\(.type)): \(.packets) packets, \(.tx) sent back"'
echo "== xskflow ctl reload: $(ctl reload | jq -c .)"

echo "== SIGTERM"
kill "$DPID"
wait "$DPID"
DPID=
tail -n 2 "$RUN/daemon.log" | sed 's/^/   /'
if ip -n "$NS_A" -d link show xfdemo0 | grep -q prog/xdp; then
	echo "demo: an XDP program was left on xfdemo0" >&2
	exit 1
fi
echo "== no XDP program left on xfdemo0; lab removed"
