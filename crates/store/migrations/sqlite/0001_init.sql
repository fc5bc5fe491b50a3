-- One row per operation: `v` is the version the op applies to.
-- WITHOUT ROWID clusters rows by key, so loading a document's ops is a single
-- range scan; STRICT turns a wrongly typed value into an error instead of a
-- silently stored surprise.
CREATE TABLE ops (
    collection TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    v          INTEGER NOT NULL CHECK (v >= 0),
    src        TEXT NOT NULL,
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    body       TEXT NOT NULL,
    ts         INTEGER NOT NULL,
    PRIMARY KEY (collection, doc_id, v)
) STRICT, WITHOUT ROWID;

-- No index on (src, seq): the sync layer finds a resubmitted op among the ops
-- after its base version, which the primary key serves. No query used the
-- index, yet every append paid to update it (over a third of an append's CPU
-- on SQLite). It was removed from this migration before any deployment, so no
-- later migration needs to drop it.

-- Snapshots hold whole documents, which can be large: an ordinary rowid table
-- keeps them out of the primary-key b-tree.
CREATE TABLE snapshots (
    collection TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    v          INTEGER NOT NULL CHECK (v >= 0),
    doc_type   TEXT,
    data       TEXT,
    PRIMARY KEY (collection, doc_id)
) STRICT;
