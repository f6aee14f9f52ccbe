-- New messages of a member's circles, by the time they arrived.
CREATE INDEX envelopes_messages ON envelopes (scope, received_at) WHERE kind = 'message';
