-- Click analytics. Redirects send one event per click to a queue; its consumer writes them
-- here in batches. No IP address is ever stored: `visitor_hash` is a salted SHA-256 of
-- IP + User-Agent whose salt changes every UTC day (see crates/core/src/click.rs).

-- Bots (crawlers, link previewers, uptime checkers) are counted apart from people.
ALTER TABLE links ADD COLUMN bot_click_count INTEGER NOT NULL DEFAULT 0;

-- Raw clicks, kept CLICK_RETENTION_DAYS (the daily cron deletes older ones).
CREATE TABLE clicks (
  -- The event's id, drawn by the redirect: a redelivered event is ignored (exactly once).
  id            TEXT PRIMARY KEY,
  link_id       TEXT NOT NULL,
  clicked_at    TEXT NOT NULL,            -- ISO 8601 UTC with milliseconds
  visitor_hash  TEXT,                     -- NULL when no salt is configured
  browser       TEXT NOT NULL,
  os            TEXT NOT NULL,
  device_type   TEXT NOT NULL,            -- desktop | mobile | tablet | bot | other
  is_bot        INTEGER NOT NULL CHECK (is_bot IN (0, 1)),
  referer_host  TEXT,
  country       TEXT,
  city          TEXT,
  utm_source    TEXT,
  utm_medium    TEXT,
  utm_campaign  TEXT,
  utm_term      TEXT,
  utm_content   TEXT,
  -- 1 from insertion until the click is in the rollups and the link's counts. Inserting
  -- and counting are separate steps, so a consumer that dies between them leaves pending
  -- rows that the next batch counts, once.
  pending       INTEGER NOT NULL DEFAULT 1 CHECK (pending IN (0, 1)),
  -- 1 on a person's first click of the (UTC) day on this link: unique visitors per day.
  new_visitor   INTEGER NOT NULL DEFAULT 0 CHECK (new_visitor IN (0, 1))
);
CREATE INDEX clicks_link_time ON clicks (link_id, clicked_at, id);
CREATE INDEX clicks_time ON clicks (clicked_at);
CREATE INDEX clicks_pending ON clicks (link_id) WHERE pending = 1;

-- Visitors seen per link and UTC day: only to tell a first visit of the day from a repeat.
-- Rows older than two days are deleted by the daily cron (the salt of their day is gone).
CREATE TABLE click_visitors (
  link_id      TEXT NOT NULL,
  day          TEXT NOT NULL,             -- YYYY-MM-DD (UTC)
  visitor_hash TEXT NOT NULL,
  PRIMARY KEY (link_id, day, visitor_hash)
) WITHOUT ROWID;

-- Hourly rollups per link (UTC hours), kept forever: every stats query reads these, never
-- the raw clicks. dim '' is the total; the others are the breakdowns of the stats API.
CREATE TABLE click_rollups (
  link_id  TEXT NOT NULL,
  dim      TEXT NOT NULL,                 -- '' | country | city | referrer | browser | os | device
  hour     TEXT NOT NULL,                 -- YYYY-MM-DDTHH (UTC)
  value    TEXT NOT NULL,                 -- '' when unknown (direct traffic, no country)
  clicks   INTEGER NOT NULL DEFAULT 0,    -- people
  bots     INTEGER NOT NULL DEFAULT 0,
  visitors INTEGER NOT NULL DEFAULT 0,    -- first visits of the UTC day (people)
  PRIMARY KEY (link_id, dim, hour, value)
) WITHOUT ROWID;
