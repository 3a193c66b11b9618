# Shared helpers for the scripts in this folder (sourced, not run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Tools built from crates.io live in a versioned cache shared by all clones of this repo,
# so a second clone (or CI on the same machine) does not compile them again.
TOOLS="${ULOAD_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/uload-edge/tools}"
ENV_FILE="$TOOLS/env.sh"

step() { printf '\n==> %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Loads what setup.sh recorded (tool paths, and the Debian-rustc route if it was needed).
load_env() {
  [ -f "$ENV_FILE" ] || die "toolchain not set up: run scripts/setup.sh (missing $ENV_FILE)"
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  # This checkout's own npm tools: the tool cache is shared by every clone, so paths into one
  # clone's node_modules never go into it (a deleted clone would break the others' builds).
  export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
  export WASM_OPT_BIN="$ROOT/node_modules/binaryen/bin/wasm-opt"
}
