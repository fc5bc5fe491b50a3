-- One row per operation: `v` is the version the op applies to.
CREATE TABLE ops (
    collection TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    v          BIGINT NOT NULL CHECK (v >= 0),
    src        TEXT NOT NULL,
    seq        BIGINT NOT NULL CHECK (seq >= 0),
    body       TEXT NOT NULL,
    ts         BIGINT NOT NULL,
    PRIMARY KEY (collection, doc_id, v)
);

-- No index on (src, seq): the sync layer finds a resubmitted op among the ops
-- after its base version, which the primary key serves. No query used the
-- index, yet every append paid to update it (over a third of an append's CPU
-- on SQLite). It was removed from this migration before any deployment, so no
-- later migration needs to drop it.

CREATE TABLE snapshots (
    collection TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    v          BIGINT NOT NULL CHECK (v >= 0),
    doc_type   TEXT,
    data       TEXT,
    PRIMARY KEY (collection, doc_id)
);
