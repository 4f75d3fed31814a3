-- vmig:revision b691930965ae
-- vmig:down_revision c7c4d72387d5
-- vmig:message index real estate by city and price
-- vmig:transaction off

-- vmig:up
-- The search (GET /real-estate?city=...&max_price=...) filters on both.  The
-- table already holds data in production, so the index is built CONCURRENTLY,
-- which cannot run inside a transaction: hence "transaction off" above.
CREATE INDEX CONCURRENTLY ix_real_estate_city_price ON real_estate (city, price);

-- vmig:down
DROP INDEX CONCURRENTLY IF EXISTS ix_real_estate_city_price;
