#!/usr/bin/env bash
# A filter's communication port in fltmgrd: the port client is killed with
# SIGKILL; the filter sees DisconnectNotify once, the daemon stays healthy,
# a new client connects and gets its answer; `fltmc unload` with a client
# still connected ends that connection (DisconnectNotify once more) and
# completes; a client cannot connect once the filter is gone.
# usage: test_daemon_port.sh <fltmgrd> <fltmc> <alpha.so> <port_probe>
set -euo pipefail
fltmgrd=$1 fltmc=$2 alpha=$3 probe=$4
. "$(dirname "$0")/daemon_lib.sh"

# Waits until file $1 has a line starting with $2 (the probe's output).
wait_line() {
  for _ in $(seq 400); do grep -q "^$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  fail "$1 never printed '$2'"
}

# Starts a probe in the background with its output in $tmp/<name>.out.
probe_start() {
  "$probe" >"$tmp/$1.out" 2>&1 &
  eval "$1=$!"
  clients="${clients:-} $!"
}

"$fltmgrd" --registry-dir "$reg" --log-level debug --admin-group altitude-test-nogroup \
  --shutdown-timeout 10 --stale-cleanup recorded 2>>"$log" || fail "fltmgrd did not start"
[ -S "$sock" ] || fail "no control socket"
expect 0 "installed" install alpha "$alpha" --altitude 320000 --param Port=dword:1
expect 0 "" load alpha

# A client killed with SIGKILL while it waits for a message.
probe_start first
wait_line "$tmp/first.out" "reply 0x00000000 pong"
grep -q "^connect 0x00000000" "$tmp/first.out" || fail "first connect"
kill -9 "$first"
wait "$first" 2>/dev/null || true
wait_count "\[alpha\] port disconnect" 1
expect 0 "pid" status
expect 0 "^alpha " filters

# A new client (MaxConnections is 1: the slot was freed) connects and is answered.
probe_start second
wait_line "$tmp/second.out" "reply 0x00000000 pong"
[ "$(count "\[alpha\] port connect")" = 2 ] || fail "the second client's ConnectNotify"
[ "$(count "\[alpha\] port message")" = 2 ] || fail "MessageNotify not called for each client"
[ "$(count "\[alpha\] port disconnect")" = 1 ] || fail "DisconnectNotify ran more than once for the killed client"

# Unload with the second client still connected: its connection ends
# (its FilterGetMessage fails), DisconnectNotify runs once, unload completes.
expect 0 "" unload alpha
grep -q "\[alpha\] unload$" "$log" || fail "alpha's unload callback not called"
wait_line "$tmp/second.out" "get 0x"
grep -q "^get 0x00000000" "$tmp/second.out" && fail "FilterGetMessage succeeded after the unload"
wait "$second" || fail "the second client did not exit cleanly"
[ "$(count "\[alpha\] port disconnect")" = 2 ] || fail "DisconnectNotify count after unload"
expect 0 "^-" filters

# The port went with its filter: a client cannot connect.
probe_start third
wait "$third" && fail "a client connected to an unloaded filter's port"
grep -q "^connect 0x8" "$tmp/third.out" || fail "third connect: $(cat "$tmp/third.out")"

# And the filter loads again with its port.
expect 0 "" load alpha
probe_start fourth
wait_line "$tmp/fourth.out" "reply 0x00000000 pong"
expect 0 "" unload alpha
wait "$fourth" || fail "the fourth client did not exit cleanly"
p=$(cat "$ALTITUDE_RUNTIME_DIR/fltmgrd.pid")
kill -TERM "$p"
for _ in $(seq 400); do [ -e "/proc/$p" ] || break; sleep 0.05; done
[ -e "/proc/$p" ] && fail "fltmgrd did not stop"
grep -q "Sanitizer\|runtime error" "$log" && fail "sanitizer report in the daemon's log"
echo PASS
