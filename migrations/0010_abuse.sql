-- Abuse handling (issue 16).
-- Target domains (subdomains included) and terms refused at link creation and edit.
CREATE TABLE abuse_denylist (
  kind       TEXT NOT NULL CHECK (kind IN ('domain', 'term')),
  value      TEXT NOT NULL CHECK (length(value) BETWEEN 1 AND 253),
  reason     TEXT CHECK (reason IS NULL OR length(reason) <= 500),
  created_at TEXT NOT NULL,
  PRIMARY KEY (kind, value)
) WITHOUT ROWID;

-- Every admin action: who, what, on what, when, why.
CREATE TABLE admin_audit (
  id     TEXT PRIMARY KEY,
  at     TEXT NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  reason TEXT
);
CREATE INDEX admin_audit_at ON admin_audit (at);

-- A link disabled for abuse: it answers 451 with the reason's category, whatever else it is.
ALTER TABLE links ADD COLUMN blocked_reason TEXT CHECK (blocked_reason IS NULL OR length(blocked_reason) <= 500);
ALTER TABLE links ADD COLUMN blocked_at TEXT;
