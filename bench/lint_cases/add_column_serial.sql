-- A serial column on an existing table: every row is filled from the sequence.
ALTER TABLE events ADD COLUMN seq bigserial;
