#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then build and run programs
# against it with only `pkg-config altitude-km` / `altitude-um`, as minifilter
# and service authors would.
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

# shellcheck disable=SC2046
"$cc" -Wall -Wextra -Werror "$src/tests/host/install_client.c" -o "$dir/client" \
  $(pkg-config --cflags --libs altitude-um) -Wl,-rpath,"$(pkg-config --variable=libdir altitude-um)"
ALTITUDE_RUNTIME_DIR="$dir/run" "$dir/client"
