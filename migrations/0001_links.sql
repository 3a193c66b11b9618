-- Links: uLoad's link model, so its PocketBase data imports without loss.
-- Times are ISO 8601 UTC text with milliseconds (sortable as text).

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  display_name  TEXT,
  bio           TEXT,
  profile_public INTEGER NOT NULL DEFAULT 1 CHECK (profile_public IN (0, 1)),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

CREATE TABLE links (
  id              TEXT PRIMARY KEY,
  -- '' is the default short domain; codes are unique per domain and case-sensitive.
  domain          TEXT NOT NULL DEFAULT '',
  code            TEXT NOT NULL,
  url             TEXT NOT NULL CHECK (length(url) <= 8192),
  title           TEXT CHECK (title IS NULL OR length(title) <= 200),
  description     TEXT CHECK (description IS NULL OR length(description) <= 500),
  is_active       INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  -- Only ever a salted slow hash (PHC string), never the password itself.
  password_hash   TEXT,
  max_clicks      INTEGER CHECK (max_clicks IS NULL OR max_clicks > 0),
  expires_at      TEXT,
  click_count     INTEGER NOT NULL DEFAULT 0,
  last_clicked_at TEXT,
  utm_source      TEXT,
  utm_medium      TEXT,
  utm_campaign    TEXT,
  user_id         TEXT REFERENCES users (id) ON DELETE CASCADE,
  workspace_id    TEXT,
  redirect_status INTEGER NOT NULL DEFAULT 302 CHECK (redirect_status IN (301, 302, 307, 308)),
  forward_query   INTEGER NOT NULL DEFAULT 1 CHECK (forward_query IN (0, 1)),
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);

-- BINARY collation: codes compare case-sensitively, as in uLoad.
CREATE UNIQUE INDEX links_domain_code ON links (domain, code);
-- The dashboard lists a user's links newest first or by clicks.
CREATE INDEX links_user_created ON links (user_id, created_at DESC, id);
CREATE INDEX links_user_clicks ON links (user_id, click_count DESC, id);
