#!/usr/bin/env bash
# Smoke test of a deployed worker: readiness, and one known short link redirecting.
#   scripts/smoke.sh <base-url> <code>
# Exits non-zero (and says why) when either fails; the deploy workflow rolls back then.
set -euo pipefail
BASE="${1:?usage: scripts/smoke.sh <base-url> <code>}"
CODE="${2:?usage: scripts/smoke.sh <base-url> <code>}"
BASE="${BASE%/}"
fail() { printf 'smoke: FAILED: %s\n' "$*" >&2; exit 1; }
ATTEMPTS="${SMOKE_ATTEMPTS:-5}"
# With the operator's token the readiness answer names the failing check (public: status only).
auth=()
[ -z "${ADMIN_TOKEN:-}" ] || auth=(-H "authorization: Bearer $ADMIN_TOKEN")
for attempt in $(seq 1 "$ATTEMPTS"); do
  status=$(curl -sS -o /tmp/smoke-ready.json -w '%{http_code}' --max-time 10 "${auth[@]}" "$BASE/health/ready" || echo 000)
  [ "$status" = 200 ] && break
  printf 'smoke: /health/ready answered %s (attempt %s of %s)\n' "$status" "$attempt" "$ATTEMPTS" >&2
  [ "$attempt" -lt "$ATTEMPTS" ] && sleep $((attempt * 2))
done
[ "$status" = 200 ] || fail "/health/ready answered $status: $(head -c 600 /tmp/smoke-ready.json 2>/dev/null)"
status=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 10 "$BASE/$CODE" || echo 000)
case "$status" in
  30[1278]\ ?*) printf 'smoke: ok: ready, /%s → %s\n' "$CODE" "${status#* }" >&2 ;;
  *) fail "/$CODE answered '$status' instead of a redirect" ;;
esac
