-- Blocks writes to orders while it builds.
CREATE INDEX orders_created_at_idx ON orders (created_at);
