-- The web UI's sessions: the cookie holds a random token, this table its hash, so a
-- stolen database copy opens no session. Logging out or changing the password ends them.
CREATE TABLE web_sessions (
    token_hash   TEXT    PRIMARY KEY,
    handle       TEXT    NOT NULL REFERENCES members (handle),
    csrf         TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL
);
CREATE INDEX web_sessions_handle ON web_sessions (handle);

-- One-time links with which a new member sets up their account.
CREATE TABLE member_invites (
    token_hash   TEXT    PRIMARY KEY,
    handle       TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('member', 'admin')),
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    used_at      TEXT
);
