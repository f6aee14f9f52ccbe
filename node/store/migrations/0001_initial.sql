-- The event log (source of truth), feed heads, evidence, local accounts, projections.

CREATE TABLE envelopes (
    rowid       INTEGER PRIMARY KEY,          -- local arrival order
    id          TEXT    NOT NULL UNIQUE,
    author      TEXT    NOT NULL,
    scope       TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT,
    ts          TEXT    NOT NULL,
    header      BLOB    NOT NULL,             -- canonical envelope without body, sig included
    body        BLOB,                         -- canonical body; NULL once retracted
    received_at TEXT    NOT NULL,
    UNIQUE (author, scope, seq)
);
CREATE INDEX envelopes_scope ON envelopes (scope, rowid);

CREATE TABLE feeds (
    author      TEXT    NOT NULL,
    scope       TEXT    NOT NULL,
    head_seq    INTEGER NOT NULL,
    head_id     TEXT    NOT NULL,
    frozen      INTEGER NOT NULL DEFAULT 0,   -- 1 after equivocation: nothing more accepted
    PRIMARY KEY (author, scope)
);

CREATE TABLE equivocations (
    id          TEXT    PRIMARY KEY,          -- the second envelope's id
    held_id     TEXT    NOT NULL REFERENCES envelopes (id),
    author      TEXT    NOT NULL,
    scope       TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    envelope    BLOB    NOT NULL,             -- the whole second envelope, as evidence
    detected_at TEXT    NOT NULL
);

CREATE TABLE members (
    handle        TEXT    PRIMARY KEY,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('member', 'admin')),
    password_hash TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL
);

-- Projections: rebuilt from the event log by `nst admin rebuild`.
CREATE TABLE circles (
    id          TEXT    PRIMARY KEY,
    home        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    aim         TEXT    NOT NULL,
    domain      TEXT    NOT NULL,
    parent      TEXT,
    federated   INTEGER NOT NULL,
    silence     TEXT    NOT NULL,
    round_hours INTEGER NOT NULL,
    envelope_id TEXT    NOT NULL REFERENCES envelopes (id)
);

CREATE TABLE circle_members (
    circle_id   TEXT    NOT NULL REFERENCES circles (id),
    member      TEXT    NOT NULL,             -- handle@node or a node id
    status      TEXT    NOT NULL,
    roles       TEXT    NOT NULL,             -- JSON array
    term_end    TEXT,
    envelope_id TEXT    NOT NULL REFERENCES envelopes (id),
    PRIMARY KEY (circle_id, member)
);

CREATE TABLE kind_counts (
    kind        TEXT    PRIMARY KEY,
    n           INTEGER NOT NULL
);
