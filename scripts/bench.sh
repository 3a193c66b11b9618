#!/usr/bin/env bash
# The bench harness (not part of the tests): builds the worker, then runs the benches.
#   scripts/bench.sh            everything: bench/run.mjs (the main cases, ~8 min), the click
#                               backlog, the origin proxy, the viral link
#   scripts/bench.sh viral      only the viral-link load test (docs/CAPACITY.md), ~1 min
#   scripts/bench.sh backlog    only the click backlog case, ~1 min
#   scripts/bench.sh profile    a V8 CPU profile of the hot redirect, /health and the Rust reference, ~30 s
#   scripts/bench.sh webhooks   redirects with and without a slow webhook receiver, ~2 min
#   scripts/bench.sh size       where the wasm's bytes go: sections, code by crate, largest parts
#                               (of both workers' modules)
#   scripts/bench.sh split      the visitor's worker against the whole: sizes, compile time, cold
#                               starts in workerd, the hot redirect through the pair, ~2 min
# BENCH_SECONDS sets the length of each main case; VIRAL_* and BACKLOG_* the others'.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
load_env
if ! command -v wrk >/dev/null; then
  step "installing wrk (Debian package)"
  command -v apt-get >/dev/null || die "missing: wrk (install it with your package manager)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2 || die "could not install wrk"
fi
"$ROOT/scripts/build.sh"
"$ROOT/scripts/build.sh" visitor
only="${1:-all}"
case "$only" in all|viral|backlog|profile|webhooks|size|split) ;; *) die "usage: scripts/bench.sh [viral|backlog|profile|webhooks|size|split]" ;; esac
if [ "$only" = size ]; then
  step "wasm size breakdown of the whole worker (build/symbols/index_bg.wasm)"
  node "$ROOT/bench/size.mjs" build
  step "wasm size breakdown of the visitor's worker (build-visitor/symbols/index_bg.wasm)"
  exec node "$ROOT/bench/size.mjs" build-visitor
fi
if [ "$only" = all ] || [ "$only" = profile ]; then
  "$ROOT/scripts/build.sh" reference
fi
if [ "$only" = profile ]; then
  step "CPU profile (workerd's inspector) of the hot redirect, /health and the Rust reference"
  exec node "$ROOT/bench/profile.mjs"
fi
if [ "$only" = all ]; then
  step "bench (each case ${BENCH_SECONDS:-8} s)"
  node "$ROOT/bench/run.mjs"
fi
if [ "$only" = all ] || [ "$only" = split ]; then
  step "the split worker: the visitor's module against the whole one"
  node "$ROOT/bench/split.mjs"
fi
if [ "$only" = all ] || [ "$only" = backlog ]; then
  step "click backlog: more clicks than the consumer drains, then the drain"
  node "$ROOT/bench/backlog.mjs"
fi
if [ "$only" = all ]; then
  step "origin proxy: the SvelteKit test app direct and through the worker"
  [ -f "$ROOT/tests/origin-app/build/index.js" ] || (cd "$ROOT/tests/origin-app" && node "$ROOT/node_modules/vite/bin/vite.js" build) >&2
  node "$ROOT/bench/proxy.mjs"
fi
if [ "$only" = all ] || [ "$only" = webhooks ]; then
  step "webhooks: redirects with and without a slow receiver taking every click"
  node "$ROOT/bench/webhooks.mjs"
fi
if [ "$only" = all ] || [ "$only" = viral ]; then
  step "viral link: one max_clicks link under load, production settings"
  node "$ROOT/bench/viral.mjs"
fi
