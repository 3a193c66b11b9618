#!/usr/bin/env bash
# Sets the workers' secrets from the environment (in the deploy workflow: the GitHub
# environment's secrets), refusing the lot if any is shorter than 32 bytes, so a weak or
# empty secret never reaches Cloudflare. The whole worker gets all five; the visitor's
# worker (wrangler.visitor.toml) only the two its pages use: it never holds a token of the
# API, the admin routes or the metrics.
#   SERVICE_TOKEN=… ADMIN_TOKEN=… COOKIE_SECRET=… ANALYTICS_SALT=… METRICS_TOKEN=… scripts/put-secrets.sh [production|staging]
set -euo pipefail
cd "$(dirname "$0")/.."
ENV_NAME="${1:-production}"
WRANGLER="${WRANGLER:-node_modules/.bin/wrangler}"
NAMES=(SERVICE_TOKEN ADMIN_TOKEN COOKIE_SECRET ANALYTICS_SALT METRICS_TOKEN)
bad=0
for name in "${NAMES[@]}"; do
  bytes=$(printf '%s' "${!name:-}" | wc -c)
  if [ "$bytes" -lt 32 ]; then
    echo "put-secrets: $name is $bytes bytes; at least 32 are needed (openssl rand -base64 32)" >&2
    bad=1
  fi
done
[ "$bad" -eq 0 ] || { echo "put-secrets: nothing was set" >&2; exit 1; }
env_args=()
[ "$ENV_NAME" = production ] || env_args=(--env "$ENV_NAME")
VISITOR_NAMES=(COOKIE_SECRET ANALYTICS_SALT)
# The values travel on stdin, never on a command line.
as_json() { node -e 'const n = process.argv.slice(1); process.stdout.write(JSON.stringify(Object.fromEntries(n.map((k) => [k, process.env[k]]))))' "$@"; }
as_json "${NAMES[@]}" | "$WRANGLER" secret bulk "${env_args[@]}"
echo "put-secrets: ${NAMES[*]} set for the whole worker ($ENV_NAME)" >&2
as_json "${VISITOR_NAMES[@]}" | "$WRANGLER" secret bulk -c wrangler.visitor.toml "${env_args[@]}"
echo "put-secrets: ${VISITOR_NAMES[*]} set for the visitor's worker ($ENV_NAME)" >&2
