-- Reserved: number 0018 belongs to the mail outbox, built beside the public site (0019).
-- Migrations are numbered without gaps, so this empty step holds the place; when the mail
-- outbox's 0018 lands, this file is deleted (two files numbered 0018 are refused).
SELECT 1;
