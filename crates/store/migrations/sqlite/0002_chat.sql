-- Chat messages, one row each, kept per room. `id` is chosen by the room
-- task (random), so a write needs no round trip for a generated key.
CREATE TABLE chat_messages (
    room        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    id          TEXT NOT NULL,
    participant TEXT NOT NULL,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (room, at, id)
) STRICT, WITHOUT ROWID;
