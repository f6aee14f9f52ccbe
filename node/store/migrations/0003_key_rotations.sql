-- Key rotations this node knows of: a projection of the key.rotate envelopes it holds
-- (its own and its peers'), rebuilt from the log like the other read tables. A rotated
-- id signs nothing new: its later envelopes and requests are refused.

CREATE TABLE key_rotations (
    old_id       TEXT    PRIMARY KEY,           -- the retired node id (the envelope's author)
    new_id       TEXT    NOT NULL,              -- its successor (body.new_key)
    envelope_id  TEXT    NOT NULL,              -- the first key.rotate that said so
    ts           TEXT    NOT NULL               -- that envelope's ts (informational)
);
CREATE INDEX key_rotations_new ON key_rotations (new_id);
