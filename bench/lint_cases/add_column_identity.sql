-- An identity column on an existing table: rewrite.
ALTER TABLE events ADD COLUMN event_no bigint GENERATED ALWAYS AS IDENTITY;
