-- The Coalition Brief (docs/admin.md, "The Coalition Brief"): the public's sign-up for
-- the coalition's newsletter, what each person was shown when they signed up, and the
-- issues editors send. All of it is the node's own and never leaves it on the wire.

-- A subscriber: waiting for their confirmation (confirmed_at NULL; gone after 48 hours)
-- or subscribed. `address` is lower case; `interests` a JSON list of public campaign
-- ids. Ids are never reused (AUTOINCREMENT): a link names a subscriber by its id.
CREATE TABLE brief_subscribers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    address      TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL DEFAULT '',
    town         TEXT    NOT NULL DEFAULT '',
    interests    TEXT    NOT NULL DEFAULT '[]',
    signed_up_at TEXT    NOT NULL,
    confirmed_at TEXT
);
CREATE INDEX brief_subscribers_waiting ON brief_subscribers (signed_up_at)
    WHERE confirmed_at IS NULL;

-- The consent record of each sign-up: the exact words the person was shown and their
-- version, the form (`brief` page or `home`), when they signed up, confirmed and
-- withdrew. Erasure (`nst brief erase`) keeps the record as proof of the withdrawal but
-- replaces the address by a SHA-256 of a random salt and the address.
CREATE TABLE brief_consents (
    id            INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL,
    address       TEXT,
    address_salt  TEXT,
    address_hash  TEXT,
    form          TEXT    NOT NULL,
    wording       TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    shown_at      TEXT    NOT NULL,
    confirmed_at  TEXT,
    withdrawn_at  TEXT,
    erased_at     TEXT,
    CHECK ((address IS NULL) = (erased_at IS NOT NULL))
);
CREATE INDEX brief_consents_subscriber ON brief_consents (subscriber_id);
CREATE INDEX brief_consents_address ON brief_consents (address) WHERE address IS NOT NULL;

-- An issue of the brief: a draft until Send (sent_at), then queued to every confirmed
-- subscriber in batches, each in its own transaction; `queued_through` is the highest
-- subscriber id queued so far, so queueing resumes where it stopped after a crash, and
-- `finished_at` says every one was queued. Each mail's outbox key is
-- `brief:ISSUE:SUBSCRIBER`, so no one is mailed twice.
CREATE TABLE brief_issues (
    id             INTEGER PRIMARY KEY,
    subject        TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    sent_by        TEXT,
    sent_at        TEXT,
    queued_through INTEGER NOT NULL DEFAULT 0,
    finished_at    TEXT
);
