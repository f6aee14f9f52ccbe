-- Public campaigns and articles by the circle's decision (PROTOCOL.md §13.11).
--
-- A campaign is now public when its circle adopts a version with `public: true`, on every
-- member node at once; a node's admins no longer choose which campaigns are public, they
-- may only hide a public campaign from their own site. The admins' old choices
-- (public_campaigns, migration 0019) are dropped, not turned into that opt-out list: they
-- said "show", and an opt-out says "hide", so carrying them over would invert them. Until
-- its circle adopts a version with `public: true`, no campaign is public after this.
DROP TABLE public_campaigns;

-- Public campaigns a node's admins hide from their own public site.
CREATE TABLE public_campaign_optouts (
    campaign_id TEXT PRIMARY KEY,
    hidden_by   TEXT NOT NULL,
    hidden_at   TEXT NOT NULL
);

-- A circle's article (`campaign` object `article`), derived from the circle order like
-- the other campaign tables (0016) and rebuilt with them.
CREATE TABLE campaign_articles (
    id           TEXT    PRIMARY KEY,           -- the object: its first envelope's id
    scope        TEXT    NOT NULL,              -- the circle that publishes it
    campaign_id  TEXT    NOT NULL,              -- the article itself: it is in no campaign
    version_id   TEXT    NOT NULL,              -- the current (latest applied) version
    pos          INTEGER NOT NULL,              -- its position in the circle order
    at           TEXT    NOT NULL,              -- and that position's time
    actor        TEXT    NOT NULL,              -- who wrote the current version
    created_pos  INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,              -- who wrote the first version
    body         BLOB    NOT NULL,              -- the current version's body (JSON)
    title        TEXT    NOT NULL,
    slug         TEXT    NOT NULL
);
CREATE INDEX campaign_articles_scope ON campaign_articles (scope, created_pos);
