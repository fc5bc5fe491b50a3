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

-- Finds a resubmitted op by its (src, seq) to acknowledge it instead of applying it twice.
CREATE INDEX ops_by_src_seq ON ops (collection, doc_id, src, seq);

CREATE TABLE snapshots (
    collection TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    v          BIGINT NOT NULL CHECK (v >= 0),
    doc_type   TEXT,
    data       TEXT,
    PRIMARY KEY (collection, doc_id)
);
