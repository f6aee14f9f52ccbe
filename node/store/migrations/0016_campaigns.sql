-- Campaigns (PROTOCOL.md §8.13, §13.11): derived by applying the circle order, like the
-- governance tables; `nst rebuild` recomputes them. Each object's row holds its current
-- version (the latest applied in the circle order); campaign_versions holds every
-- applied version of every object, and which ones a decision adopted.
CREATE TABLE campaign_versions (
    envelope_id  TEXT    PRIMARY KEY,
    scope        TEXT    NOT NULL,
    object_id    TEXT    NOT NULL,              -- the object's first envelope's id
    object       TEXT    NOT NULL,              -- campaign, target, demand, status …
    campaign_id  TEXT    NOT NULL,
    pos          INTEGER NOT NULL,
    actor        TEXT    NOT NULL,
    at           TEXT    NOT NULL,
    adopted_pos  INTEGER,                       -- the adopting decision's position
    adopted_by   TEXT                           -- and its envelope id
);
CREATE INDEX campaign_versions_object ON campaign_versions (object_id, pos);
CREATE INDEX campaign_versions_campaign ON campaign_versions (campaign_id, object, pos);

-- A campaign.
CREATE TABLE campaigns (
    id           TEXT    PRIMARY KEY,           -- the object: its first envelope's id
    scope        TEXT    NOT NULL,              -- the circle that owns the campaign
    campaign_id  TEXT    NOT NULL,
    version_id   TEXT    NOT NULL,              -- the current (latest applied) version
    pos          INTEGER NOT NULL,              -- its position in the circle order
    at           TEXT    NOT NULL,              -- and that position's time
    actor        TEXT    NOT NULL,              -- who wrote the current version
    created_pos  INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,              -- who wrote the first version
    body         BLOB    NOT NULL,              -- the current version's body (JSON)
    name         TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    pressure_days INTEGER NOT NULL
);
CREATE INDEX campaigns_scope ON campaigns (scope, name);

-- An official a campaign targets.
CREATE TABLE campaign_targets (
    id           TEXT    PRIMARY KEY,           -- the object: its first envelope's id
    scope        TEXT    NOT NULL,              -- the circle that owns the campaign
    campaign_id  TEXT    NOT NULL,
    version_id   TEXT    NOT NULL,              -- the current (latest applied) version
    pos          INTEGER NOT NULL,              -- its position in the circle order
    at           TEXT    NOT NULL,              -- and that position's time
    actor        TEXT    NOT NULL,              -- who wrote the current version
    created_pos  INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,              -- who wrote the first version
    body         BLOB    NOT NULL,              -- the current version's body (JSON)
    name         TEXT    NOT NULL,
    office_type  TEXT    NOT NULL,
    candidate    INTEGER NOT NULL
);
CREATE INDEX campaign_targets_campaign ON campaign_targets (campaign_id, name);

-- A demand, asked of one target or of an office type.
CREATE TABLE campaign_demands (
    id           TEXT    PRIMARY KEY,           -- the object: its first envelope's id
    scope        TEXT    NOT NULL,              -- the circle that owns the campaign
    campaign_id  TEXT    NOT NULL,
    version_id   TEXT    NOT NULL,              -- the current (latest applied) version
    pos          INTEGER NOT NULL,              -- its position in the circle order
    at           TEXT    NOT NULL,              -- and that position's time
    actor        TEXT    NOT NULL,              -- who wrote the current version
    created_pos  INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,              -- who wrote the first version
    body         BLOB    NOT NULL,              -- the current version's body (JSON)
    title        TEXT    NOT NULL,
    target       TEXT,
    office_type  TEXT
);
CREATE INDEX campaign_demands_campaign ON campaign_demands (campaign_id, created_pos);

-- One entry of a demand's status history with one target.
CREATE TABLE campaign_statuses (
    id           TEXT    PRIMARY KEY,           -- the object: its first envelope's id
    scope        TEXT    NOT NULL,              -- the circle that owns the campaign
    campaign_id  TEXT    NOT NULL,
    version_id   TEXT    NOT NULL,              -- the current (latest applied) version
    pos          INTEGER NOT NULL,              -- its position in the circle order
    at           TEXT    NOT NULL,              -- and that position's time
    actor        TEXT    NOT NULL,              -- who wrote the current version
    created_pos  INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,              -- who wrote the first version
    body         BLOB    NOT NULL,              -- the current version's body (JSON)
    demand       TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    date         TEXT    NOT NULL
);
CREATE INDEX campaign_statuses_target ON campaign_statuses (campaign_id, target, pos);

-- A target's promise.
CREATE TABLE campaign_commitments (
    id           TEXT    PRIMARY KEY,           -- the object: its first envelope's id
    scope        TEXT    NOT NULL,              -- the circle that owns the campaign
    campaign_id  TEXT    NOT NULL,
    version_id   TEXT    NOT NULL,              -- the current (latest applied) version
    pos          INTEGER NOT NULL,              -- its position in the circle order
    at           TEXT    NOT NULL,              -- and that position's time
    actor        TEXT    NOT NULL,              -- who wrote the current version
    created_pos  INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,              -- who wrote the first version
    body         BLOB    NOT NULL,              -- the current version's body (JSON)
    target       TEXT    NOT NULL,
    demand       TEXT,
    kept         TEXT    NOT NULL,
    due          TEXT
);
CREATE INDEX campaign_commitments_target ON campaign_commitments (campaign_id, target, pos);

-- A member's contact with a target.
CREATE TABLE campaign_actions (
    id           TEXT    PRIMARY KEY,           -- the object: its first envelope's id
    scope        TEXT    NOT NULL,              -- the circle that owns the campaign
    campaign_id  TEXT    NOT NULL,
    version_id   TEXT    NOT NULL,              -- the current (latest applied) version
    pos          INTEGER NOT NULL,              -- its position in the circle order
    at           TEXT    NOT NULL,              -- and that position's time
    actor        TEXT    NOT NULL,              -- who wrote the current version
    created_pos  INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,              -- who wrote the first version
    body         BLOB    NOT NULL,              -- the current version's body (JSON)
    target       TEXT    NOT NULL,
    demand       TEXT,
    channel      TEXT    NOT NULL,
    date         TEXT    NOT NULL,
    plan         TEXT
);
CREATE INDEX campaign_actions_target ON campaign_actions (campaign_id, target, date);

-- A recurring action.
CREATE TABLE campaign_plans (
    id           TEXT    PRIMARY KEY,           -- the object: its first envelope's id
    scope        TEXT    NOT NULL,              -- the circle that owns the campaign
    campaign_id  TEXT    NOT NULL,
    version_id   TEXT    NOT NULL,              -- the current (latest applied) version
    pos          INTEGER NOT NULL,              -- its position in the circle order
    at           TEXT    NOT NULL,              -- and that position's time
    actor        TEXT    NOT NULL,              -- who wrote the current version
    created_pos  INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,              -- who wrote the first version
    body         BLOB    NOT NULL,              -- the current version's body (JSON)
    title        TEXT    NOT NULL,
    weekday      INTEGER NOT NULL,
    starts       TEXT    NOT NULL,
    ends         TEXT
);
CREATE INDEX campaign_plans_campaign ON campaign_plans (campaign_id, created_pos);

-- A member's pledge to one occurrence of a plan.
CREATE TABLE campaign_pledges (
    id           TEXT    PRIMARY KEY,           -- the object: its first envelope's id
    scope        TEXT    NOT NULL,              -- the circle that owns the campaign
    campaign_id  TEXT    NOT NULL,
    version_id   TEXT    NOT NULL,              -- the current (latest applied) version
    pos          INTEGER NOT NULL,              -- its position in the circle order
    at           TEXT    NOT NULL,              -- and that position's time
    actor        TEXT    NOT NULL,              -- who wrote the current version
    created_pos  INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,              -- who wrote the first version
    body         BLOB    NOT NULL,              -- the current version's body (JSON)
    plan         TEXT    NOT NULL,
    date         TEXT    NOT NULL
);
CREATE INDEX campaign_pledges_plan ON campaign_pledges (plan, date);

-- A candidate's answer to a demand.
CREATE TABLE campaign_answers (
    id           TEXT    PRIMARY KEY,           -- the object: its first envelope's id
    scope        TEXT    NOT NULL,              -- the circle that owns the campaign
    campaign_id  TEXT    NOT NULL,
    version_id   TEXT    NOT NULL,              -- the current (latest applied) version
    pos          INTEGER NOT NULL,              -- its position in the circle order
    at           TEXT    NOT NULL,              -- and that position's time
    actor        TEXT    NOT NULL,              -- who wrote the current version
    created_pos  INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,              -- who wrote the first version
    body         BLOB    NOT NULL,              -- the current version's body (JSON)
    target       TEXT    NOT NULL,
    demand       TEXT    NOT NULL,
    answer       TEXT    NOT NULL
);
CREATE INDEX campaign_answers_target ON campaign_answers (campaign_id, target, pos);
