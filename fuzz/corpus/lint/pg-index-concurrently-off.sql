rSET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_events_created_at ON events (created_at);
