-- API keys get scopes and an optional expiry (issue 12). Expand only: keys made before keep
-- every link scope (what they could do), the previous release ignores both columns.
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'links:read links:write stats:read';
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
