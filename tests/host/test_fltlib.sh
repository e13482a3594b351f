#!/usr/bin/env bash
# libfltlib's management API against a real fltmgrd with two filters and a
# volume: every information class of the filter, volume and instance
# searches, FilterGetInformation, FilterInstanceGetInformation, attach and
# detach results, FilterGetDosName, short buffers and handles (the probe's
# own checks), no daemon, and a non-admin caller.
# usage: test_fltlib.sh <fltmgrd> <fltmc> <fltlib_probe> <alpha.so> <beta.so>
set -euo pipefail
fltmgrd=$1 fltmc=$2 probe=$3 alpha=$4 beta=$5
. "$(dirname "$0")/daemon_lib.sh"

# Runs the probe; its output must be exactly the expected lines.
probe_is() {
  local expect=$1 out rc=0
  shift
  out=$("$probe" "$@" 2>&1) || rc=$?
  echo "\$ fltlib_probe $* -> $rc"
  echo "$out"
  [ "$rc" = 0 ] || fail "fltlib_probe $*: exit $rc"
  [ "$out" = "$expect" ] || fail "fltlib_probe $*: expected
$expect"
}

# No daemon: HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE), no handle.
probe_is "end hr=0x80070426" filters 0
probe_is "hr=0x80070426 dos=" dosname '\Device\AltitudeVolume1'

"$fltmgrd" --registry-dir "$reg" --log-level debug --admin-group altitude-test-nogroup \
  --shutdown-timeout 10 --stale-cleanup recorded 2>>"$log" || fail "fltmgrd did not start"
"$fltmc" install alpha "$alpha" --altitude 320000 >/dev/null
"$fltmc" install beta "$beta" --altitude 385100 >/dev/null
"$fltmc" load alpha
"$fltmc" load beta
mkdir -p "$tmp/src" "$tmp/mnt"
"$fltmc" mount "$tmp/src" "$tmp/mnt"
vol=$("$fltmc" volumes | awk -v m="$tmp/mnt" '$1 == m {print $2}')
[ -n "$vol" ] || fail "no volume name"
mnt=$tmp/mnt

nl=$'\n'
end="end hr=0x80070103" # HRESULT_FROM_WIN32(ERROR_NO_MORE_ITEMS)

# Filters, every class; FilterCreate + FilterGetInformation.
probe_is "alpha frame=0 instances=1${nl}beta frame=0 instances=1${nl}$end" filters 0
probe_is "alpha 320000 frame=0 instances=1${nl}beta 385100 frame=0 instances=1${nl}$end" filters 1
probe_is "alpha 320000 frame=0 instances=1${nl}beta 385100 frame=0 instances=1${nl}$end" filters 2
probe_is "beta frame=0 instances=1${nl}hr=0x00000000" info BETA 0
probe_is "alpha 320000 frame=0 instances=1${nl}hr=0x00000000" info alpha 2
probe_is "hr=0x801F0013" info nosuch 1
probe_is "hr=0x80070057" info alpha 3

# Volumes and their DOS names (the mount point), by volume name or mount point.
probe_is "$vol${nl}$end" volumes 0
probe_is "$vol frame=0 fs=0 flags=0${nl}$end" volumes 1
probe_is "hr=0x00000000 dos=$mnt" dosname "$vol"
probe_is "hr=0x00000000 dos=$mnt" dosname "$vol\\"
probe_is "hr=0x00000000 dos=$mnt" dosname "$mnt/"
probe_is "hr=0x8007007A dos=" dosname "$vol" "${#mnt}"
probe_is "hr=0x00000000 dos=$mnt" dosname "$vol" "$((${#mnt} + 1))"
probe_is "hr=0x801F0014 dos=" dosname '\Device\Nope'

# Instances of a filter and on a volume (highest altitude first), every class.
probe_is "alpha Instance${nl}$end" instances alpha 0
probe_is "320000 alpha Instance${nl}$end" instances ALPHA 1
probe_is "alpha $vol 320000 alpha Instance${nl}$end" instances alpha 2
probe_is "alpha $vol 320000 alpha Instance frame=0 fs=0${nl}$end" instances alpha 3
probe_is "beta Instance${nl}alpha Instance${nl}$end" volinstances "$vol" 0
probe_is "385100 beta Instance${nl}320000 alpha Instance${nl}$end" volinstances "$mnt" 1
probe_is "beta $vol 385100 beta Instance${nl}alpha $vol 320000 alpha Instance${nl}$end" volinstances "$vol\\" 2
probe_is "beta $vol 385100 beta Instance frame=0 fs=0${nl}alpha $vol 320000 alpha Instance frame=0 fs=0${nl}$end" volinstances "$vol" 3
probe_is "end hr=0x801F0013" instances nosuch 0
probe_is "end hr=0x801F0014" volinstances '\Device\Nope' 0
probe_is "end hr=0x801F0014" volinstances /nonexistent 0
probe_is "end hr=0x80070057" instances alpha 4
probe_is "alpha $vol 320000 alpha Instance frame=0 fs=0${nl}hr=0x00000000" instinfo alpha "$mnt" - 3
probe_is "320000 alpha Instance${nl}hr=0x00000000" instinfo alpha "$vol" "alpha instance" 1
probe_is "hr=0x801F0015" instinfo alpha "$mnt" nosuch 1
probe_is "hr=0x801F0014" instinfo alpha /nonexistent - 1

# Attach and detach: collisions, unknown names, the created instance's name.
probe_is "hr=0x80070002 created=" attach alpha "$mnt" "alpha second"
probe_is "hr=0x00000000 created=alpha second" attachat alpha "$mnt" 250000 "alpha second"
probe_is "hr=0x801F0012 created=" attachat alpha "$mnt" 260000 "alpha second"
probe_is "hr=0x801F0011 created=" attachat alpha "$mnt" 385100 "alpha third"
probe_is "hr=0x801F0013 created=" attach nosuch "$mnt" -
probe_is "hr=0x801F0014 created=" attach alpha /nonexistent -
probe_is "hr=0x80070057 created=" attach alpha "" -
# Without a name, FilterDetach removes the highest instance: 320000, then 250000.
probe_is "hr=0x00000000" detach alpha "$vol" -
probe_is "250000 alpha second${nl}hr=0x00000000" instinfo alpha "$vol" - 1
probe_is "hr=0x00000000" detach alpha "$vol" -
probe_is "hr=0x801F0015" detach alpha "$vol" -
probe_is "hr=0x00000000 created=alpha Instance" attach alpha "$vol\\" -
probe_is "hr=0x00000000 created=alpha second" attachat alpha "$mnt" 250000 "alpha second"
probe_is "hr=0x8007007A created=" attachat alpha "$mnt" 240000 "alpha third" 22
probe_is "385100 beta Instance${nl}320000 alpha Instance${nl}250000 alpha second${nl}240000 alpha third${nl}$end" volinstances "$mnt" 1
probe_is "alpha frame=0 instances=3${nl}beta frame=0 instances=1${nl}$end" filters 0
probe_is "hr=0x00000000" detach alpha "$mnt" "alpha third"
probe_is "hr=0x00000000" detach alpha "$mnt" "alpha second"
probe_is "hr=0x801F0015" detach alpha "$mnt" "alpha second"
probe_is "hr=0x801F0013" detach nosuch "$mnt" -

# Short buffers (exact size, no advance), snapshots, and handles.
probe_is "edge: 2 filters, 0 failures" edge

# A caller that is not an fltmgrd admin: refused by the socket's mode, and
# by the daemon's peer check when the mode would let it in.
sock=$ALTITUDE_RUNTIME_DIR/fltmgrd.sock
if [ "$(id -u)" = 0 ]; then
  probe_is "end hr=0x80070005" nobody filters 0
  chmod 0666 "$sock"
  probe_is "end hr=0x80070005" nobody volumes 0
  probe_is "hr=0x80070005 created=" nobody attach alpha "$mnt" -
  chmod 0660 "$sock"
fi

# An unloaded filter is gone for searches and handles alike.
"$fltmc" unload beta --force
probe_is "alpha frame=0 instances=1${nl}$end" filters 0
probe_is "alpha Instance${nl}$end" volinstances "$vol" 0
probe_is "end hr=0x801F0013" instances beta 0

p=$(cat "$ALTITUDE_RUNTIME_DIR/fltmgrd.pid")
kill -TERM "$p"
for _ in $(seq 400); do [ -e "/proc/$p" ] || break; sleep 0.05; done
[ -e "/proc/$p" ] && fail "fltmgrd did not stop"
grep -q "Sanitizer\|runtime error" "$log" && fail "sanitizer report in the daemon's log"
echo PASS
