-- Each member's notification settings and how far they have read.
CREATE TABLE notification_settings (
    handle       TEXT    PRIMARY KEY REFERENCES members (handle),
    digest       TEXT    NOT NULL DEFAULT 'off' CHECK (digest IN ('off', 'daily')),
    seen_at      TEXT
);
