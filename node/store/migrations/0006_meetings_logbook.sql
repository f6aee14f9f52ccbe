-- Meetings and the logbook, derived from the circle order like the proposals table.

CREATE TABLE meetings (
    id           TEXT    PRIMARY KEY,            -- the schedule envelope's id
    circle_id    TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    starts       TEXT    NOT NULL,
    agenda       BLOB    NOT NULL,               -- JSON list of agenda items
    minutes_id   TEXT,                           -- the minutes envelope, once written
    updated_at   TEXT    NOT NULL
);
CREATE INDEX meetings_circle ON meetings (circle_id, starts);

-- The logbook: each circle's hash-chained record of what it decided, selected, set as
-- policy and minuted, in the circle order. Every node that applied the same order holds
-- the same chain, so equal heads mean equal logbooks.
CREATE TABLE logbook (
    scope        TEXT    NOT NULL,
    n            INTEGER NOT NULL,
    pos          INTEGER NOT NULL,
    envelope_id  TEXT    NOT NULL,
    kind         TEXT    NOT NULL,               -- decision | selection | policy | minutes
    at           TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    prev         TEXT,
    PRIMARY KEY (scope, n)
) WITHOUT ROWID;

-- One row per election (selection by consent): its state after the last applied event.
CREATE TABLE selections (
    id           TEXT    PRIMARY KEY,            -- the open envelope's id
    circle_id    TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    phase        TEXT    NOT NULL,
    candidate    TEXT,
    selected     TEXT,
    term_start   TEXT,
    term_end     TEXT,
    updated_at   TEXT    NOT NULL,
    state        BLOB    NOT NULL
);
CREATE INDEX selections_circle ON selections (circle_id, updated_at);

-- The salt and nominee of this node's members' sealed nominations, kept until they are
-- revealed. Local only: never exported to peers.
CREATE TABLE nomination_secrets (
    nomination_id TEXT   PRIMARY KEY,
    nominee      TEXT    NOT NULL,
    salt         TEXT    NOT NULL
);
