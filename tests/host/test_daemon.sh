#!/usr/bin/env bash
# fltmgrd and fltmc as real processes: install, load, list, refused and
# forced unload, failing DriverEntry, Start=2 at start, malformed and
# unauthorised control requests, kill -9 and restart, graceful stop.
# usage: test_daemon.sh <fltmgrd> <fltmc> <ctl_probe> <alpha.so> <beta.so> <mgmt_probe>
set -euo pipefail
fltmgrd=$1 fltmc=$2 probe=$3 alpha=$4 beta=$5 mgmt=$6
. "$(dirname "$0")/daemon_lib.sh"

daemon_pid() { cat "$ALTITUDE_RUNTIME_DIR/fltmgrd.pid"; }

# Daemon mode: returns once the control socket is ready.  Only its own
# stale mounts are cleaned: other tests' mounts on this machine are theirs.
start() {
  "$fltmgrd" --registry-dir "$reg" --log-level debug --admin-group altitude-test-nogroup \
    --shutdown-timeout 10 --stale-cleanup recorded "$@" 2>>"$log" || fail "fltmgrd did not start"
  [ -S "$sock" ] || fail "no control socket"
  [ "$(stat -c %a "$sock")" = 660 ] || fail "socket mode is not 0660"
}

"$fltmgrd" --help | grep -q -- "--shutdown-timeout" || fail "fltmgrd --help"
"$fltmgrd" --help | grep -q -- "--watchdog-timeout S" || fail "fltmgrd --help does not show --watchdog-timeout"
expect 0 "Usage: fltmc" --help
expect 2 "unknown command" frobnicate
expect 3 "cannot reach fltmgrd" status
# fltlib's FilterLoad without a daemon: HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE).
[ "$("$mgmt" load alpha)" = 0x80070426 ] || fail "FilterLoad without fltmgrd"
start
expect 0 "pid" status
expect 0 '"item": "protocol", "value": "1"' --json status

# Install two filters; beta refuses a non-mandatory unload.
expect 0 "filter alpha installed" install alpha "$alpha" --altitude 320000
expect 0 "installed" install beta "$beta" --altitude 385100.5 --param RefuseUnload=dword:1
grep -q "^ImagePath=$alpha" "$reg/alpha.conf" || fail "alpha.conf has no ImagePath"
expect 2 "install needs" install gamma "$alpha"
expect 1 "module not found" install gamma /nonexistent.so --altitude 1
expect 1 "STATUS_INVALID_PARAMETER" install gamma "$alpha" --altitude 1 --param =x

expect 0 "" load alpha
expect 0 "" load beta
expect 1 "STATUS_IMAGE_ALREADY_LOADED.*already loaded" load alpha
expect 1 "STATUS_OBJECT_NAME_NOT_FOUND.*install it first" load nosuch
grep -q "\[alpha\] DriverEntry \\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\alpha service alpha" "$log" \
  || fail "DriverEntry of alpha not logged with its prefix and registry path"
expect 0 "Filter Name +Num Instances +Altitude +Frame" filters
expect 0 "^beta +0 +385100.5 +0 +$beta" filters
expect 0 "^alpha +0 +320000 +0 +$alpha" filters
expect 0 '"name": "alpha", "instances": 0, "altitude": "320000", "frame": 0' --json filters

# fltlib's FilterLoad/FilterUnload: S_OK, and the HRESULT of the status.
[ "$("$mgmt" null)" = "0x80070057 0x80070057" ] || fail "FilterLoad(NULL)"
[ "$("$mgmt" unload alpha)" = 0x00000000 ] || fail "FilterUnload alpha"
expect 0 "^-" filters
"$fltmc" filters | grep -q "^alpha" && fail "alpha still loaded after FilterUnload"
[ "$("$mgmt" load alpha)" = 0x00000000 ] || fail "FilterLoad alpha"
[ "$("$mgmt" load nosuch)" = 0x80070002 ] || fail "FilterLoad of an unknown filter"
hr=$("$mgmt" unload beta)
[ "$hr" = 0x801F0010 ] || fail "FilterUnload of a refusing filter: $hr"

# Refused, then forced unload.
expect 1 "STATUS_FLT_DO_NOT_DETACH.*filter beta refused unload; use --force" unload beta
grep -q "\[beta\] unload refused" "$log" || fail "refusal not logged"
expect 0 "^beta " filters
expect 0 "" unload beta --force
grep -q "\[beta\] unload mandatory" "$log" || fail "mandatory unload callback not called"
grep -q "\[beta\] DriverUnload beta" "$log" || fail "DriverUnload not called"
expect 1 "STATUS_FLT_FILTER_NOT_FOUND.*not loaded" unload beta
expect 0 "" unload alpha
grep -q "\[alpha\] unload$" "$log" || fail "alpha's unload callback not called"

# A failing DriverEntry: the status reaches the admin, nothing stays loaded.
expect 0 "installed" install beta "$beta" --altitude 385100 --param FailEntry=dword:0xC0000022
expect 1 "STATUS_ACCESS_DENIED.*DriverEntry failed with 0xC0000022$" load beta
expect 0 "^-" filters
! "$fltmc" filters | grep -q beta || fail "beta listed after a failed DriverEntry"
expect 0 "" uninstall beta
[ ! -e "$reg/beta.conf" ] || fail "uninstall left beta.conf"
expect 1 "STATUS_OBJECT_NAME_NOT_FOUND" uninstall beta
expect 1 "STATUS_OBJECT_NAME_NOT_FOUND" load beta

# The control protocol refuses bad input and stays available.
for c in bad_magic bad_version too_long bad_payload bad_string bad_type bad_args truncated silent nobody; do
  "$probe" "$sock" "$c" || fail "control probe $c"
done

# Volumes: a source directory served at a mount point, and one in place
# (private: only root may use it; tests/fs checks what that means).
mkdir -p "$tmp/src/dir" "$tmp/mnt" "$tmp/inplace"
echo original >"$tmp/src/dir/a.txt"
echo kept >"$tmp/inplace/b.txt"
expect 0 "" mount "$tmp/src" "$tmp/mnt"
expect 1 "already mounted" mount "$tmp/src" "$tmp/mnt"
expect 2 "mount needs" mount --private "$tmp/inplace"
expect 0 "" mount --private --in-place "$tmp/inplace"
expect 0 "Dos Name +Volume Name +FileSystem +Source" volumes
expect 0 "^$tmp/mnt +.Device.AltitudeVolume[0-9]+ +altitudefs +$tmp/src" volumes
expect 0 "\"dos_name\": \"$tmp/inplace\", \"volume_name\": \".*\", \"filesystem\": \"altitudefs\", \"source\": \"\"" --json volumes
[ "$(cat "$tmp/mnt/dir/a.txt")" = original ] || fail "read through the mount"
echo written >"$tmp/mnt/dir/c.txt"
[ "$(cat "$tmp/src/dir/c.txt")" = written ] || fail "write through the mount"
[ "$(cat "$tmp/inplace/b.txt")" = kept ] || fail "read through the in-place mount"
expect 0 "" unmount "$tmp/inplace"
expect 1 "STATUS_OBJECT_NAME_NOT_FOUND" unmount "$tmp/inplace"
grep -q "$tmp/inplace" /proc/self/mountinfo && fail "in-place volume still mounted"

# kill -9 with a volume mounted and a writer inside: the writer gets errors,
# the source stays intact; a restart cleans the stale mount up.
( while echo x >>"$tmp/mnt/dir/w.txt" 2>/dev/null; do :; done ) &
writer=$!
sleep 0.2
# kill -9, restart: filters installed with --start load at start.
expect 0 "installed" install beta "$beta" --altitude 385100 --start
grep -q "^Start=dword:2" "$reg/beta.conf" || grep -qi "^Start=dword:0*2" "$reg/beta.conf" || fail "Start not written"
expect 0 "" load alpha
p=$(daemon_pid)
kill -9 "$p"
wait_gone "$p"
expect 3 "cannot reach fltmgrd" filters
wait "$writer" || true
[ "$(cat "$tmp/src/dir/a.txt")" = original ] || fail "source changed by the crash"
start
# (Another process's cleanup may have detached it first: the mount being gone is what counts.)
grep -q "$tmp/mnt" /proc/self/mountinfo && fail "stale mount left"
expect 0 "" mount "$tmp/src" "$tmp/mnt"
expect 0 "^beta +1 +385100" filters

# Instances: the loaded filters attach to the volume; I/O passes the higher
# altitude first; manual detach and attach under a running writer.
expect 0 "" load alpha
expect 0 "Filter +Volume Name +Altitude +Instance Name +Frame +Dos Name" instances
expect 0 "^beta +.Device.AltitudeVolume[0-9]+ +385100 +beta Instance +0 +$tmp/mnt" instances
expect 0 "^alpha +.Device.AltitudeVolume[0-9]+ +320000 +alpha Instance +0 +$tmp/mnt" instances -v "$tmp/mnt"
: >"$log.io"
echo ordered >"$tmp/mnt/dir/order.txt"
grep -E "^fltmgrd: info: \[(alpha|beta)\] pre write .dir.order.txt" "$log" | tail -2 | awk '{print $3}' | tr -d '[]' | tr '\n' ' ' >"$log.io"
[ "$(cat "$log.io")" = "beta alpha " ] || fail "filters saw the write in the order $(cat "$log.io")"
rm -f "$tmp/writer.err"
( while [ ! -e "$tmp/writer.stop" ]; do echo x >>"$tmp/mnt/dir/load.txt" || { echo err >"$tmp/writer.err"; break; }; done ) &
writer=$!
expect 0 "" detach alpha "$tmp/mnt"
expect 0 "^-" instances -f alpha
"$fltmc" instances -f alpha | grep -q "^alpha" && fail "alpha still attached after detach"
expect 1 "STATUS_FLT_INSTANCE_NOT_FOUND|STATUS_FLT_.*NOT_FOUND" detach alpha "$tmp/mnt"
lines=$(wc -l <"$log")
expect 0 "" attach alpha "$tmp/mnt" -a 250000 -i "alpha second"
tail -n +$((lines + 1)) "$log" | grep -q "^fltmgrd: info: \[alpha\] instance setup$" \
  || fail "InstanceSetup during a manual attach is not prefixed with the filter's name"
expect 0 "^alpha +.Device.AltitudeVolume[0-9]+ +250000 +alpha second +0" instances -f alpha
expect 1 "STATUS_FLT_VOLUME_NOT_FOUND" attach alpha /nonexistent
expect 1 "STATUS_FLT_FILTER_NOT_FOUND" attach nosuch "$tmp/mnt"
expect 0 "" unload alpha
expect 0 "" load alpha
touch "$tmp/writer.stop"
wait "$writer"
[ ! -e "$tmp/writer.err" ] || fail "the background writer saw an error"
expect 0 "" unload alpha
"$fltmc" filters | grep -q "^alpha" && fail "alpha (demand start) loaded at start"

# Graceful stop: the loaded filters are unloaded and the socket removed.
p=$(daemon_pid)
kill -TERM "$p"
wait_gone "$p"
grep -q "shutdown: 1 filter(s) unloaded" "$log" || fail "no shutdown report"
grep -q "volume $tmp/mnt unmounted" "$log" || fail "volume not unmounted at shutdown"
grep -q "$tmp/mnt" /proc/self/mountinfo && fail "mount left after shutdown"
grep -q "\[beta\] unload mandatory" "$log" || fail "beta not unloaded at shutdown"
[ ! -e "$sock" ] || fail "socket left behind"
grep -q "Sanitizer\|runtime error" "$log" && fail "sanitizer report in the daemon's log"

# A filter that segfaults: a report names it, readers of the volume get
# errors instead of hanging, the source is intact, and a restart works.
start
expect 0 "" mount "$tmp/src" "$tmp/mnt"
expect 0 "installed" install crashy "$alpha" --altitude 300000 --param CrashEntry=dword:1
( while cat "$tmp/mnt/dir/a.txt" >/dev/null 2>&1; do :; done ) &
reader=$!
p=$(daemon_pid)
expect 3 "no valid reply" load crashy
wait_gone "$p"
wait "$reader" || true
report=$ALTITUDE_RUNTIME_DIR/crash-$p.txt
[ -f "$report" ] || fail "no crash report"
cat "$report"
grep -q "^filter: crashy$" "$report" || fail "the report does not name the filter"
grep -q "^operation: DriverEntry" "$report" || fail "the report does not name the operation"
grep -q "alpha.so" "$report" || fail "the backtrace does not show the module"
grep -q "report in $report" "$log" || fail "the crash is not logged"
[ "$(cat "$tmp/src/dir/a.txt")" = original ] || fail "source changed by the crash"
start
expect 0 "" uninstall crashy
grep -q "$tmp/mnt" /proc/self/mountinfo && fail "stale mount left after the crash"
expect 0 "" mount "$tmp/src" "$tmp/mnt"
[ "$(cat "$tmp/mnt/dir/a.txt")" = original ] || fail "read after restart"

# A filter that segfaults in its pre-write callback on an I/O thread: the
# writer gets an error instead of hanging, the report names the filter, the
# operation, the file and the writer, the source is intact, and the next
# fltmgrd cleans the stale mount up.
expect 0 "installed" install crashw "$alpha" --altitude 300000 --param CrashWrite=dword:1
expect 0 "" load crashw
p=$(daemon_pid)
rc=0
bash -c 'echo $$ >"$1"; exec /bin/echo boom >"$2"' _ "$tmp/writer.pid" "$tmp/mnt/dir/crash.txt" \
  2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "a write through a crashing filter succeeded"
wait_gone "$p"
report=$ALTITUDE_RUNTIME_DIR/crash-$p.txt
[ -f "$report" ] || fail "no crash report for the crash during I/O"
cat "$report"
grep -q "^filter: crashw$" "$report" || fail "the report does not name the filter"
grep -qF "operation: IRP_MJ_WRITE pre-operation callback, file \dir\crash.txt, requester pid $(cat "$tmp/writer.pid")" \
  "$report" || fail "the report does not name the operation, file and requester"
grep -qF "[crashw] pre write \dir\crash.txt" "$log" || fail "the I/O callback's DbgPrint is not prefixed"
grep -q "fatal signal in filter code (filter crashw, IRP_MJ_WRITE pre-operation callback" "$log" \
  || fail "the crash is not logged with the operation"
[ "$(cat "$tmp/src/dir/a.txt")" = original ] || fail "source changed by the crash during I/O"
[ "$(cat "$tmp/src/dir/crash.txt" 2>/dev/null)" != boom ] || fail "the crashed write reached the source"
start
grep -q "$tmp/mnt" /proc/self/mountinfo && fail "stale mount left after the crash during I/O"
expect 0 "" uninstall crashw
expect 0 "" mount "$tmp/src" "$tmp/mnt"
[ "$(cat "$tmp/mnt/dir/a.txt")" = original ] || fail "read after the second restart"
p=$(daemon_pid)
kill -TERM "$p"
wait_gone "$p"

# The watchdog: a filter holding a write longer than --watchdog-timeout is
# named with the operation, the file and the writer, once; fltmc counts it.
rc=0
out=$("$fltmgrd" --watchdog-timeout x 2>&1) || rc=$?
[ "$rc" = 2 ] && grep -q "takes seconds" <<<"$out" || fail "--watchdog-timeout x accepted"
start --watchdog-timeout 1
expect 0 "" mount "$tmp/src" "$tmp/mnt"
expect 0 "installed" install stally "$alpha" --altitude 300000 --param StallWrite=dword:3000
expect 0 "" load stally
bash -c 'echo $$ >"$1"; exec /bin/echo slow >"$2"' _ "$tmp/writer.pid" "$tmp/mnt/dir/slow.txt" &
writer=$!
held=
for _ in $(seq 100); do
  held=$("$fltmc" --json instances -f stally)
  grep -q '"pending": 1' <<<"$held" && break
  sleep 0.05
done
grep -q '"pending": 1, "oldest_ms": [0-9]' <<<"$held" || fail "fltmc instances does not count the held write: $held"
"$fltmc" --json filters | grep -q '"name": "stally".*"pending": 1' || fail "fltmc filters does not count the held write"
wait "$writer" || fail "the stalled write failed"
[ "$(cat "$tmp/src/dir/slow.txt")" = slow ] || fail "the stalled write did not arrive"
grep -E "watchdog: filter stally has held IRP_MJ_WRITE pre-operation for [0-9]+ ms \(instance stally Instance on .Device.AltitudeVolume[0-9]+, file .dir.slow.txt, requester pid $(cat "$tmp/writer.pid")\)" "$log" \
  || fail "the watchdog did not name the held write"
[ "$(grep -c "watchdog: filter stally has held" "$log")" = 1 ] || fail "the held write was logged more than once"
expect 0 '"pending": 0, "oldest_ms": 0' --json instances -f stally
expect 0 "" unload stally
expect 0 "" uninstall stally
p=$(daemon_pid)
kill -TERM "$p"
wait_gone "$p"
echo PASS
