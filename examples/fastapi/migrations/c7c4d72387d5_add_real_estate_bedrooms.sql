-- vmig:revision c7c4d72387d5
-- vmig:down_revision e7b908415885
-- vmig:message add real estate bedrooms

-- vmig:up
-- A nullable column without a default: no table rewrite, only a short lock.
-- Listings created before this release simply have no bedroom count.
ALTER TABLE real_estate ADD COLUMN bedrooms smallint;

-- vmig:down
ALTER TABLE real_estate DROP COLUMN bedrooms;
