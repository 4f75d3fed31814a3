-- vmig:revision 3f2a9c1e7b10
-- vmig:down_revision
-- vmig:message create users

-- vmig:up
CREATE TABLE users (
    id              integer PRIMARY KEY,
    email           text NOT NULL UNIQUE,
    -- an enum-like column: a CHECK works the same on SQLite and PostgreSQL
    role            text NOT NULL DEFAULT 'owner'
                    CHECK (role IN ('owner', 'agent', 'admin')),
    document_number text UNIQUE,
    created_at      timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- vmig:down
DROP TABLE users;
