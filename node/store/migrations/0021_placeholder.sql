-- Placeholder keeping the numbering without gaps on this branch: migration 0021 belongs
-- to another change. Delete this file when that change is merged.
SELECT 1;
