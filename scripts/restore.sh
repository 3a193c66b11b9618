#!/usr/bin/env bash
# Restores a backup into the (empty, migrated) D1 of a running worker and rebuilds its KV.
#   scripts/restore.sh [--yes] [BACKUP_ID]
# Without an id it takes the backup the worker marks as default: the newest one that is
# not empty nor shrunken (an emptied database backed up by the cron is never chosen).
# It shows what it is about to restore (date, links and rows per table) and asks; --yes
# skips the question (for scripts). UL_URL: the worker (default http://127.0.0.1:8787);
# ADMIN_TOKEN: its admin token (default: from .dev.vars). Exits non-zero on any refusal.
. "$(dirname "$0")/lib.sh"
YES=""
ID=""
for arg in "$@"; do
  case "$arg" in
    --yes|-y) YES=1 ;;
    -*) die "unknown option $arg (usage: scripts/restore.sh [--yes] [BACKUP_ID])" ;;
    *) ID="$arg" ;;
  esac
done
URL="${UL_URL:-http://127.0.0.1:8787}"
TOKEN="${ADMIN_TOKEN:-$(grep '^ADMIN_TOKEN=' .dev.vars 2>/dev/null | cut -d= -f2-)}"
[ -n "$TOKEN" ] || die "set ADMIN_TOKEN (or run scripts/setup.sh for a local .dev.vars)"
command -v curl >/dev/null || die "missing: curl"

step "reading the backups at $URL"
LIST=$(curl -fsS -H "authorization: Bearer $TOKEN" "$URL/api/v1/admin/backups") \
  || die "could not list the backups (is the worker at $URL, and ADMIN_TOKEN its admin token?)"
# Prints every backup, then the chosen one's id on the last line (or fails).
CHOSEN=$(WANT="$ID" node -e '
let s = "";
process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const backups = JSON.parse(s).data;
  const want = process.env.WANT;
  for (const b of backups) {
    const mark = (want ? b.id === want : b.default) ? "->" : "  ";
    console.error(`${mark} ${b.id}  ${String(b.links).padStart(7)} links${b.suspect ? "  (" + b.suspect + ")" : ""}`);
  }
  const pick = want ? backups.find((b) => b.id === want) : backups.find((b) => b.default);
  if (!pick) {
    console.error(want ? `no backup ${want}` : "no backup fit to restore (all are empty or shrunken): name one explicitly");
    process.exit(1);
  }
  console.error(`\nabout to restore backup ${pick.id}, made ${pick.created_at}:`);
  for (const t of pick.tables) console.error(`  ${t.name.padEnd(18)} ${String(t.rows).padStart(8)} rows`);
  if (pick.suspect) console.error(`  WARNING: this backup is ${pick.suspect}`);
  console.log(pick.id);
});' <<<"$LIST") || die "nothing restored"

if [ -z "$YES" ]; then
  printf 'restore it into the database behind %s? type yes to continue: ' "$URL" >&2
  read -r answer || answer=""
  [ "$answer" = yes ] || die "nothing restored (answer was not yes)"
fi

step "restoring backup $CHOSEN (every part is verified before anything is written)"
out=$(curl -sS -w '\n%{http_code}' -X POST -H "authorization: Bearer $TOKEN" "$URL/api/v1/admin/backups/$CHOSEN/restore")
code=${out##*$'\n'}
echo "${out%$'\n'*}"
[ "$code" = 200 ] || die "restore refused (HTTP $code): see the problem document above"
step "restored; KV rebuilt; restore mode is off again"
