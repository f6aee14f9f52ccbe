-- The mail outbox: every message the node sends, queued in the same transaction as what
-- caused it and sent by the mail worker (node/mail/worker.py). A message moves
-- queued -> sending -> sent, or back to queued with a later next_at after a temporary
-- failure, or to failed (a permanent one, or too many attempts) or dropped (its address
-- began to bounce while it waited). A message still "sending" when the node starts again
-- was cut off by a crash: it is queued again, and its Message-ID lets the receiving
-- side drop the copy if the first one did arrive. `dedupe` is the caller's idempotency
-- key: the same event never queues the same mail twice.
CREATE TABLE mail_outbox (
    id           INTEGER PRIMARY KEY,
    dedupe       TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL,
    recipient    TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    text_part    TEXT    NOT NULL,
    html_part    TEXT    NOT NULL,
    headers      TEXT    NOT NULL DEFAULT '{}',
    message_id   TEXT    NOT NULL UNIQUE,
    state        TEXT    NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'dropped')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    sent_at      TEXT,
    last_error   TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_at) WHERE state IN ('queued', 'sending');
CREATE INDEX mail_outbox_state ON mail_outbox (state);

-- Addresses whose server refused mail for good (a 5xx answer): nothing more is sent to
-- them until an admin clears them (`nst mail clear ADDRESS`). Addresses are lower case.
CREATE TABLE mail_bounces (
    address      TEXT    PRIMARY KEY,
    at           TEXT    NOT NULL,
    reason       TEXT    NOT NULL
) WITHOUT ROWID;

-- A member's e-mail address and what they chose to receive (docs/members.md, "Mail").
-- `address` is confirmed (the member followed the link of a confirmation mail);
-- `pending` waits for its confirmation, whose token is kept as a SHA-256 only.
CREATE TABLE member_mail (
    handle        TEXT    PRIMARY KEY REFERENCES members (handle),
    address       TEXT,
    pending       TEXT,
    pending_hash  TEXT,
    pending_until TEXT,
    reminders     INTEGER NOT NULL DEFAULT 1,
    openings      INTEGER NOT NULL DEFAULT 0,
    digest        INTEGER NOT NULL DEFAULT 0,
    campaigns     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX member_mail_pending ON member_mail (pending_hash)
    WHERE pending_hash IS NOT NULL;
