-- SET LOGGED writes the whole table to the WAL under ACCESS EXCLUSIVE.
ALTER TABLE import_staging SET LOGGED;
