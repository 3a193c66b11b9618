-- Workspaces and their members (issue 12): a link may live under /w/{slug}/ only if its
-- owner belongs to that workspace. Managed by the dashboard's server (service token).
-- Links keep naming their workspace by slug in links.workspace_id (the path segment).
CREATE TABLE workspaces (
  slug       TEXT PRIMARY KEY CHECK (length(slug) BETWEEN 1 AND 50),
  name       TEXT CHECK (name IS NULL OR length(name) <= 100),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE workspace_members (
  workspace_slug TEXT NOT NULL REFERENCES workspaces (slug) ON DELETE CASCADE,
  user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (workspace_slug, user_id)
) WITHOUT ROWID;
CREATE INDEX workspace_members_user ON workspace_members (user_id);
