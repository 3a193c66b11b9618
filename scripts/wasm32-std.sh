#!/usr/bin/env bash
# Adapted from ../shared/toolchain/wasm32-std.sh (tested recipe); called by setup.sh only
# when rustup cannot install the wasm32 target.
# Reference recipe (known to work on this project's Debian 12 machines, 2026-11):
# make `--target wasm32-unknown-unknown` buildable when rustup cannot download the
# target's standard library (no access to the rustup server).
#
# 1. If the active rustc already has a wasm32 std, or `rustup target add` works, done.
# 2. Otherwise install Debian's rustc-web 1.96 (+ its std source and wasm-ld) and
#    compile std for wasm32 once, into Debian rustc's own sysroot.
#
# It prints the environment to export for wasm builds. Idempotent; about 2 minutes
# the first time on 2 cores, instant afterwards. Needs root for apt-get.
set -euo pipefail

has_std() { # $1 = rustc binary
  local dir
  dir=$("$1" --target wasm32-unknown-unknown --print target-libdir 2>/dev/null) || return 1
  compgen -G "$dir/libstd-*.rlib" >/dev/null
}

if command -v rustc >/dev/null && has_std rustc; then
  echo "# the active rustc already has the wasm32-unknown-unknown std"; exit 0
fi
if false; then # setup.sh tried rustup already
  echo "# installed wasm32-unknown-unknown with rustup"; exit 0
fi

echo "# rustup could not provide wasm32; using Debian's rustc-web" >&2
if ! [ -x /usr/bin/rustc ] || ! [ -d /usr/lib/rustlib/src/rust/library ] || ! command -v wasm-ld >/dev/null; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src lld >&2
fi

if ! has_std /usr/bin/rustc; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/src"
  printf '[package]\nname = "std-probe"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n' >"$work/Cargo.toml"
  : >"$work/src/lib.rs"
  # embed-bitcode: the project's release profile uses LTO, which needs bitcode in std
  (cd "$work" && RUSTFLAGS="-Cembed-bitcode=yes" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    /usr/bin/cargo build -q --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort >&2)
  libdir=$(/usr/bin/rustc --target wasm32-unknown-unknown --print target-libdir)
  mkdir -p "$libdir"
  find "$work/target/wasm32-unknown-unknown/release/deps" -name 'lib*.rlib' ! -name 'libstd_probe*' -exec cp {} "$libdir/" \;
  echo "# built wasm32 std into $libdir; run 'cargo clean' on any wasm target dir built before" >&2
fi

# worker-build looks up `rustc` by name on PATH to check for the target: give it Debian's.
shim=${XDG_CACHE_HOME:-$HOME/.cache}/wasm32-rustc-shim
mkdir -p "$shim"
printf '#!/bin/sh\nexec /usr/bin/rustc "$@"\n' >"$shim/rustc"
chmod +x "$shim/rustc"
cat <<EOF
export RUSTC=/usr/bin/rustc
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld
export PATH=$shim:\$PATH
EOF
