-- Builds a unique index under ACCESS EXCLUSIVE (and SET NOT NULL on the columns).
ALTER TABLE events ADD PRIMARY KEY (id);
