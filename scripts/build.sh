#!/usr/bin/env bash
# Builds the worker (release) with worker-build, using the local wasm-bindgen, esbuild and
# wasm-opt recorded by setup.sh (worker-build would otherwise download them).
#   scripts/build.sh          the whole worker into build/ (wrangler.toml)
#   scripts/build.sh visitor  the visitor's worker into build-visitor/ (wrangler.visitor.toml):
#                             the same crate without its `api` feature
#   scripts/build.sh reference  the bench's Rust reference (bench/rust-floor) into its build/
# wrangler runs this as its [build] command.
. "$(dirname "$0")/lib.sh"
load_env
case "${1:-whole}" in
  whole) out=build; features=(); what="the whole worker" ;;
  visitor) out=build-visitor; features=(--no-default-features); what="the visitor's worker" ;;
  reference)
    # Its own crate, built where it is (worker-build's default out-dir, bench/rust-floor/build).
    ref="$ROOT/bench/rust-floor"
    if [ -z "${ULOAD_FORCE_BUILD:-}" ] && [ -f "$ref/build/index_bg.wasm" ] \
      && [ -z "$(find "$ref/src" "$ref/Cargo.toml" vendor Cargo.lock -newer "$ref/build/index_bg.wasm" -print -quit)" ]; then
      note "bench/rust-floor/build/ is up to date"
      exit 0
    fi
    step "building the bench's Rust reference (bench/rust-floor) into bench/rust-floor/build/"
    (cd "$ref" && "$WORKER_BUILD_BIN" --release >&2)
    exit 0
    ;;
  *) die "usage: scripts/build.sh [visitor|reference]" ;;
esac
# Up to date: nothing the wasm is built from is newer than it (wrangler runs this before
# every dev start and dry run). ULOAD_FORCE_BUILD=1 builds anyway.
if [ -z "${ULOAD_FORCE_BUILD:-}" ] && [ -f "$out/index_bg.wasm" ] && [ -f "$out/worker/shim.mjs" ] \
  && [ -z "$(find src crates vendor openapi Cargo.toml Cargo.lock -newer "$out/index_bg.wasm" -print -quit)" ]; then
  note "$out/ is up to date ($(stat -c %s "$out/index_bg.wasm") bytes of wasm)"
  exit 0
fi
step "building $what (cargo release build for wasm32 + wasm-bindgen + wasm-opt) into $out/"
"$WORKER_BUILD_BIN" --release --out-dir "$out" . "${features[@]}" >&2
[ -f "$out/index_bg.wasm" ] || die "worker-build produced no $out/index_bg.wasm"
# The deployed module goes without its function names (~96 KB gzipped that the runtime
# never reads); the named copy stays in $out/symbols/ to read a panic's stack trace:
# node scripts/wasm-names.mjs lookup $out/symbols/index_bg.wasm trace.txt
mkdir -p "$out/symbols"
mv "$out/index_bg.wasm" "$out/symbols/index_bg.wasm"
node scripts/wasm-names.mjs strip "$out/symbols/index_bg.wasm" "$out/index_bg.wasm"
note "wasm: $(stat -c %s "$out/index_bg.wasm") bytes, $(gzip -9c "$out/index_bg.wasm" | wc -c) gzipped"
