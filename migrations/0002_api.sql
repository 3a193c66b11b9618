-- The link management API: tags, API keys, idempotent retries, optimistic concurrency.

-- Every update bumps the version; ETag/If-Match compare it (a stale write gets 412).
ALTER TABLE links ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- A random id of the last update, so the statements batched after a compare-and-set
-- update can tell whether *that* update won (the version alone cannot: a concurrent
-- writer may have produced the same version number).
ALTER TABLE links ADD COLUMN write_id TEXT;

-- Tags belong to a user (NULL: the service's own namespace). The slug is unique per owner.
CREATE TABLE tags (
  id         TEXT PRIMARY KEY,
  user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
  name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  slug       TEXT NOT NULL,
  color      TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX tags_owner_slug ON tags (ifnull(user_id, ''), slug);

CREATE TABLE link_tags (
  link_id TEXT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
  tag_id  TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (link_id, tag_id)
) WITHOUT ROWID;
-- Filtering a user's links by tag, and merging/deleting tags.
CREATE INDEX link_tags_tag ON link_tags (tag_id, link_id);

-- API keys: only the SHA-256 of the secret is stored (the secret is shown once, at creation).
CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  key_hash     TEXT NOT NULL UNIQUE,
  -- The first characters of the secret, so a user can tell keys apart in a list.
  prefix       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at DESC);

-- Idempotency-Key on POST: the first response is kept and replayed to retries.
CREATE TABLE idempotency_keys (
  owner        TEXT NOT NULL,          -- user id, or '' for the service itself
  key          TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,          -- SHA-256 of method, path and body
  status       INTEGER,                -- NULL while the first request is in flight
  body         TEXT,
  created_at   TEXT NOT NULL,
  PRIMARY KEY (owner, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Owner-scoped lookups by code (bulk tag, ownership checks) and by workspace.
CREATE INDEX links_user_code ON links (user_id, code);
CREATE INDEX links_workspace ON links (workspace_id) WHERE workspace_id IS NOT NULL;

-- Keyset pagination walks (created_at, id) and (click_count, id) both descending; the
-- indexes of 0001 had id ascending, which forced a sort step for the tie-breaker.
DROP INDEX links_user_created;
DROP INDEX links_user_clicks;
CREATE INDEX links_user_created ON links (user_id, created_at DESC, id DESC);
CREATE INDEX links_user_clicks ON links (user_id, click_count DESC, id DESC);
