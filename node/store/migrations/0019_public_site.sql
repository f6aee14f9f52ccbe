-- The public site (docs/admin.md, "The public site"): what strangers read of the node.
-- All of it is the node's own and never leaves it on the wire.

-- The words of the public home the node's admins set (name, aim, what it fights for);
-- a missing key falls back to a default made from the node's name.
CREATE TABLE site_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Members who may write articles, granted by an admin (admins write them too).
CREATE TABLE site_editors (
    handle     TEXT PRIMARY KEY REFERENCES members (handle),
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL
);

-- Campaigns the node shows on its public site, chosen by the node's admins as the
-- owning circle decided (a node-level choice until the protocol carries the decision).
CREATE TABLE public_campaigns (
    campaign_id TEXT PRIMARY KEY,
    made_by     TEXT NOT NULL,
    made_at     TEXT NOT NULL
);

-- Articles in Markdown; only a published one is shown to strangers. The author's handle
-- is kept for the editors' list, never shown on the public site.
CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    slug         TEXT    NOT NULL UNIQUE,
    title        TEXT    NOT NULL,
    summary      TEXT    NOT NULL DEFAULT '',
    body         TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('draft', 'published')),
    created_by   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    published_at TEXT
);
CREATE INDEX articles_published ON articles (status, published_at);

-- Images for articles: the file is data_dir/public/images/<name>, its alt text required.
CREATE TABLE article_images (
    name         TEXT    PRIMARY KEY,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    alt          TEXT    NOT NULL CHECK (alt <> ''),
    uploaded_by  TEXT    NOT NULL,
    uploaded_at  TEXT    NOT NULL
);
