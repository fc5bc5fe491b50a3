-- ops becomes an ordinary rowid table with a unique index on its key.
--
-- As a WITHOUT ROWID table keyed by (collection, doc_id, v), every busy
-- document appended in the middle of one b-tree: each group commit touched
-- that document's leaf, the full leaf's neighbours that SQLite rebalances
-- with it (often another document's), and the parents, whose cells hold
-- whole rows. A commit of 47 ops on 10 documents wrote 32 pages to the WAL.
-- Rows now append at the end of the table, and only the small index entries
-- go in the middle: 23 pages for the same commit, and a cheaper insert.
CREATE TABLE ops_by_rowid (
    collection TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    v          INTEGER NOT NULL CHECK (v >= 0),
    src        TEXT NOT NULL,
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    body       TEXT NOT NULL,
    ts         INTEGER NOT NULL
) STRICT;

INSERT INTO ops_by_rowid (collection, doc_id, v, src, seq, body, ts)
SELECT collection, doc_id, v, src, seq, body, ts FROM ops ORDER BY collection, doc_id, v;

DROP TABLE ops;

ALTER TABLE ops_by_rowid RENAME TO ops;

CREATE UNIQUE INDEX ops_key ON ops (collection, doc_id, v);
