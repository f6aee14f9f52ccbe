-- API tokens of the OSDI read API (docs/developers.md, "OSDI"), made by the node's admin
-- for a campaign tool. Only the SHA-256 of each token is kept, so a stolen database copy
-- reads nothing through the API. A revoked token stays listed (when, by which name);
-- a name is given to one live token at a time.
CREATE TABLE osdi_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE UNIQUE INDEX osdi_tokens_live_name ON osdi_tokens (name) WHERE revoked_at IS NULL;
