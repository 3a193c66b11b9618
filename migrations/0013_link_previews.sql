-- A link's own social preview card (Open Graph / Twitter card): what social crawlers are
-- shown instead of the redirect (src/handlers/redirect.rs). Nullable columns: expand-only,
-- the previous release neither reads nor writes them.
ALTER TABLE links ADD COLUMN og_title TEXT;
ALTER TABLE links ADD COLUMN og_description TEXT;
ALTER TABLE links ADD COLUMN og_image TEXT;
