-- SET (storage parameters) takes SHARE UPDATE EXCLUSIVE: reads and writes go on.
ALTER TABLE orders SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05);
