-- Empties an existing table under an ACCESS EXCLUSIVE lock.
TRUNCATE audit_log;
