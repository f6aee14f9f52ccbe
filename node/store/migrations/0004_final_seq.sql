-- The last seq of a removed member node's feed that its circle's home accepted.

ALTER TABLE circle_members ADD COLUMN final_seq INTEGER;
