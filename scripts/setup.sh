#!/usr/bin/env bash
# Installs everything the worker needs to build, run and be tested, into the project and a
# per-user tool cache. Idempotent: a second run checks versions and returns in seconds.
# The first run compiles wasm-bindgen-cli and worker-build (about 8 minutes on 2 cores).
. "$(dirname "$0")/lib.sh"

WORKER_BUILD_VERSION=0.8.7

need() { command -v "$1" >/dev/null 2>&1 || die "missing: $1 ($2)"; }
need cargo "install Rust with rustup: https://rustup.rs"
need rustc "install Rust with rustup: https://rustup.rs"
need node "install Node.js >= 20.3"
need npm "install npm (comes with Node.js)"

mkdir -p "$TOOLS"
env_lines=()

# --- 1. The wasm32 standard library ---------------------------------------------------
has_wasm_std() { # $1 = rustc
  local dir
  dir=$("$1" --target wasm32-unknown-unknown --print target-libdir 2>/dev/null) || return 1
  compgen -G "$dir/libstd-*.rlib" >/dev/null
}
step "wasm32 target"
if has_wasm_std rustc; then
  note "rustc $(rustc --version | cut -d' ' -f2) has the wasm32-unknown-unknown std"
elif command -v rustup >/dev/null && note "rustup target add wasm32-unknown-unknown (timeout 180 s)" \
  && timeout 180 rustup target add wasm32-unknown-unknown && has_wasm_std rustc; then
  note "installed with rustup"
else
  note "rustup could not provide it; building std with Debian's rustc-web (about 2 minutes)"
  while IFS= read -r line; do env_lines+=("$line"); done < <(bash scripts/wasm32-std.sh | grep '^export ')
fi

# --- 2. Tools compiled from crates.io, pinned ---------------------------------------
# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock, or the
# generated JS glue does not match the wasm.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
[ -n "$WASM_BINDGEN_VERSION" ] || die "cannot read the wasm-bindgen version from Cargo.lock"

cargo_tool() { # $1 crate, $2 version, $3 a binary it installs
  local root="$TOOLS/$1-$2"
  if [ -x "$root/bin/$3" ]; then
    note "$1 $2: present"
  else
    note "$1 $2: compiling with cargo install (several minutes the first time)"
    # Not --locked: a locked dependency of wasm-bindgen-cli is missing from the registry.
    cargo install --quiet --root "$root" --version "=$2" "$1" >&2 \
      || die "could not install $1 $2 with cargo install"
    [ -x "$root/bin/$3" ] || die "cargo install $1 did not produce $3"
  fi
}
step "wasm-bindgen-cli $WASM_BINDGEN_VERSION and worker-build $WORKER_BUILD_VERSION"
cargo_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen
cargo_tool worker-build "$WORKER_BUILD_VERSION" worker-build

# --- 3. JS tools: wrangler, miniflare, esbuild, binaryen (package-lock.json) ----------
step "npm packages"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  note "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed"
  touch node_modules/.package-lock.json
else
  note "node_modules is current"
fi
for bin in node_modules/.bin/wrangler node_modules/.bin/esbuild node_modules/binaryen/bin/wasm-opt; do
  [ -x "$bin" ] || die "missing $bin after npm ci"
done

# --- 4. Local values and secrets (.dev.vars, for wrangler dev only) -------------------
step "local values and secrets (.dev.vars)"
random_secret() { node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))'; }
[ -f .dev.vars ] || : >.dev.vars
# Adds each line of .dev.vars.example that .dev.vars lacks; <random> becomes a random secret.
while IFS= read -r line; do
  case "$line" in [A-Z]*=*) ;; *) continue ;; esac
  name=${line%%=*}
  value=${line#*=}
  if grep -q "^$name=" .dev.vars; then
    note "$name is set"
  elif [ "$value" = "<random>" ]; then
    echo "$name=$(random_secret)" >>.dev.vars
    note "added a random $name to .dev.vars"
  else
    echo "$name=$value" >>.dev.vars
    note "added $name=$value to .dev.vars"
  fi
done <.dev.vars.example

# --- 5. Record the environment for build.sh, dev.sh, test.sh --------------------------
{
  echo "# written by scripts/setup.sh"
  for line in "${env_lines[@]+"${env_lines[@]}"}"; do echo "$line"; done
  echo "export WASM_BINDGEN_BIN=\"$TOOLS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION/bin/wasm-bindgen\""
  echo "export WASM_BINDGEN_TEST_RUNNER=\"$TOOLS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION/bin/wasm-bindgen-test-runner\""
  echo "export WORKER_BUILD_BIN=\"$TOOLS/worker-build-$WORKER_BUILD_VERSION/bin/worker-build\""
  echo "export WRANGLER_SEND_METRICS=false"
} >"$ENV_FILE.tmp"
mv "$ENV_FILE.tmp" "$ENV_FILE"
step "toolchain ready"
