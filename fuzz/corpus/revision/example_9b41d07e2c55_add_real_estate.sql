-- vmig:revision 9b41d07e2c55
-- vmig:down_revision 3f2a9c1e7b10
-- vmig:message add real estate

-- vmig:up
CREATE TABLE real_estate (
    id       integer PRIMARY KEY,
    owner_id integer NOT NULL REFERENCES users(id),
    address  text NOT NULL,
    price    numeric(12, 2) NOT NULL CHECK (price >= 0)
);

-- vmig:down
DROP TABLE real_estate;
