"""Hooks for schemathesis (tests/integration/schemathesis.test.mjs loads them).

A few of the API's rules depend on time or on what exists, which no JSON Schema can state.
For the requests schemathesis means to be valid (positive cases only; the invalid ones are
left as generated), these hooks make those parts true, so that every other rule is still
checked against the document both ways:

- `expires_at` must be in the future: a past instant becomes one a year ahead.
- An `Idempotency-Key` remembers its first request for 24 hours: every call gets a fresh
  key, or a generated key that repeats across cases would be "reused with another body".
- `cursor` and `after` are opaque tokens the API issued: an invented one is dropped.
- A stats range must have `from` before `to` and span at most 3,660 days, a list's
  `created_from` must be before `created_to`, `sort=-…` cannot go with `order=asc`, and `tz`
  must be a zone the runtime knows: otherwise the first of each pair (or `tz`) is dropped.
  QR colours need a contrast of 3:1: otherwise both are dropped.
- Workspaces and their members must exist: `workspace_id` names the workspace the acting
  user belongs to, and `members` the users the test created (ULOAD_ST_* variables).
- A target must be a URL the WHATWG parser accepts with a host DNS can hold: the schema
  states its shape (http:// or https://, then something), the worker the rest. A positive
  case's URL outside a plainly valid subset becomes one inside it.
- A `name/code` must carry the acting user's own username; a `version` sent back must be
  the link's current one, and so must `If-Match` (optimistic concurrency): a positive
  case's are left out.
- `X-Uload-User` is declared on every user-acting operation: a positive case acts for the
  user the test created (ULOAD_ST_ACTING), as the dashboard does; any other well-formed id
  names nobody (a 422).
- The acting user stays who they are: the stateful phase finds their id in responses and
  would rename or delete them mid-run, so calls to `/api/v1/users/{acting user}` go to a
  scratch user instead (deleting and renaming are tested on that one).
"""

import os
import re
import uuid
import zoneinfo
from datetime import datetime, timedelta, timezone

import schemathesis

WORKSPACE = os.environ.get("ULOAD_ST_WORKSPACE", "crew")
ACTING = os.environ.get("ULOAD_ST_ACTING", "")
USERNAME = os.environ.get("ULOAD_ST_USERNAME", "")
SCRATCH = "stscratch000001"
MEMBERS = [m for m in os.environ.get("ULOAD_ST_USERS", "").split(",") if m]
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
HEX = re.compile(r"^#?[0-9A-Fa-f]{6}$")
PLAIN_URL = re.compile(r"^\s*[Hh][Tt][Tt][Pp][Ss]?://([a-z0-9-]{1,20}\.){1,3}[a-z]{2,10}(/[A-Za-z0-9._~-]{0,40})*\s*$")
URL_FIELDS = ("url", "ios_url", "android_url", "og_image")


def plain(value):
    return value if not isinstance(value, str) or PLAIN_URL.match(value) else "https://example.com/st"


def plain_urls(item):
    if not isinstance(item, dict):
        return
    for k in URL_FIELDS:
        if k in item:
            item[k] = plain(item[k])
    if isinstance(item.get("geo"), dict):
        item["geo"] = {c: plain(u) for c, u in item["geo"].items()}


def positive(case) -> bool:
    meta = getattr(case, "meta", None) or getattr(case, "_meta", None)
    return meta is None or meta.generation.mode.is_positive


def parse_time(value):
    if not isinstance(value, str):
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        t = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return t if t.tzinfo else None
    except ValueError:
        return None


ZONES = zoneinfo.available_timezones()


def known_zone(tz: str) -> bool:
    tz = tz.strip()
    m = re.fullmatch(r"[+-]([0-9]{1,2})(?::([0-9]{2}))?", tz)
    if m:
        return int(m.group(1)) <= 14 and int(m.group(2) or 0) < 60
    return tz in ZONES or tz == "Z" or tz.lower() == "utc"


def luminance(hex6: str) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    h = hex6.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    x, y = luminance(a), luminance(b)
    return (max(x, y) + 0.05) / (min(x, y) + 0.05)


def future_expiry(obj):
    if isinstance(obj, dict):
        t = parse_time(obj.get("expires_at"))
        if t is not None and t <= datetime.now(timezone.utc) + timedelta(minutes=5):
            obj["expires_at"] = (datetime.now(timezone.utc) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for link in obj.get("links") or []:
            future_expiry(link)


@schemathesis.hook
def before_call(context, case, kwargs):
    if ACTING and case.path == "/api/v1/users/{id}" and (case.path_parameters or {}).get("id") == ACTING:
        case.path_parameters["id"] = SCRATCH
    if case.headers is not None:
        for name in list(case.headers):
            if name.lower() == "idempotency-key" and isinstance(case.headers[name], str) and KEY.match(case.headers[name]):
                case.headers[name] = str(uuid.uuid4())
    if not positive(case):
        return
    if ACTING and case.path.startswith("/api/v1/") and not case.path.startswith("/api/v1/admin"):
        # The declared X-Uload-User: a valid call acts for the user the test created (any
        # other id is unknown, a 422); invalid values stay in the negative cases.
        if case.headers is None:
            case.headers = {}
        for name in [n for n in case.headers if n.lower() == "x-uload-user"]:
            del case.headers[name]
        case.headers["X-Uload-User"] = ACTING
    if case.headers is not None and case.path == "/api/v1/links/{id}":
        for name in list(case.headers):
            if name.lower() == "if-match":
                del case.headers[name]
    query = case.query if isinstance(case.query, dict) else None
    if query is not None:
        # Every query parameter is one value; the stateful phase sometimes feeds a list
        # from a response (`ids`) into one, which the worker rightly refuses.
        for k in [k for k, v in query.items() if isinstance(v, list)]:
            del query[k]
        if query.get("tag_id") == "":
            del query["tag_id"]
        for opaque in ("cursor", "after"):
            if isinstance(query.get(opaque), str):
                del query[opaque]
        start, end = parse_time(query.get("from")), parse_time(query.get("to"))
        if start and (start >= (end or datetime.now(timezone.utc)) or ((end or datetime.now(timezone.utc)) - start).days > 3650):
            del query["from"]
        start, end = parse_time(query.get("created_from")), parse_time(query.get("created_to"))
        if start and end and start >= end:
            del query["created_from"]
        if str(query.get("sort", "")).startswith("-") and query.get("order") == "asc":
            del query["order"]
        if isinstance(query.get("tz"), str) and not known_zone(query["tz"]):
            del query["tz"]
        fg, bg = query.get("color", "000000"), query.get("background", "ffffff")
        if isinstance(fg, str) and isinstance(bg, str) and HEX.match(fg) and HEX.match(bg) and contrast(fg, bg) < 3:
            query.pop("color", None)
            query.pop("background", None)
    body = case.body
    if isinstance(body, dict):
        future_expiry(body)
        if not case.path.startswith("/api/v1/webhooks"):
            for item in [body, *(body["links"] if isinstance(body.get("links"), list) else [])]:
                plain_urls(item)
        if case.method.upper() == "PATCH" and case.path == "/api/v1/links/{id}":
            body.pop("version", None)
        for item in [body, *(body.get("links") or [])] if isinstance(body.get("links"), list) else [body]:
            if isinstance(item, dict) and isinstance(item.get("code"), str) and "/" in item["code"] and USERNAME:
                item["code"] = USERNAME + "/" + item["code"].split("/", 1)[1]
        if isinstance(body.get("workspace_id"), str):
            body["workspace_id"] = WORKSPACE
        if MEMBERS and isinstance(body.get("members"), list) and all(isinstance(m, str) for m in body["members"]):
            body["members"] = MEMBERS[: max(1, min(len(body["members"]), len(MEMBERS)))]
