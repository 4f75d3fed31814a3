pCREATE TABLE widgets (id bigint PRIMARY KEY, name text NOT NULL);
CREATE INDEX widgets_name ON widgets (name);
ALTER TABLE widgets ADD COLUMN price numeric NOT NULL;
ALTER TABLE widgets RENAME TO gadgets;
ALTER TABLE gadgets ADD COLUMN seq serial;
