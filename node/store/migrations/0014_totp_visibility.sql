-- A member's second factor of logging in (TOTP, RFC 6238). The secret lives here alone,
-- never in a log; until the member confirms it with a code (confirmed_at), logging in
-- does not ask for one. last_step is the time step of the last code taken, so that no
-- code is taken twice. Clearing the row turns the second factor off.
CREATE TABLE member_totp (
    handle       TEXT    PRIMARY KEY REFERENCES members (handle),
    secret       TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    confirmed_at TEXT,
    last_step    INTEGER NOT NULL DEFAULT 0
);

-- Who reads what happens in a circle this node is home of: its members only, or everyone
-- with an account on this node. A setting of this node, outside the circle's signed
-- charter, so not a projection: `nst admin rebuild` keeps it. No row: members only.
CREATE TABLE circle_visibility (
    circle_id    TEXT    PRIMARY KEY,
    visibility   TEXT    NOT NULL CHECK (visibility IN ('members', 'organization')),
    changed_at   TEXT    NOT NULL
);
