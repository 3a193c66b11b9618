-- The PocketBase import (issue 17).
-- Every record an import inserted, by its source (`links:{pocketbase id}`, `clicks:{id}`, …):
-- a later run inserts only records it has not seen, so clicks that retention deleted since,
-- or links their owners deleted, never come back, and nothing is counted twice.
CREATE TABLE import_ledger (
  key         TEXT PRIMARY KEY,
  imported_at TEXT NOT NULL
) WITHOUT ROWID;

-- What uLoad had counted against a link's max_clicks before the import: the reconcile job
-- seeds the link's click counter with it (never lowering it), then clears it.
ALTER TABLE links ADD COLUMN limit_seed INTEGER CHECK (limit_seed IS NULL OR limit_seed > 0);
