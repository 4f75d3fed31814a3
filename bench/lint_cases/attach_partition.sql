-- ACCESS EXCLUSIVE on the partition and a full scan of it to check the bounds,
-- unless a validated CHECK matching them exists.
ALTER TABLE measurements ATTACH PARTITION measurements_2024
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
