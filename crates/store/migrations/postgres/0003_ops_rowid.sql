-- SQLite's 0003 turns its WITHOUT ROWID ops table into a heap with a unique
-- index on the key. PostgreSQL's ops table has been that from the start (a
-- heap and its primary-key index), so the schema does not change here; the
-- comment records the layout both backends now share.
COMMENT ON TABLE ops IS 'One row per operation, appended; unique on (collection, doc_id, v).';
