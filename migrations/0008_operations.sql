-- Restore mode (issue 19): recorded in D1, which an empty database also has once migrated.
-- One row per operation; 'restore' is the only one: pending (an operator asked for restore
-- mode), running (a restore is writing) or off (an empty database that is meant to be empty).
-- Not backed up: it describes this database, not the data.
CREATE TABLE operations (
  name       TEXT PRIMARY KEY,
  state      TEXT NOT NULL CHECK (state IN ('pending', 'running', 'off')),
  updated_at TEXT NOT NULL
);

-- Usernames a user gave up (renamed or deleted): held for that user for a while, so nobody
-- else takes the name and with it the user's /u/{name}/ paths or bio page.
CREATE TABLE username_holds (
  username    TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  released_at TEXT NOT NULL
);
