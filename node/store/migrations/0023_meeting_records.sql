-- Minutes corrected and approved, action items, and each circle's backlog, derived from
-- the circle order like the meetings table (PROTOCOL.md §13.8).

-- The meeting whose minutes approved these, and the minutes version they approved.
ALTER TABLE meetings ADD COLUMN approved_by TEXT;
ALTER TABLE meetings ADD COLUMN approved_version TEXT;

-- Every version of every meeting's minutes: the first (`minutes`) and each correction.
CREATE TABLE meeting_minutes (
    id           TEXT    PRIMARY KEY,            -- the minutes or correct envelope
    meeting_id   TEXT    NOT NULL,
    circle_id    TEXT    NOT NULL,
    replaces     TEXT,                           -- the version it corrects; null at first
    approves     TEXT,                           -- the earlier minutes this meeting approved
    note         TEXT    NOT NULL,               -- what the correction changed
    at           TEXT    NOT NULL
);
CREATE INDEX meeting_minutes_meeting ON meeting_minutes (meeting_id, at);

-- The action items of each meeting's current minutes, numbered from 1 in their order.
CREATE TABLE meeting_actions (
    meeting_id   TEXT    NOT NULL,
    n            INTEGER NOT NULL,
    circle_id    TEXT    NOT NULL,
    item         TEXT    NOT NULL,               -- the title of the agenda item
    what         TEXT    NOT NULL,
    owner        TEXT    NOT NULL,
    due          TEXT,
    done_id      TEXT,                           -- the done envelope, once marked
    done_by      TEXT,
    done_at      TEXT,
    PRIMARY KEY (meeting_id, n)
) WITHOUT ROWID;
CREATE INDEX meeting_actions_owner ON meeting_actions (owner, done_id);
CREATE INDEX meeting_actions_circle ON meeting_actions (circle_id, done_id);

-- Each circle's backlog of tensions and agenda items.
CREATE TABLE backlog (
    id           TEXT    PRIMARY KEY,            -- the backlog envelope
    circle_id    TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    note         TEXT    NOT NULL,
    author       TEXT    NOT NULL,               -- the member, or the home node
    source       TEXT,                           -- a child circle's referred decision
    added_at     TEXT    NOT NULL,
    meeting_id   TEXT,                           -- the latest meeting whose agenda drew it
    closed_id    TEXT,
    closed_by    TEXT,
    closed_at    TEXT,
    close_note   TEXT
);
CREATE INDEX backlog_circle ON backlog (circle_id, closed_id, added_at);
CREATE INDEX backlog_source ON backlog (source);
