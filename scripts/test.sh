#!/usr/bin/env bash
# Runs every test: native unit tests (cargo test), wasm tests under node
# (wasm-bindgen-test), and integration tests of the built worker in workerd via miniflare
# with real local KV and D1. Ends with one summary line; exits non-zero if anything failed.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
load_env

LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS"
rm -f "$LOGS"/*
summary=()
total_pass=0
total_fail=0
status=0

# record <layer> <passed> <failed> <exit code>
record() {
  local failed=$3
  if [ "$4" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi # crashed or did not compile
  total_pass=$((total_pass + $2))
  total_fail=$((total_fail + failed))
  summary+=("$1 $2 passed, $failed failed")
  [ "$failed" -eq 0 ] || status=1
}

# Sums "test result: ok. N passed; M failed" lines of cargo's output.
cargo_counts() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
       END { print p + 0, f + 0 }' "$1"
}

# cargo_layer <name> <cargo test args...>: runs one cargo test layer and records its counts.
cargo_layer() {
  local name=$1 rc
  shift
  set +e
  cargo test --color never "$@" 2>&1 | tee "$LOGS/$name.log"
  rc=${PIPESTATUS[0]}
  set -e
  read -r p f < <(cargo_counts "$LOGS/$name.log")
  record "$name" "$p" "$f" "$rc"
}

step "0/3 lint (cargo fmt --check, cargo clippy -D warnings, the layout rules)"
set +e
cargo fmt --check >&2 && cargo clippy --quiet --workspace --lib --bins --tests -- -D warnings >&2 \
  && cargo clippy --quiet -p uload-edge --lib --no-default-features -- -D warnings >&2 \
  && node scripts/check-layout.mjs >&2
rc=$?
set -e
record lint "$(( rc == 0 ))" "$(( rc != 0 ))" 0

step "1/3 native unit tests (cargo test)"
# uload-openapi: openapi/openapi.json must be what openapi/source.json and the core's rules give.
cargo_layer native -p uload-core -p uload-edge -p uload-openapi
# The PocketBase importer (a native CLI of the workspace).
cargo_layer importer -p uload-import
# The vendored User-Agent parser (woothee on regex-lite): its own test suite.
cargo_layer woothee --manifest-path vendor/woothee/Cargo.toml --target-dir target/vendor

step "2/3 wasm tests under node (wasm-bindgen-test)"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$WASM_BINDGEN_TEST_RUNNER"
cargo_layer wasm --target wasm32-unknown-unknown --test wasm

# The browser test drives Debian's Chromium (never a downloaded one).
if [ -z "${CHROMIUM_BIN:-}" ] && ! command -v chromium >/dev/null; then
  step "installing Chromium for the browser test (Debian package, a few minutes the first time)"
  command -v apt-get >/dev/null || die "missing: chromium (install it, or set CHROMIUM_BIN)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 \
    || die "could not install chromium with apt-get (run as root, or set CHROMIUM_BIN)"
fi

# The metrics tests check the exposition with promtool and scrape with a real Prometheus
# (Debian's package).
if [ -z "${PROMETHEUS_BIN:-}" ] && ! command -v prometheus >/dev/null; then
  step "installing Prometheus for the metrics tests (Debian package)"
  command -v apt-get >/dev/null || die "missing: prometheus (install it, or set PROMETHEUS_BIN and PROMTOOL_BIN)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; } >&2 \
    || die "could not install prometheus with apt-get (run as root, or set PROMETHEUS_BIN and PROMTOOL_BIN)"
fi

# schemathesis (PyPI) checks the worker against its OpenAPI document: pinned with every
# dependency in tests/schemathesis/requirements.txt, in a virtualenv of the tool cache named
# by that file's hash (a changed pin makes a new one).
if [ -z "${SCHEMATHESIS_BIN:-}" ]; then
  req="$ROOT/tests/schemathesis/requirements.txt"
  venv="$TOOLS/schemathesis-$(sha256sum "$req" | cut -c1-12)"
  if [ ! -x "$venv/bin/st" ]; then
    step "installing schemathesis into $venv (PyPI, pinned; about a minute the first time)"
    command -v python3 >/dev/null || die "missing: python3 (3.9 or newer) for schemathesis"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 && "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2 \
      || die "could not install schemathesis from $req"
  fi
  export SCHEMATHESIS_BIN="$venv/bin/st"
fi

# The real SvelteKit app the proxy tests put behind the worker (tests/origin-app), built
# with adapter-node from the pinned packages; skipped when the build is newer than its sources.
build_origin_app() {
  local app="$ROOT/tests/origin-app"
  if [ -f "$app/build/index.js" ] && [ -z "$(find "$app/src" "$app/static" "$app"/*.js "$ROOT/package-lock.json" -newer "$app/build/index.js" -print -quit)" ]; then
    note "SvelteKit test app: up to date"
    return
  fi
  step "building the SvelteKit test app (tests/origin-app, vite build)"
  (cd "$app" && node "$ROOT/node_modules/vite/bin/vite.js" build) >&2
}

step "3/3 integration tests: the built worker in workerd (miniflare), real local KV and D1"
set +e
"$ROOT/scripts/build.sh" && "$ROOT/scripts/build.sh" visitor && "$ROOT/scripts/build.sh" reference \
  && build_origin_app && node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$LOGS/integration.tap" \
  tests/integration/
rc=$?
set -e
p=$(awk '/^# pass / { print $3 }' "$LOGS/integration.tap" 2>/dev/null || true)
f=$(awk '/^# fail / { print $3 }' "$LOGS/integration.tap" 2>/dev/null || true)
record integration "${p:-0}" "${f:-0}" "$rc"

echo
for line in "${summary[@]}"; do echo "  $line"; done
echo "TESTS: $total_pass passed, $total_fail failed"
exit "$status"
