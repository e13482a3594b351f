#!/usr/bin/env bash
# libfltmgr must export the Windows-named API and altitude_* only: no layer's
# internal snake_case function may leak into a minifilter's namespace.
set -euo pipefail
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWDBRV]$/ {print $3}' | sed 's/@.*//')
bad=$(grep -Ev '^(Flt|Fs|Ke|Kf|Kd|Ex|Io|Ps|Mm|Ob|Se|Zw|Rtl|Dbg|vDbgPrint|Interlocked|altitude_)' <<<"$syms" || true)
if [ -n "$bad" ]; then
  echo "unexpected exports from $lib:"
  echo "$bad"
  exit 1
fi
for s in KeGetCurrentIrql KfRaiseIrql KeLowerIrql; do
  grep -qx "$s" <<<"$syms" || { echo "$s is not exported"; exit 1; }
done
echo "$(wc -l <<<"$syms") exports, all with Windows or altitude_ names"
