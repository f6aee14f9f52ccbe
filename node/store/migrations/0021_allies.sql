-- Allies (docs/admin.md, "Allies"): people who signed up on the public site to help
-- (call, march, testify, host). Personal data of people who are not members: it is the
-- node's own, never put in an envelope, an export of envelopes or the OSDI API.

-- One entry per address (lower case): signing up again updates it.
CREATE TABLE allies (
    id            INTEGER PRIMARY KEY,
    address       TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    town          TEXT    NOT NULL,
    can_call      INTEGER NOT NULL DEFAULT 0,
    can_march     INTEGER NOT NULL DEFAULT 0,
    can_testify   INTEGER NOT NULL DEFAULT 0,
    can_host      INTEGER NOT NULL DEFAULT 0,
    note          TEXT    NOT NULL DEFAULT '',
    signed_up_at  TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    invited_at    TEXT,
    invited_by    TEXT,
    invited_as    TEXT
);
CREATE INDEX allies_signed_up ON allies (signed_up_at);

-- What each person was shown when they agreed (the words and their version) and when:
-- one row per sign-up. Erasing a person sets `address` to NULL and `erased_at`: the
-- salted hash of the address and the dates stay, as proof of consent and of erasure.
CREATE TABLE ally_consents (
    id           INTEGER PRIMARY KEY,
    address      TEXT,
    address_hash TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    words        TEXT    NOT NULL,
    given_at     TEXT    NOT NULL,
    erased_at    TEXT
);
CREATE INDEX ally_consents_address ON ally_consents (address) WHERE address IS NOT NULL;
CREATE INDEX ally_consents_hash ON ally_consents (address_hash);

-- The node's salt for those hashes, made once with the table: without it a hash cannot
-- be matched against a list of guessed addresses.
CREATE TABLE ally_salt (
    salt TEXT NOT NULL
);
INSERT INTO ally_salt (salt) VALUES (lower(hex(randomblob(16))));
