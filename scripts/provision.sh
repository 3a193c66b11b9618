#!/usr/bin/env bash
# Creates what an environment needs on Cloudflare (KV, D1, R2, queues) where it is missing,
# and writes the KV and D1 ids into wrangler.toml (never overwriting one). Idempotent.
#   scripts/provision.sh [production|staging] [--dry-run]
# Needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID (or `wrangler login`).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/wrangler ] || npm ci --no-audit --no-fund --loglevel=error >&2
exec node scripts/provision.mjs "$@"
