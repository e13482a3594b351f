#!/usr/bin/env bash
# Runs the README's demo non-interactively against this build and checks the
# outcome of each step.
set -uo pipefail
build=$1 src=$2
out=$(ALTITUDE_BUILD_DIR=$build timeout 180 "$src/scripts/demo" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "check_demo: the demo exited with $rc"; exit 1; }
expect() {
	grep -qE -- "$1" <<<"$out" || { echo "check_demo: missing: $2"; exit 1; }
}
expect 'minispy +1 +385100' "minispy listed at 385100"
expect 'scanner +1 +265000' "scanner listed at 265000"
expect 'scanuser: ready pid=' "scanuser connected"
expect '^ +hello, clean world$' "the clean file read back"
expect 'write error: Permission denied' "the foul write denied with EACCES"
expect 'old.txt: Permission denied' "the existing foul file refused at open"
expect 'IRP_MJ_CREATE/0x00 status=0x00000000 .*clean.txt' "minispy records of clean.txt"
expect '^ +slow but clean$' "the write allowed after the timeout (fail-open)"
expect 'late reply to message [0-9]+: ERROR_FLT_NO_WAITER_FOR_REPLY' "the late reply refused"
expect '^ +written while the service dies$' "the sender released when scanuser died"
expect 'filter scanner: drained and unloaded; contexts still referenced: 0' "the drain report"
expect 'shutdown: 0 pool allocation\(s\) and 0 context\(s\) still live' "nothing leaked"
expect 'Done: no mount, no process' "the end"
echo "check_demo: every step had its outcome"
