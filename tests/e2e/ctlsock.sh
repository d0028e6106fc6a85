# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# xskflowd's control socket (helpers from daemon.sh): how request lines are framed and
# checked (user/daemon/ctlreq.c, also fuzzed as fuzz/ctl), and a reload that moves the
# socket while the reload request is being answered on it.

# ctl_raw PIECE...: one client sends the pieces (Python bytes literals) one write each,
# closes its side and prints the reply line.
ctl_raw() {
	python3 - "$T_DIR/ctl.sock" "$@" <<'EOF'
import ast, socket, sys, time
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.settimeout(10)
c.connect(sys.argv[1])
for piece in sys.argv[2:]:
    c.sendall(ast.literal_eval(piece))
    time.sleep(0.05)    # separate reads in the daemon; the outcome must not depend on it
c.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode(errors="replace"))
EOF
}

test_ctl_request_framing() {
	local long255 long256
	lab_up
	reflect_conf d
	start_daemon d
	expect "status in three pieces" "$(ctl_raw 'b"sta"' 'b"tu"' 'b"s\n"' | jq -r .ok)" true
	expect "blanks around the command" "$(ctl_raw 'b" \t status \t\r\n"' | jq -r .ok)" true
	expect "no newline, then the end" "$(ctl_raw 'b"rules"' | jq -r .ok)" true
	expect "only the first line counts" \
		"$(ctl_raw 'b"status\nreload\nbogus\n"' | jq -c '[.ok, has("interfaces")]')" '[true,true]'
	expect_match "a NUL in the line" "$(ctl_raw 'b"status\x00reload\n"' | jq -r .error)" \
		"non-printable byte 0x00 at offset 6"
	expect_match "an escape sequence" "$(ctl_raw 'b"\x1b[2Jstatus\n"' | jq -r .error)" \
		"non-printable byte 0x1b at offset 0"
	long255=$(printf 'b"%0255d\\n"' 0)
	long256=$(printf 'b"%0256d\\n"' 0)
	expect_match "255 bytes reach the command table" "$(ctl_raw "$long255" | jq -r .error)" \
		"unknown request"
	expect_match "256 bytes are too long" "$(ctl_raw "$long256" | jq -r .error)" \
		"longer than 255 bytes"
	expect_match "an empty line" "$(ctl_raw 'b"\n"' | jq -r .error)" "unknown request"
	expect "nothing sent, nothing answered" "$(ctl_raw)" ""
	expect "still answers" "$(ctl status | jq -r .ok)" true
	stop_daemon d
}

# A reload that changes control_socket replaces the socket the request came in on: the
# request is still answered, the new socket serves, the old one is gone.
test_ctl_reload_moves_socket() {
	lab_up
	reflect_conf d
	start_daemon d
	sed -i "s|^control_socket = .*|control_socket = $T_DIR/ctl2.sock|" "$T_DIR/d.conf"
	grep -q "ctl2.sock" "$T_DIR/d.conf" || fail "config not edited"
	expect "reload answered on the old socket" "$(ctl reload | jq -r .ok)" true
	[ ! -e "$T_DIR/ctl.sock" ] || fail "the old control socket is still there"
	expect "new socket answers" "$("$XF" ctl -s "$T_DIR/ctl2.sock" status | jq -r .ok)" true
	expect "still echoes (ok bad lost)" "$(echo_client "$IP4_A" 4242 50)" "50 0 0"
	stop_daemon d
	[ ! -e "$T_DIR/ctl2.sock" ] || fail "the new control socket was left behind"
	grep -q "AddressSanitizer" "$T_DIR/d.log" && fail "sanitizer report in the daemon log"
	return 0
}
