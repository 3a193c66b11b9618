#!/usr/bin/env bash
# Runs the worker locally: wrangler dev on http://127.0.0.1:8787, backed by KV, D1 and
# Durable Objects that miniflare keeps on disk under .wrangler/state. Applies the D1
# migrations and seeds a demo link, so `curl -i http://127.0.0.1:8787/demo` redirects.
#   scripts/dev.sh         the whole worker alone (it serves every route itself)
#   scripts/dev.sh split   production's pair: the visitor's worker on the port, in front of
#                          the whole worker (its API service binding and objects)
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
load_env
PORT="${PORT:-8787}"
mode="${1:-whole}"
case "$mode" in whole|split) ;; *) die "usage: scripts/dev.sh [split]" ;; esac
WRANGLER="$ROOT/node_modules/.bin/wrangler"

# Build first, so the first (minutes-long) compile shows its progress here.
"$ROOT/scripts/build.sh"
[ "$mode" = whole ] || "$ROOT/scripts/build.sh" visitor

step "applying D1 migrations to the local database"
CI=1 "$WRANGLER" d1 migrations apply DB --local >&2

step "seeding the demo link /demo -> https://example.com/"
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
"$WRANGLER" d1 execute DB --local --command \
  "INSERT OR IGNORE INTO links (id, domain, code, url, title, created_at, updated_at)
   VALUES ('demo00000000000', '', 'demo', 'https://example.com/', 'Demo link', '$now', '$now')" >/dev/null

origin=$(grep '^ORIGIN_URL=' .dev.vars | tail -1 | cut -d= -f2-)
if [ -n "$origin" ]; then
  note "the app behind the worker: ORIGIN_URL=$origin (from .dev.vars): pages that are not links go there"
else
  note "no app behind the worker (ORIGIN_URL is empty in .dev.vars): unknown paths are a 404"
  note "to run in front of uLoad's app, set ORIGIN_URL in .dev.vars, e.g. http://localhost:5173 (vite dev)"
fi
step "starting wrangler dev on http://127.0.0.1:$PORT (Ctrl-C stops it)"
note "try: curl -i http://127.0.0.1:$PORT/demo"
note "API token for POST /api/v1/links: SERVICE_TOKEN in .dev.vars"
if [ "$mode" = split ]; then
  note "the visitor's worker answers on $PORT and hands the API to the whole worker"
  exec "$WRANGLER" dev -c wrangler.visitor.toml -c wrangler.toml --ip 127.0.0.1 --port "$PORT" --show-interactive-dev-session=false
fi
exec "$WRANGLER" dev --ip 127.0.0.1 --port "$PORT" --show-interactive-dev-session=false
