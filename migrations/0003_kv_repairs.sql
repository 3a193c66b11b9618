-- Codes whose KV record may disagree with D1: written before every KV change and removed
-- once KV has it, so a failed KV write (or an isolate that died before it) is repaired by
-- the scheduled reconcile job, which rewrites each code's record from D1.
CREATE TABLE kv_repairs (
  code       TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
) WITHOUT ROWID;
