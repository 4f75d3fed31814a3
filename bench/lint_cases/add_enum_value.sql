-- Fine on PostgreSQL 12+, but the new value cannot be used in the same transaction.
ALTER TYPE order_status ADD VALUE 'archived';
