-- The consent rounds of a member's circles without reading the proposals' state: the
-- home page's "awaiting your stance" and "closing soon" are answered from this index.
CREATE INDEX proposals_rounds ON proposals (phase, circle_id, root, deadline, title);
-- It covers what this narrower one did.
DROP INDEX proposals_phase;
