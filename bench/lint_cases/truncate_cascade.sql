-- CASCADE also empties every table with a foreign key to sessions.
TRUNCATE sessions CASCADE;
