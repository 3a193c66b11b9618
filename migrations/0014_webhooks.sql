-- Webhooks (issue 15): endpoints per user, the events their links raise, and the log of
-- every delivery attempt. Expand-only: new tables and triggers.

-- An endpoint: where a user's events go. `secret` signs them (Standard Webhooks); during a
-- rotation the previous secret signs too, until `previous_secret_until`.
CREATE TABLE webhook_endpoints (
  id                    TEXT PRIMARY KEY,
  user_id               TEXT REFERENCES users (id) ON DELETE CASCADE,
  -- A workspace's endpoint: every link in it, whoever's (its owner must be a member);
  -- NULL: every link of its owner.
  workspace_id          TEXT,
  url                   TEXT NOT NULL,
  description           TEXT,
  -- JSON array of event types.
  events                TEXT NOT NULL,
  secret                TEXT NOT NULL,
  previous_secret       TEXT,
  previous_secret_until TEXT,
  enabled               INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  disabled_reason       TEXT,
  consecutive_failures  INTEGER NOT NULL DEFAULT 0,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  last_success_at       TEXT,
  last_failure_at       TEXT,
  last_failure_reason   TEXT
);
CREATE INDEX webhook_endpoints_user ON webhook_endpoints (user_id);

-- The outbox and event log: every event is written in the same transaction as the change
-- that raised it (the triggers below, for every writer of `links`), so none is lost
-- between a write and its delivery. The dispatcher claims undispatched events (a lease:
-- `claimed_until`, Unix ms), hands one delivery per endpoint to the queue, and marks them
-- dispatched. Kept for days (WEBHOOK_EVENT_RETENTION_DAYS), so a re-enabled endpoint gets
-- what it missed and a redelivery carries the same id.
CREATE TABLE webhook_events (
  id            TEXT PRIMARY KEY,
  type          TEXT NOT NULL,
  user_id       TEXT,
  workspace_id  TEXT,
  link_id       TEXT,
  -- Only this endpoint (a test event), instead of every subscribed one.
  endpoint_id   TEXT,
  data          TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  claimed_until INTEGER,
  dispatched_at TEXT
);
CREATE INDEX webhook_events_pending ON webhook_events (created_at) WHERE dispatched_at IS NULL;
CREATE INDEX webhook_events_created ON webhook_events (created_at);

-- Every delivery attempt: what the endpoint's owner sees (`GET …/deliveries`).
CREATE TABLE webhook_deliveries (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint_id TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  event_type  TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  -- delivered | failed | skipped (endpoint disabled) | dead (retries exhausted)
  outcome     TEXT NOT NULL,
  status      INTEGER,
  latency_ms  INTEGER,
  error       TEXT,
  at          TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id, endpoint_id);

-- Link events, raised by the write itself: only for links someone listens to (their owner's
-- endpoint or their workspace's; a disabled one: it gets what it missed when enabled again), and not while a restore writes the
-- links back. Updates are what bumps `version` (every
-- change of the link's representation; clicks do not).
CREATE TRIGGER webhook_link_created AFTER INSERT ON links
WHEN EXISTS (SELECT 1 FROM webhook_endpoints e
  WHERE e.user_id IS new.user_id OR e.workspace_id = new.workspace_id)
  AND NOT EXISTS (SELECT 1 FROM operations WHERE name = 'restore' AND state = 'running')
BEGIN
  INSERT INTO webhook_events (id, type, user_id, workspace_id, link_id, data, created_at)
  VALUES ('msg_' || lower(hex(randomblob(16))), 'link.created', new.user_id, new.workspace_id, new.id,
    json_object(
      'id', new.id, 'code', new.code, 'url', new.url, 'title', new.title,
      'description', new.description,
      'is_active', json(CASE WHEN new.is_active THEN 'true' ELSE 'false' END),
      'has_password', json(CASE WHEN new.password_hash IS NULL THEN 'false' ELSE 'true' END),
      'max_clicks', new.max_clicks, 'expires_at', new.expires_at,
      'workspace_id', new.workspace_id, 'redirect_status', new.redirect_status,
      'blocked', json(CASE WHEN new.blocked_reason IS NULL THEN 'false' ELSE 'true' END),
      'version', new.version, 'created_at', new.created_at, 'updated_at', new.updated_at),
    strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER webhook_link_updated AFTER UPDATE OF version ON links
WHEN EXISTS (SELECT 1 FROM webhook_endpoints e
  WHERE e.user_id IS new.user_id OR e.workspace_id = new.workspace_id)
  AND NOT EXISTS (SELECT 1 FROM operations WHERE name = 'restore' AND state = 'running')
BEGIN
  INSERT INTO webhook_events (id, type, user_id, workspace_id, link_id, data, created_at)
  VALUES ('msg_' || lower(hex(randomblob(16))), 'link.updated', new.user_id, new.workspace_id, new.id,
    json_object(
      'id', new.id, 'code', new.code, 'url', new.url, 'title', new.title,
      'description', new.description,
      'is_active', json(CASE WHEN new.is_active THEN 'true' ELSE 'false' END),
      'has_password', json(CASE WHEN new.password_hash IS NULL THEN 'false' ELSE 'true' END),
      'max_clicks', new.max_clicks, 'expires_at', new.expires_at,
      'workspace_id', new.workspace_id, 'redirect_status', new.redirect_status,
      'blocked', json(CASE WHEN new.blocked_reason IS NULL THEN 'false' ELSE 'true' END),
      'version', new.version, 'created_at', new.created_at, 'updated_at', new.updated_at),
    strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER webhook_link_deleted AFTER DELETE ON links
WHEN EXISTS (SELECT 1 FROM webhook_endpoints e
  WHERE e.user_id IS old.user_id OR e.workspace_id = old.workspace_id)
  AND NOT EXISTS (SELECT 1 FROM operations WHERE name = 'restore' AND state = 'running')
BEGIN
  INSERT INTO webhook_events (id, type, user_id, workspace_id, link_id, data, created_at)
  VALUES ('msg_' || lower(hex(randomblob(16))), 'link.deleted', old.user_id, old.workspace_id, old.id,
    json_object(
      'id', old.id, 'code', old.code, 'url', old.url, 'title', old.title,
      'description', old.description,
      'is_active', json(CASE WHEN old.is_active THEN 'true' ELSE 'false' END),
      'has_password', json(CASE WHEN old.password_hash IS NULL THEN 'false' ELSE 'true' END),
      'max_clicks', old.max_clicks, 'expires_at', old.expires_at,
      'workspace_id', old.workspace_id, 'redirect_status', old.redirect_status,
      'blocked', json(CASE WHEN old.blocked_reason IS NULL THEN 'false' ELSE 'true' END),
      'version', old.version, 'created_at', old.created_at, 'updated_at', old.updated_at),
    strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
