-- Abuse reports (issue 16): public reports of a link, one per link and reporting network
-- (`reporter` is a keyed hash of the network, never an address), and holds for review.
CREATE TABLE abuse_reports (
  id         TEXT PRIMARY KEY,
  link_id    TEXT NOT NULL,
  code       TEXT NOT NULL,
  reason     TEXT NOT NULL CHECK (reason IN ('phishing', 'malware', 'spam', 'illegal', 'other')),
  details    TEXT CHECK (details IS NULL OR length(details) <= 1000),
  contact    TEXT CHECK (contact IS NULL OR length(contact) <= 200),
  reporter   TEXT NOT NULL,
  created_at TEXT NOT NULL,
  handled_at TEXT,
  UNIQUE (link_id, reporter)
);
CREATE INDEX abuse_reports_open ON abuse_reports (link_id, created_at) WHERE handled_at IS NULL;

-- Held for review after independent reports: visitors see a warning with a continue link.
ALTER TABLE links ADD COLUMN held_at TEXT;
