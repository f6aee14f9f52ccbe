-- Notifications read the circle orders newest first.
CREATE INDEX circle_order_at ON circle_order (at);
-- A member's circles.
CREATE INDEX circle_members_member ON circle_members (member, status);
-- The home page: a proposal by its decision, reviews falling due, the latest decisions.
CREATE INDEX proposals_decision ON proposals (decision_id);
CREATE INDEX proposals_review ON proposals (review_done, review_date) WHERE outcome = 'adopted';
CREATE INDEX logbook_kind_at ON logbook (kind, at);
-- A circle's messages (questions, answers, reactions, chat) without reading the rest.
CREATE INDEX envelopes_scope_kind ON envelopes (scope, kind, rowid);
