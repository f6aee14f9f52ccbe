-- What the home node made of each delegation request (a member node's membership naming
-- one of its own people): confirmed by its own membership envelope, or refused by a rule.
CREATE TABLE delegations (
    request_id   TEXT    PRIMARY KEY,
    scope        TEXT    NOT NULL,
    member       TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('confirmed', 'refused')),
    code         TEXT,
    message      TEXT,
    decided_at   TEXT    NOT NULL
);
