-- case: transaction off
-- Rewrites the table under ACCESS EXCLUSIVE.
VACUUM FULL events;
