#!/usr/bin/env bash
# The bench harness (not part of the tests): builds the worker, then runs bench/run.mjs.
# About a minute; BENCH_SECONDS sets the length of each case.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
load_env
if ! command -v wrk >/dev/null; then
  step "installing wrk (Debian package)"
  command -v apt-get >/dev/null || die "missing: wrk (install it with your package manager)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2 || die "could not install wrk"
fi
"$ROOT/scripts/build.sh"
step "building the reference Rust worker (bench/rust-floor: a constant 302 through workers-rs)"
(cd "$ROOT/bench/rust-floor" && "$WORKER_BUILD_BIN" --release >&2)
step "bench (each case ${BENCH_SECONDS:-8} s)"
node "$ROOT/bench/run.mjs"
step "origin proxy: the SvelteKit test app direct and through the worker"
[ -f "$ROOT/tests/origin-app/build/index.js" ] || (cd "$ROOT/tests/origin-app" && node "$ROOT/node_modules/vite/bin/vite.js" build) >&2
exec node "$ROOT/bench/proxy.mjs"
