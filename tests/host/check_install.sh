#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then build and run a program
# against it with only `pkg-config altitude-km`, as a minifilter author would.
set -euo pipefail
build=$1 src=$2
cc=${CC:-cc}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cmake --install "$build" --prefix "$dir/prefix" >/dev/null
export PKG_CONFIG_PATH=$(dirname "$(find "$dir/prefix" -name altitude-km.pc)")
# shellcheck disable=SC2046
"$cc" -Wall -Wextra -Werror "$src/tests/host/install_minifilter.c" -o "$dir/minifilter" \
  $(pkg-config --cflags --libs altitude-km) -Wl,-rpath,"$(pkg-config --variable=libdir altitude-km)"
out=$("$dir/minifilter" 2>&1)
echo "$out"
grep -q 'installed at \\Registry\\Machine\\System\\Test, tag 74736e49' <<<"$out"
