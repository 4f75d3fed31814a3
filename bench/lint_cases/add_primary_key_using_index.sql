-- The index was built CONCURRENTLY in an earlier revision: only a brief lock
-- (plus a NOT NULL scan if id is nullable).
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id_idx;
