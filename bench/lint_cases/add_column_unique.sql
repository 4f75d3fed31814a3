-- An inline UNIQUE builds its index under ACCESS EXCLUSIVE.
ALTER TABLE users ADD COLUMN slug text UNIQUE;
