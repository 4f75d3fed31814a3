-- clock_timestamp() is volatile (unlike now()): rewrite.
ALTER TABLE events ADD COLUMN received_at timestamptz DEFAULT clock_timestamp();
