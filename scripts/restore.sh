#!/usr/bin/env bash
# Restores a backup into the (empty, migrated) D1 of a running worker and rebuilds its KV.
#   scripts/restore.sh [BACKUP_ID]            the newest backup if no id is given
# UL_URL: the worker (default http://127.0.0.1:8787); ADMIN_TOKEN: its admin token
# (default: from .dev.vars). Prints the worker's report; exits non-zero on any refusal.
. "$(dirname "$0")/lib.sh"
URL="${UL_URL:-http://127.0.0.1:8787}"
TOKEN="${ADMIN_TOKEN:-$(grep '^ADMIN_TOKEN=' .dev.vars 2>/dev/null | cut -d= -f2-)}"
[ -n "$TOKEN" ] || die "set ADMIN_TOKEN (or run scripts/setup.sh for a local .dev.vars)"
command -v curl >/dev/null || die "missing: curl"
ID="${1:-}"
if [ -z "$ID" ]; then
  step "finding the newest backup at $URL"
  ID=$(curl -fsS -H "authorization: Bearer $TOKEN" "$URL/api/v1/admin/backups" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const b=JSON.parse(s).data;if(!b.length)process.exit(1);console.log(b[0].id)})') \
    || die "no backup found"
fi
step "restoring backup $ID (every part is verified before anything is written)"
out=$(curl -sS -w '\n%{http_code}' -X POST -H "authorization: Bearer $TOKEN" "$URL/api/v1/admin/backups/$ID/restore")
code=${out##*$'\n'}
echo "${out%$'\n'*}"
[ "$code" = 200 ] || die "restore refused (HTTP $code): see the problem document above"
step "restored; KV rebuilt"
