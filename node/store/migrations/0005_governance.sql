-- The circle order: the position of each governance envelope in its circle, as the
-- circle's home node accepted it (PROTOCOL.md §13). On the home node it is the node's own
-- ordering; on a member node, the home's, as received. Primary data, like envelopes.
CREATE TABLE circle_order (
    scope        TEXT    NOT NULL,
    pos          INTEGER NOT NULL,
    envelope_id  TEXT    NOT NULL,
    at           TEXT    NOT NULL,               -- the home's clock when it accepted it
    PRIMARY KEY (scope, pos),
    UNIQUE (scope, envelope_id)
) WITHOUT ROWID;

-- Everything below is derived by applying the circle order through the governance state
-- machines; `nst rebuild` recomputes it.

-- How far each circle's order has been applied here.
CREATE TABLE gov_applied (
    scope        TEXT    PRIMARY KEY,
    pos          INTEGER NOT NULL
);

-- The effect of each ordered envelope: applied, refused by a rule (stored, without
-- effect), or disputed (a decision that does not re-verify).
CREATE TABLE gov_effects (
    envelope_id  TEXT    PRIMARY KEY,
    scope        TEXT    NOT NULL,
    pos          INTEGER NOT NULL,
    process      TEXT,                           -- the proposal's root id
    status       TEXT    NOT NULL CHECK (status IN ('applied', 'refused', 'disputed')),
    code         TEXT,
    message      TEXT
);
CREATE INDEX gov_effects_process ON gov_effects (process, pos);

-- One row per proposal: its state after the last applied event.
CREATE TABLE proposals (
    root         TEXT    PRIMARY KEY,
    circle_id    TEXT    NOT NULL,
    proposer     TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    version_id   TEXT    NOT NULL,
    phase        TEXT    NOT NULL,
    deadline     TEXT,
    outcome      TEXT,
    decision_id  TEXT,
    review_date  TEXT,
    review_done  INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT    NOT NULL,
    state        BLOB    NOT NULL                -- the state machine's state (JSON)
);
CREATE INDEX proposals_circle ON proposals (circle_id, updated_at);

-- A decision that failed its re-verification, shown to admins; never adopted.
CREATE TABLE disputes (
    envelope_id  TEXT    PRIMARY KEY,
    scope        TEXT    NOT NULL,
    process      TEXT,
    author       TEXT    NOT NULL,
    code         TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    at           TEXT    NOT NULL
);
