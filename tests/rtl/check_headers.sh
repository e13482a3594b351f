#!/bin/sh
# Compiles a header-check translation unit with the flags minifilter (or
# service) code uses, warnings as errors.
#
#   check_headers.sh <compiler> <source-dir> [<tu> [<include-dir>...]]
#
# <tu> and the include directories are relative to <source-dir>; the
# defaults check tests/rtl/headers_km.c against include/km and include.
set -u
if [ $# -lt 2 ]; then
  echo "usage: $0 <compiler> <source-dir> [<tu> [<include-dir>...]]" >&2
  exit 2
fi
cc=$1
src=$2
shift 2
tu=tests/rtl/headers_km.c
if [ $# -gt 0 ]; then
  tu=$1
  shift
fi
[ $# -gt 0 ] || set -- include/km include

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "check_headers: compiler '$cc' not found" >&2
  exit 1
fi

includes=""
for dir in "$@"; do
  includes="$includes -I $src/$dir"
done

# shellcheck disable=SC2086
exec "$cc" -std=gnu17 -fshort-wchar -Wall -Wextra -Werror $includes -fsyntax-only "$src/$tu"
