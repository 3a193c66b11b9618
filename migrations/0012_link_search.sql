-- Search over a user's links (`GET /api/v1/links?q=`): a full-text index of title, url,
-- description and code with the trigram tokenizer, so a term matches anywhere inside a word, as the
-- substring search before it did (LIKE '%term%', which read every link of the user), but
-- from the index. It holds no copy of the text (external content: the `links` table), and
-- the triggers below keep it in step with every write; restores and imports insert into
-- `links`, so they fill it too. Expand-only: the previous release never reads it.
CREATE VIRTUAL TABLE links_search USING fts5(
  title, url, description, code,
  content = 'links', content_rowid = 'rowid',
  tokenize = 'trigram'
);

INSERT INTO links_search (links_search) VALUES ('rebuild');

CREATE TRIGGER links_search_insert AFTER INSERT ON links BEGIN
  INSERT INTO links_search (rowid, title, url, description, code)
  VALUES (new.rowid, new.title, new.url, new.description, new.code);
END;

CREATE TRIGGER links_search_delete AFTER DELETE ON links BEGIN
  INSERT INTO links_search (links_search, rowid, title, url, description, code)
  VALUES ('delete', old.rowid, old.title, old.url, old.description, old.code);
END;

CREATE TRIGGER links_search_update AFTER UPDATE OF title, url, description, code ON links BEGIN
  INSERT INTO links_search (links_search, rowid, title, url, description, code)
  VALUES ('delete', old.rowid, old.title, old.url, old.description, old.code);
  INSERT INTO links_search (rowid, title, url, description, code)
  VALUES (new.rowid, new.title, new.url, new.description, new.code);
END;
