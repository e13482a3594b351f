# Shared by the tests/host scripts that drive a real fltmgrd: sourced after
# the script has set $fltmgrd and $fltmc.  Sets up a private runtime
# directory, registry and log under $tmp, removes them (and the daemon,
# port clients listed in $clients, mounts under $tmp) at exit, and gives
# fail, expect (an fltmc call), count/wait_count (log lines), running and
# wait_gone.
tmp=$(mktemp -d)
chmod 0711 "$tmp"
export ALTITUDE_RUNTIME_DIR=$tmp/run
reg=$tmp/registry
log=$tmp/fltmgrd.log
sock=$ALTITUDE_RUNTIME_DIR/fltmgrd.sock
# The daemon's own crash handler reports faults in filter code.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_sigbus=0:handle_abort=0

# True until the process is reaped (the daemon's parent is init, which reaps
# it once every thread has ended and its sockets are closed).
running() { [ -e "/proc/$1" ]; }

daemon_cleanup() {
  local p m
  for p in ${clients:-}; do kill -9 "$p" 2>/dev/null || true; done
  p=$(cat "$ALTITUDE_RUNTIME_DIR/fltmgrd.pid" 2>/dev/null || true)
  if [ -n "$p" ]; then
    kill -9 "$p" 2>/dev/null || true
    for _ in $(seq 400); do running "$p" || break; sleep 0.05; done
  fi
  for m in "$tmp/mnt" "$tmp/inplace"; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap daemon_cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- fltmgrd log" >&2
  cat "$log" >&2 || true
  exit 1
}

wait_gone() {
  for _ in $(seq 400); do running "$1" || return 0; sleep 0.05; done
  fail "process $1 did not end"
}

# Runs fltmc; checks its exit status and that its output matches a pattern.
expect() {
  local code=$1 pattern=$2 out rc=0
  shift 2
  out=$("$fltmc" "$@" 2>&1) || rc=$?
  echo "\$ fltmc $* -> $rc"
  echo "$out"
  [ "$rc" = "$code" ] || fail "fltmc $*: exit $rc, expected $code"
  grep -qE -- "$pattern" <<<"$out" || fail "fltmc $*: output does not match '$pattern'"
}

count() { grep -c -- "$1" "$log" || true; }

# Waits (at most 20 s, a safety net) until the log holds `n` lines matching.
wait_count() {
  for _ in $(seq 400); do [ "$(count "$1")" -ge "$2" ] && return 0; sleep 0.05; done
  fail "the log never held $2 line(s) matching '$1'"
}
