-- vmig:revision 5c0e8a71d3f4
-- vmig:down_revision 9b41d07e2c55
-- vmig:message index real estate by owner

-- vmig:up
-- "my listings" pages look real estate up by owner.
CREATE INDEX ix_real_estate_owner_id ON real_estate (owner_id);

-- vmig:down
DROP INDEX ix_real_estate_owner_id;
