#!/usr/bin/env bash
# Builds the worker (release) into build/ with worker-build, using the local wasm-bindgen,
# esbuild and wasm-opt recorded by setup.sh (worker-build would otherwise download them).
# wrangler runs this as its [build] command.
. "$(dirname "$0")/lib.sh"
load_env
# Up to date: nothing the wasm is built from is newer than it (wrangler runs this before
# every dev start and dry run). ULOAD_FORCE_BUILD=1 builds anyway.
if [ -z "${ULOAD_FORCE_BUILD:-}" ] && [ -f build/index_bg.wasm ] && [ -f build/worker/shim.mjs ] \
  && [ -z "$(find src crates vendor openapi Cargo.toml Cargo.lock -newer build/index_bg.wasm -print -quit)" ]; then
  note "build/ is up to date ($(stat -c %s build/index_bg.wasm) bytes of wasm)"
  exit 0
fi
step "building the worker (cargo release build for wasm32 + wasm-bindgen + wasm-opt)"
"$WORKER_BUILD_BIN" --release >&2
[ -f build/index_bg.wasm ] || die "worker-build produced no build/index_bg.wasm"
# The deployed module goes without its function names (~96 KB gzipped that the runtime
# never reads); the named copy stays in build/symbols/ to read a panic's stack trace:
# node scripts/wasm-names.mjs lookup build/symbols/index_bg.wasm trace.txt
mkdir -p build/symbols
mv build/index_bg.wasm build/symbols/index_bg.wasm
node scripts/wasm-names.mjs strip build/symbols/index_bg.wasm build/index_bg.wasm
note "wasm: $(stat -c %s build/index_bg.wasm) bytes, $(gzip -9c build/index_bg.wasm | wc -c) gzipped"
