-- The stances on each proposal's current version, one row per member, derived with the
-- proposals table (for "awaiting my stance" without decoding every proposal's state).
CREATE TABLE current_stances (
    root         TEXT    NOT NULL,
    member       TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    PRIMARY KEY (root, member)
) WITHOUT ROWID;
CREATE INDEX current_stances_member ON current_stances (member);
CREATE INDEX proposals_phase ON proposals (phase, circle_id);
